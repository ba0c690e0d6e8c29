from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from asyncgen.frameworks import BY_NAME, NAMES

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
        (["new", "svc", "-y", "--json"], "--json needs --dry-run"),
        (["new", "2fast", "-y", "--dry-run"], "project_name: '2fast' starts with a digit"),
        (["new", "svc", "-y", "--dry-run", "--json", "--database", "oracle"], "database: 'oracle' is not"),
        (["new", "svc", "-y", "--dry-run", "--dest", "taken"], "destination taken exists and is not empty"),
        (["new", "svc", "--dry-run"], "no terminal to ask questions on: pass --yes"),
        (["new", "svc", "-y", "--database", "oracle"], "database: 'oracle' is not one of"),
        (["new", "svc", "-y", "--broker", "zeromq"], "broker: 'zeromq' is not one of"),
        (["new", "svc", "-y", "--framework", "django"], "framework: 'django' is not one of"),
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
    answers.write_text(
        "framework: fastapi\ndatabase: sqlite\ncache: none\nbroker: none\ntasks: none\nauth: jwt\n"
    )
    outcome = run_cli(["new", "svc", "--answers", "full.yml"], workdir, capsys)
    assert outcome.code == 0, outcome.err
    assert (workdir / "svc" / ".copier-answers.yml").is_file()


def test_recommend_json_from_answers_file(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (workdir / "req.json").write_text('{"migrating_from_flask": true}')
    outcome = run_cli(["recommend", "--answers", "req.json", "--json"], workdir, capsys)
    assert outcome.code == 0
    ranking = json.loads(outcome.out)
    assert next(entry["framework"] for entry in ranking) == "quart"
    assert set(ranking[0]) == {"framework", "score", "reasons", "sources"}
    assert {entry["framework"] for entry in ranking} == set(NAMES)
    assert any("Flask code base" in reason for reason in ranking[0]["reasons"])
    assert len(ranking[0]["sources"]) == len(ranking[0]["reasons"])
    assert any(source.startswith("seed: Quart for Flask code bases") for source in ranking[0]["sources"])
    scores = [entry["score"] for entry in ranking]
    assert scores == sorted(scores, reverse=True)


def test_recommend_table(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (workdir / "req.yml").write_text("low_level_control: true\n")
    outcome = run_cli(["recommend", "--answers", "req.yml"], workdir, capsys)
    assert outcome.code == 0
    assert "starlette" in outcome.out
    assert "thin ASGI toolkit" in outcome.out
    assert "seed: Starlette for bespoke, low-level control of the request cycle" in outcome.out


def test_templates_json(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    outcome = run_cli(["templates", "--json"], workdir, capsys)
    entries = {entry["framework"]: entry for entry in json.loads(outcome.out)}
    assert list(entries) == list(NAMES)  # all seven, in catalogue order
    for name, entry in entries.items():
        assert entry["options"]["broker"] == ["rabbitmq", "nats", "kafka", "none"], name
        assert entry["server"] == BY_NAME[name].server
    assert entries["blacksheep"]["title"] == "BlackSheep"
    assert entries["aiohttp"]["server"] == "aiohttp"


def test_templates_table_lists_every_framework(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    outcome = run_cli(["templates"], workdir, capsys)
    assert outcome.code == 0
    for name in NAMES:
        assert re.search(rf"^│ {name} +│", outcome.out, re.MULTILINE), name
    assert "not yet" not in outcome.out


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


def test_dest_is_taken_as_given_with_a_normalised_name(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    outcome = run_cli(["new", "my.service", "-y", "--dry-run", "--json", "--dest", "Out"], workdir, capsys)
    assert outcome.code == 0, outcome.err
    assert json.loads(outcome.out)["project"] == {
        "name": "my-service",
        "package": "my_service",
        "destination": "Out",
    }
    assert "project name: my-service (package my_service)" in outcome.err


@pytest.fixture
def empty_world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    """Empty folders for cwd, HOME, ASYNCGEN_HOME and the temp dir, each where asyncgen would look."""
    import tempfile

    world = {name: tmp_path / name for name in ("cwd", "home", "asyncgen-home", "tmp")}
    for folder in world.values():
        folder.mkdir()
    monkeypatch.setenv("HOME", str(world["home"]))
    monkeypatch.setenv("ASYNCGEN_HOME", str(world["asyncgen-home"]))
    monkeypatch.setenv("TMPDIR", str(world["tmp"]))
    monkeypatch.setattr(tempfile, "tempdir", str(world["tmp"]))  # tempfile caches the first lookup

    def no_temp(*args: object, **kwargs: object) -> str:
        raise AssertionError("a temporary file or folder was created")  # even one removed at once

    monkeypatch.setattr(tempfile, "mkdtemp", no_temp)  # TemporaryDirectory goes through it too
    monkeypatch.setattr(tempfile, "mkstemp", no_temp)
    return world


@pytest.mark.parametrize("json_flag", [[], ["--json"]])
def test_dry_run_writes_nothing_anywhere(
    empty_world: dict[str, Path], capsys: pytest.CaptureFixture[str], json_flag: list[str]
) -> None:
    outcome = run_cli(["new", "x", "--yes", "--dry-run", *json_flag], empty_world["cwd"], capsys)
    assert outcome.code == 0, outcome.err
    assert {name: sorted(folder.rglob("*")) for name, folder in empty_world.items()} == {
        name: [] for name in empty_world
    }


@pytest.mark.parametrize(
    ("flags", "present", "absent"),
    [
        (
            ["--database", "postgresql", "--cache", "redis"],
            {"alembic.ini", "migrations/env.py", "src/my_svc/cache.py"},
            set(),
        ),
        (["--database", "none", "--cache", "redis"], {"src/my_svc/cache.py"}, {"alembic.ini"}),
        (["--database", "sqlite", "--cache", "none"], {"alembic.ini"}, {"src/my_svc/cache.py"}),
    ],
)
def test_dry_run_json_lists_the_files_of_the_options_chosen(
    workdir: Path, capsys: pytest.CaptureFixture[str], flags: list[str], present: set[str], absent: set[str]
) -> None:
    outcome = run_cli(["new", "my-svc", "-y", "--dry-run", "--json", *flags], workdir, capsys)
    assert outcome.code == 0, outcome.err
    preview = json.loads(outcome.out)
    assert set(preview) == {"project", "answers", "requirements", "ranking", "files"}
    assert preview["project"] == {"name": "my-svc", "package": "my_svc", "destination": "my-svc"}
    assert preview["answers"]["database"] == flags[1] and preview["answers"]["cache"] == flags[3]
    assert preview["requirements"]["architecture"] == "microservice"
    assert preview["ranking"][0]["framework"] == "fastapi"
    files = preview["files"]
    assert files == sorted(files)
    assert {".copier-answers.yml", "pyproject.toml", "src/my_svc/app.py"} <= set(files)
    assert present <= set(files) and not absent & set(files)
    assert not (workdir / "my-svc").exists()
    assert outcome.err == "framework: fastapi (recommended, score 7)\n", "notes go to stderr with --json"


def test_dry_run_shows_answers_ranking_and_file_tree(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = snapshot(workdir)
    outcome = run_cli(
        ["new", "svc", "-y", "--dry-run", "--database", "none", "--broker", "nats"], workdir, capsys
    )
    assert outcome.code == 0, outcome.err
    lines = outcome.out.splitlines()
    for answer in ("project_name=svc", "framework=fastapi", "database=none", "broker=nats", "tasks=taskiq"):
        assert f"  {answer}" in lines
    assert "Recommended frameworks, best first" in outcome.out
    assert "framework: fastapi (chosen)" in lines
    assert "svc/" in lines
    for entry in (
        "── src/",
        "── svc/",
        "── app.py",
        "── nats.py",
        "── pyproject.toml",
        "── .copier-answers.yml",
    ):
        assert any(line.endswith(entry) for line in lines), entry
    assert "alembic.ini" not in outcome.out
    assert lines[-1] == "Nothing was written (dry run)."
    assert snapshot(workdir) == before
