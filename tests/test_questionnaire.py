from __future__ import annotations

from collections.abc import Iterator, Sequence

import pytest
from prompt_toolkit.input import PipeInput, create_pipe_input
from prompt_toolkit.output import DummyOutput

from asyncgen.errors import Interrupted, UsageError
from asyncgen.questionnaire import Prompter, Questionnaire, questions_left
from asyncgen.questions import INFRA_QUESTIONS, REQUIREMENT_QUESTIONS, Question

DOWN = "\x1b[B"
ENTER = "\r"


@pytest.fixture
def pipe() -> Iterator[PipeInput]:
    with create_pipe_input() as pipe_input:
        yield pipe_input


def questionnaire(pipe: PipeInput, said: list[str] | None = None) -> Questionnaire:
    sink = said if said is not None else []
    return Questionnaire(prompter=Prompter(input=pipe, output=DummyOutput()), say=sink.append)


class Recorder(Prompter):
    """Answers every question with its default and remembers what was asked."""

    def __init__(self) -> None:
        self.asked: list[str] = []

    def ask(
        self, question: Question, default: object, choices: Sequence[tuple[str, object]] | None = None
    ) -> object:
        self.asked.append(question.key)
        self.offered = [value for _, value in (question.choices if choices is None else choices)]
        return default

    def choose(self, prompt: str, choices: Sequence[tuple[str, object]], default: object) -> object:
        self.asked.append("framework")
        return default


def test_full_flow_through_the_real_prompts(pipe: PipeInput) -> None:
    # team_background: dotnet (fourth choice); database: mysql (second); auth: jwt (second);
    # everything else default
    requirements = [ENTER, ENTER, DOWN * 3 + ENTER, *[ENTER] * (len(REQUIREMENT_QUESTIONS) - 3)]
    keys = [*requirements, ENTER, DOWN + ENTER, ENTER, ENTER, ENTER, DOWN + ENTER]
    pipe.send_text("".join(keys))
    said: list[str] = []
    plan = questionnaire(pipe, said).run("demo", {})
    assert plan.requirements.team_background == "dotnet"
    assert plan.ranking[0].framework == "blacksheep"
    assert plan.answers.model_dump() == {
        "project_name": "demo",
        "framework": "blacksheep",
        "database": "mysql",
        "cache": "redis",
        "broker": "rabbitmq",
        "tasks": "taskiq",
        "auth": "jwt",
    }
    assert said == []


def test_every_question_is_asked_in_order_when_nothing_is_given() -> None:
    recorder = Recorder()
    Questionnaire(prompter=recorder).run("demo", {})
    expected = [q.key for q in REQUIREMENT_QUESTIONS] + ["framework"] + [q.key for q in INFRA_QUESTIONS]
    assert recorder.asked == expected
    assert questions_left({}) == expected


def test_given_keys_are_never_asked() -> None:
    recorder = Recorder()
    given = {"priority": "latency", "realtime": True, "database": "sqlite", "tasks": "none"}
    plan = Questionnaire(prompter=recorder).run("demo", given)
    assert "priority" not in recorder.asked and "database" not in recorder.asked
    assert "realtime" not in recorder.asked and "tasks" not in recorder.asked
    assert plan.requirements.priority == "latency" and plan.answers.database == "sqlite"
    assert recorder.asked == questions_left(given)


def test_a_given_framework_skips_the_requirements() -> None:
    recorder = Recorder()
    Questionnaire(prompter=recorder).run("demo", {"framework": "fastapi"})
    assert recorder.asked == ["database", "cache", "broker", "tasks", "auth"]


def test_yes_asks_nothing_and_takes_the_recommendation() -> None:
    said: list[str] = []
    plan = Questionnaire(prompter=None, say=said.append).run("demo", {"database": "none"})
    assert plan.answers.framework == "fastapi"
    assert plan.answers.database == "none"
    assert plan.answers.cache == "redis"
    assert said == ["framework: fastapi (recommended, score 7)"]


def test_ctrl_c_at_a_prompt_is_interrupted(pipe: PipeInput) -> None:
    pipe.send_text(ENTER + "\x03")
    with pytest.raises(Interrupted):
        questionnaire(pipe).run("demo", {})


def test_input_running_out_is_a_clear_error(pipe: PipeInput) -> None:
    pipe.send_text(ENTER)
    pipe.close()
    with pytest.raises(UsageError, match="input ended before every question was answered"):
        questionnaire(pipe).run("demo", {})


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ({"framework": "django"}, r"^framework: 'django' is not one of fastapi, litestar"),
        ({"priority": "speed"}, r"^priority: 'speed' is not one of"),
        ({"realtime": "maybe"}, r"^realtime: Input should be a valid boolean"),
        ({"project_name": "x"}, r"^unknown key 'project_name'"),
    ],
)
def test_bad_given_values_fail_before_any_question(given: dict[str, object], message: str) -> None:
    recorder = Recorder()
    with pytest.raises(UsageError, match=message):
        Questionnaire(prompter=recorder).run("demo", given)
    assert recorder.asked == []


def test_only_task_libraries_with_a_transport_are_offered() -> None:
    recorder = Recorder()
    plan = Questionnaire(prompter=recorder).run(
        "demo", {"framework": "fastapi", "broker": "nats", "cache": "none", "auth": "none"}
    )
    assert recorder.asked[-1] == "tasks"
    assert recorder.offered == ["taskiq", "none"]
    assert plan.answers.tasks == "taskiq"


def test_yes_falls_back_to_no_tasks_when_nothing_can_carry_them() -> None:
    said: list[str] = []
    plan = Questionnaire(prompter=None, say=said.append).run("demo", {"broker": "none", "cache": "none"})
    assert plan.answers.tasks == "none"
    assert said[-1].startswith(
        "tasks: none (tasks=taskiq needs broker=rabbitmq or broker=nats, or cache=redis"
    )


def test_an_impossible_task_combination_is_refused() -> None:
    with pytest.raises(
        UsageError, match=r"^tasks=dramatiq needs broker=rabbitmq, or cache=redis to queue on Redis"
    ):
        Questionnaire(prompter=None).run("demo", {"tasks": "dramatiq", "broker": "nats", "cache": "none"})


def test_the_plan_knows_which_keys_the_team_answered() -> None:
    given = {"priority": "latency", "database": "sqlite"}
    assert Questionnaire(prompter=None).run("demo", given).answered == {"priority", "database"}
    recorder = Recorder()
    plan = Questionnaire(prompter=recorder).run("demo", {"framework": "fastapi"})
    assert plan.answered == {"framework", *recorder.asked}
    assert "priority" not in plan.answered, "a given framework skips the requirements: defaults"
