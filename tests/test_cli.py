from __future__ import annotations

import json
from pathlib import Path

import pytest

from cli_helpers import run_cli, snapshot


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    (tmp_path / "taken").mkdir()
    (tmp_path / "taken" / "file.txt").write_text("mine")
    (tmp_path / "bad.yml").write_text("framework: [unclosed")
    (tmp_path / "unknown.yml").write_text("colour: blue\n")
    return tmp_path


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["new", "class", "-y"], "project_name: 'class' is a Python keyword and cannot name a package"),
        (["new", "2fast", "-y"], "project_name: '2fast' starts with a digit, so its package '2fast' could"),
        (["new", "café", "-y"], "project_name: 'café' has 'é': a name holds only ASCII letters, digits"),
        (["new", "___", "-y"], "project_name: '___' has no letters"),
        (["new", "", "-y"], "project_name: is empty"),
        (["new", "svc", "-y", "--database", "oracle"], "database: 'oracle' is not one of"),
        (["new", "svc", "-y", "--broker", "zeromq"], "broker: 'zeromq' is not one of"),
        (["new", "svc", "-y", "--framework", "django"], "framework: 'django' is not one of"),
        (["new", "svc", "-y", "--framework", "sanic"], "the sanic template is not available yet"),
        (["new", "svc", "-y", "--dest", "taken"], "destination taken exists and is not empty"),
        (["new", "svc", "-y", "--answers", "missing.yml"], "cannot read answers file missing.yml"),
        (["new", "svc", "-y", "--answers", "bad.yml"], "answers file bad.yml is not valid YAML"),
        (["new", "svc", "-y", "--answers", "unknown.yml"], "unknown key 'colour'"),
        (["new", "svc"], "no terminal to ask questions on: pass --yes"),
        (
            ["new", "svc", "-y", "--tasks", "celery", "--broker", "nats", "--cache", "none"],
            "tasks=celery needs broker=rabbitmq, or cache=redis to queue on Redis",
        ),
        (["recommend", "--answers", "missing.yml"], "cannot read answers file"),
    ],
)
def test_bad_input_is_one_line_and_touches_nothing(
    workdir: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    before = snapshot(workdir)
    outcome = run_cli(args, workdir, capsys)
    assert outcome.code == 2
    assert outcome.err.count("\n") == 1, outcome.err
    assert outcome.err.startswith("asyncgen: error: ")
    assert message in outcome.err
    assert "Traceback" not in outcome.err + outcome.out
    assert snapshot(workdir) == before


def test_no_terminal_message_names_both_ways_out(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    outcome = run_cli(["new", "svc"], workdir, capsys)
    assert "--yes" in outcome.err and "--answers" in outcome.err


def test_everything_answered_needs_no_terminal(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    answers = workdir / "full.yml"
    answers.write_text("framework: fastapi\ndatabase: sqlite\ncache: none\nbroker: none\ntasks: none\n")
    outcome = run_cli(["new", "svc", "--answers", "full.yml"], workdir, capsys)
    assert outcome.code == 0, outcome.err
    assert (workdir / "svc" / ".copier-answers.yml").is_file()


def test_recommend_json_from_answers_file(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (workdir / "req.json").write_text('{"migrating_from_flask": true}')
    outcome = run_cli(["recommend", "--answers", "req.json", "--json"], workdir, capsys)
    assert outcome.code == 0
    ranking = json.loads(outcome.out)
    assert next(entry["framework"] for entry in ranking) == "quart"
    assert set(ranking[0]) == {"framework", "score", "reasons", "available"}
    assert ranking[0]["available"] is False
    assert any("Flask code base" in reason for reason in ranking[0]["reasons"])
    scores = [entry["score"] for entry in ranking]
    assert scores == sorted(scores, reverse=True)


def test_recommend_table(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (workdir / "req.yml").write_text("low_level_control: true\n")
    outcome = run_cli(["recommend", "--answers", "req.yml"], workdir, capsys)
    assert outcome.code == 0
    assert "starlette" in outcome.out and "not yet available" in outcome.out
    assert "thin ASGI toolkit" in outcome.out


def test_templates_json(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    outcome = run_cli(["templates", "--json"], workdir, capsys)
    entries = {entry["framework"]: entry for entry in json.loads(outcome.out)}
    assert entries["fastapi"]["available"] is True
    assert entries["fastapi"]["options"]["broker"] == ["rabbitmq", "nats", "kafka", "none"]
    assert entries["litestar"]["available"] is False


def test_new_yes_takes_defaults(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    outcome = run_cli(["new", "my-service", "-y"], workdir, capsys)
    assert outcome.code == 0, outcome.err
    assert "framework: fastapi (recommended, score 7)" in outcome.out
    assert "uv run python -m my_service" in outcome.out
    assert "project name:" not in outcome.out, "a name already canonical is not reported"
    answers = (workdir / "my-service" / ".copier-answers.yml").read_text()
    for line in (
        "framework: fastapi",
        "database: postgresql",
        "cache: redis",
        "broker: rabbitmq",
        "tasks: taskiq",
    ):
        assert line in answers


def test_flags_override_answers_file(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (workdir / "a.yml").write_text("database: mysql\ncache: none\n")
    outcome = run_cli(["new", "svc", "-y", "--answers", "a.yml", "--database", "sqlite"], workdir, capsys)
    assert outcome.code == 0, outcome.err
    answers = (workdir / "svc" / ".copier-answers.yml").read_text()
    assert "database: sqlite" in answers and "cache: none" in answers


def test_help_lists_every_command(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    outcome = run_cli(["--help"], workdir, capsys)
    assert outcome.code == 0
    for command in ("new", "recommend", "templates", "update", "add"):
        assert f"  {command} " in outcome.out


def test_add_and_update_from_the_command_line(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run_cli(["new", "svc", "-y", "--database", "sqlite"], workdir, capsys).code == 0
    outcome = run_cli(["add", "cache=none", "tasks=none", "svc"], workdir, capsys)
    assert outcome.code == 0, outcome.err
    answers = (workdir / "svc" / ".copier-answers.yml").read_text()
    assert "cache: none" in answers and "tasks: none" in answers

    dirty = run_cli(["add", "broker=nats", "svc"], workdir, capsys)
    assert dirty.code == 2
    assert dirty.err == "asyncgen: error: svc has uncommitted changes: commit or stash them first\n"
    bad = run_cli(["add", "svc", "broker=nats"], workdir, capsys)
    assert (bad.code, bad.err) == (2, "asyncgen: error: expected KEY=VALUE... [DIR], got 'svc broker=nats'\n")
    nothing = run_cli(["add", "svc"], workdir, capsys)
    assert nothing.err == "asyncgen: error: nothing to change: give KEY=VALUE, e.g. broker=nats\n"
    stale = run_cli(["update", "svc"], workdir, capsys)
    assert stale.code == 2 and "uncommitted changes" in stale.err


def test_name_as_typed_is_normalised_and_said_once(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    outcome = run_cli(["new", "MyService", "-y", "--database", "sqlite"], workdir, capsys)
    assert outcome.code == 0, outcome.err
    assert outcome.out.splitlines()[0] == "project name: my-service (package my_service)"
    assert outcome.out.count("project name:") == 1
    assert "project_name: my-service" in (workdir / "my-service" / ".copier-answers.yml").read_text()
    assert (workdir / "my-service" / "src" / "my_service" / "__init__.py").is_file()
    assert not (workdir / "MyService").exists()
