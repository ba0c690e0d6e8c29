"""From what the user gave (flags, answers file) to complete answers, asking only what is left.

Order: requirements, then the ranking and the framework choice, then infrastructure. A key
given on the command line or in an answers file is never asked. Without a prompter (`--yes`)
nothing is asked: defaults and the recommendation fill the gaps.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from asyncgen._validation import one_line, validate_given
from asyncgen.answers import INFRA_KEYS, TemplateAnswers, task_transport, transport_problem
from asyncgen.errors import Interrupted, UsageError
from asyncgen.questions import INFRA_QUESTIONS, REQUIREMENT_QUESTIONS, Question
from asyncgen.recommend import Recommendation, rank
from asyncgen.requirements import Requirements

ANSWER_KEYS = ("framework", *INFRA_KEYS)


@dataclass(frozen=True)
class Plan:
    requirements: Requirements
    ranking: list[Recommendation]
    answers: TemplateAnswers
    # Keys the team answered (flag, answers file or prompt); the others took their defaults.
    answered: frozenset[str] = frozenset()


@dataclass
class Prompter:
    """Asks one question at a time; `input`/`output` let tests drive it through a pipe."""

    input: Any = None
    output: Any = None

    def choose(self, prompt: str, choices: Sequence[tuple[str, object]], default: object) -> object:
        import questionary

        options = [questionary.Choice(label, value=value) for label, value in choices]
        preselected = next(option for option in options if option.value == default)
        question = questionary.select(
            prompt, choices=options, default=preselected, input=self.input, output=self.output
        )
        try:
            return question.unsafe_ask()
        except KeyboardInterrupt:
            raise Interrupted() from None
        except EOFError:
            raise UsageError("input ended before every question was answered") from None

    def ask(
        self, question: Question, default: object, choices: Sequence[tuple[str, object]] | None = None
    ) -> object:
        """Ask a question, offering all its choices or only those given."""
        return self.choose(question.prompt, question.choices if choices is None else choices, default)


def split_given(given: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Separate requirement keys from template keys, validating each value given."""
    known = set(Requirements.model_fields) | set(ANSWER_KEYS)
    unknown = sorted(set(given) - known)
    if unknown:
        raise UsageError(f"unknown key {unknown[0]!r} (known keys: {', '.join(sorted(known))})")
    requirements = validate_given(
        Requirements, {k: v for k, v in given.items() if k in Requirements.model_fields}
    )
    answers = validate_given(TemplateAnswers, {k: v for k, v in given.items() if k in ANSWER_KEYS})
    return requirements, answers


def questions_left(given: dict[str, Any]) -> list[str]:
    """The keys that would be asked, in order; empty when everything was given."""
    keys = [key for key in INFRA_KEYS if key not in given]
    if "framework" not in given:
        keys = [q.key for q in REQUIREMENT_QUESTIONS if q.key not in given] + ["framework", *keys]
    return keys


def requirement_questions_left(given: dict[str, Any]) -> list[str]:
    return [q.key for q in REQUIREMENT_QUESTIONS if q.key not in given]


@dataclass
class Questionnaire:
    prompter: Prompter | None  # None: never ask (--yes)
    say: Callable[[str], None] = print
    show_ranking: Callable[[list[Recommendation]], None] = field(default=lambda ranking: None)

    def run(self, project_name: str, given: dict[str, Any]) -> Plan:
        given_requirements, given_answers = split_given(given)
        # A framework chosen up front needs no recommendation, so no requirement is asked.
        requirements = self.requirements(given_requirements, ask="framework" not in given_answers)
        ranking = rank(requirements)
        framework = given_answers.get("framework") or self._choose_framework(ranking)
        services = tuple(q for q in INFRA_QUESTIONS if q.key in ("database", "cache", "broker"))
        infra = self._fill(services, given_answers)
        infra["tasks"] = self._choose_tasks(given_answers.get("tasks"), infra["broker"], infra["cache"])
        infra |= self._fill(tuple(q for q in INFRA_QUESTIONS if q.key == "auth"), given_answers)
        try:
            answers = TemplateAnswers.model_validate(
                {"project_name": project_name, "framework": framework, **{k: infra[k] for k in INFRA_KEYS}}
            )
        except ValidationError as exc:
            raise UsageError(one_line(exc)) from None
        asked = questions_left(given) if self.prompter is not None else []
        return Plan(requirements, ranking, answers, frozenset(given) | frozenset(asked))

    def _choose_tasks(self, given: str | None, broker: str, cache: str) -> str:
        """Offer only the task libraries that can queue on what was chosen."""
        if given is not None:
            problem = transport_problem(given, broker, cache)
            if problem:
                raise UsageError(problem)
            return given
        question = next(q for q in INFRA_QUESTIONS if q.key == "tasks")
        usable = [(label, value) for label, value in question.choices if _has_transport(value, broker, cache)]
        default = _default("tasks")
        if not _has_transport(default, broker, cache):
            default = "none"
            self.say(f"tasks: none ({transport_problem(str(_default('tasks')), broker, cache)})")
        if self.prompter is None:
            return str(default)
        return str(self.prompter.ask(question, default, usable))

    def requirements(self, given: dict[str, Any], ask: bool = True) -> Requirements:
        return Requirements(**self._fill(REQUIREMENT_QUESTIONS, given, ask=ask))

    def ranking(self, given: dict[str, Any]) -> list[Recommendation]:
        """Only the requirement questions, then the ranking (`asyncgen recommend`)."""
        given_requirements, _ = split_given(given)
        return rank(self.requirements(given_requirements))

    def _fill(
        self, questions: tuple[Question, ...], given: dict[str, Any], ask: bool = True
    ) -> dict[str, Any]:
        values = dict(given)
        for question in questions:
            if question.key in values:
                continue
            default = _default(question.key)
            if self.prompter is None or not ask:
                values[question.key] = default
            else:
                values[question.key] = self.prompter.ask(question, default)
        return values

    def _choose_framework(self, ranking: list[Recommendation]) -> str:
        best = ranking[0]
        if self.prompter is None:
            self.say(f"framework: {best.framework} (recommended, score {best.score})")
            return best.framework
        self.show_ranking(ranking)
        choices = [(f"{rec.framework} (score {rec.score})", rec.framework) for rec in ranking]
        return str(self.prompter.choose("Which framework?", choices, best.framework))


def _default(key: str) -> object:
    model = Requirements if key in Requirements.model_fields else TemplateAnswers
    return model.model_fields[key].default


def _has_transport(tasks: object, broker: str, cache: str) -> bool:
    return task_transport(str(tasks), broker, cache) is not None
