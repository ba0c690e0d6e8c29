"""Updates across template versions: plain `copier update`, `asyncgen update`, `asyncgen add`."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from asyncgen.answers import TemplateAnswers
from asyncgen.errors import ConflictsError, UsageError
from asyncgen.frameworks import BY_NAME, NAMES
from asyncgen.generate import Generation
from asyncgen.questionnaire import Questionnaire
from asyncgen.store import Release, TemplateStore
from asyncgen.update import change_answers, update_project

from conftest import TEMPLATES

# Above every release the store's shipped history holds, so the newest tag, the one plain
# `copier update` takes, is always the test's own.
V1, V2 = "99.1.0", "99.2.0"
NOTES_V1 = [f"line {n}" for n in range(1, 13)]
NOTES_V2 = ["line 1", "line 2, improved by the template", *NOTES_V1[2:]]


def release(tmp_path: Path, version: str, notes: list[str]) -> Release:
    """The real templates plus a NOTES.md that changes between versions."""
    source = tmp_path / f"templates-{version}"
    shutil.copytree(TEMPLATES, source, ignore=shutil.ignore_patterns("__pycache__"))
    (source / "project" / "NOTES.md").write_text("\n".join(notes) + "\n")
    return Release(source, version)


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, check=True).stdout


def commit(repo: Path, message: str) -> None:
    git(repo, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qam", message)


@pytest.fixture
def store(tmp_path: Path) -> TemplateStore:
    return TemplateStore(str(tmp_path / "home"))


@pytest.fixture
def v1(tmp_path: Path) -> Release:
    return release(tmp_path, V1, NOTES_V1)


@pytest.fixture
def project(tmp_path: Path, store: TemplateStore, v1: Release) -> Path:
    answers = TemplateAnswers(project_name="live-svc", framework="fastapi", database="sqlite")
    return Generation(answers, tmp_path / "live-svc", store, v1).run()


@pytest.fixture
def recorded(tmp_path: Path, store: TemplateStore, v1: Release) -> Path:
    """A project generated the way `new` does it: with its first decision record."""
    plan = Questionnaire(prompter=None, say=lambda _: None).run("rec-svc", {"database": "sqlite"})
    return Generation(plan.answers, tmp_path / "rec-svc", store, v1, plan=plan).run()


ADR = Path("docs") / "adr"
FIRST = ADR / "0001-framework-and-stack.md"


def commit_and_test(project: Path, change: str) -> None:
    """What a team does after `asyncgen add`: sync, commit (uv.lock included), run the suite."""
    sync = subprocess.run(["uv", "sync", "-q"], cwd=project, capture_output=True, text=True)
    assert sync.returncode == 0, sync.stderr
    git(project, "add", "-A")
    commit(project, change)
    env = {k: v for k, v in os.environ.items() if not k.endswith("_URL") and k != "VIRTUAL_ENV"}
    suite = subprocess.run(
        ["uv", "run", "--no-sync", "pytest", "-q", "-p", "no:cacheprovider"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
    )
    assert suite.returncode == 0, f"after {change}:\n{suite.stdout}\n{suite.stderr}"


def edit_notes(project: Path, replace: dict[int, str]) -> None:
    lines = (project / "NOTES.md").read_text().splitlines()
    for index, text in replace.items():
        lines[index] = text
    (project / "NOTES.md").write_text("\n".join(lines) + "\n")
    commit(project, "user edits")


def with_notes(project: Path, expected: dict[str, bytes]) -> dict[str, bytes]:
    """`expected` with the NOTES.md the user edited, which must have kept the edit."""
    notes = (project / "NOTES.md").read_bytes()
    assert b"line 11, the user's own" in notes
    return {**expected, "NOTES.md": notes}


def project_files(project: Path) -> dict[str, bytes]:
    """A project's files as the template made them: not the lock, the decision records, git's."""
    skipped = ("uv.lock", ".copier-answers.yml", ADR.as_posix())
    listed = git(project, "ls-files", "--cached", "--others", "--exclude-standard").splitlines()
    present = [name for name in listed if (project / name).is_file()]  # deleted, still in the index
    return {name: (project / name).read_bytes() for name in present if not name.startswith(skipped)}


def rendered_anew(
    project: Path, destination: Path, store: TemplateStore, release: Release
) -> dict[str, bytes]:
    """What `asyncgen new` renders for the project's answers as they are now."""
    recorded = yaml.safe_load((project / ".copier-answers.yml").read_text())
    answers = TemplateAnswers(**{key: value for key, value in recorded.items() if not key.startswith("_")})
    return project_files(Generation(answers, destination, store, release).run())


def assert_as_rendered(project: Path, expected: dict[str, bytes], step: str) -> None:
    """The project after `asyncgen add` is, file for file, `expected`: nothing left behind by
    the answer before, nothing missing, nothing rendered differently."""
    actual = project_files(project)
    assert sorted(actual) == sorted(expected), f"after {step}"
    differing = [name for name in expected if actual[name] != expected[name]]
    assert not differing, f"after {step}, not as rendered: {differing}"


def test_plain_copier_update_brings_the_change_and_keeps_far_edits(
    tmp_path: Path, store: TemplateStore, project: Path
) -> None:
    edit_notes(project, {10: "line 11, the user's own"})
    store.ready(release(tmp_path, V2, NOTES_V2))
    done = subprocess.run(["copier", "update", "--defaults"], cwd=project, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    notes = (project / "NOTES.md").read_text()
    assert "line 2, improved by the template" in notes
    assert "line 11, the user's own" in notes
    assert "<<<<<<<" not in notes
    assert yaml.safe_load((project / ".copier-answers.yml").read_text())["_commit"] == f"v{V2}"


def test_clashing_edit_gets_markers_that_asyncgen_update_reports(
    tmp_path: Path, store: TemplateStore, project: Path
) -> None:
    edit_notes(project, {1: "line 2, rewritten by the user", 10: "line 11, the user's own"})
    new = release(tmp_path, V2, NOTES_V2)
    with pytest.raises(ConflictsError) as raised:
        update_project(project, store=store, release=new)
    assert raised.value.files == ["NOTES.md"]
    assert "NOTES.md" in raised.value.message
    notes = (project / "NOTES.md").read_text()
    assert "<<<<<<<" in notes and ">>>>>>>" in notes
    assert "line 2, rewritten by the user" in notes and "line 2, improved by the template" in notes
    assert "line 11, the user's own" in notes
    # Until the user resolves them, every further update refuses with the same list.
    with pytest.raises(ConflictsError):
        update_project(project, store=store, release=new)


def test_update_refuses_a_dirty_worktree(store: TemplateStore, project: Path) -> None:
    (project / "README.md").write_text("scribbles\n")
    with pytest.raises(UsageError, match="has uncommitted changes: commit or stash them first"):
        update_project(project, store=store)


def test_update_refuses_a_folder_that_is_not_a_project(tmp_path: Path, store: TemplateStore) -> None:
    with pytest.raises(UsageError, match="is not a generated project"):
        update_project(tmp_path, store=store)


def test_add_changes_an_answer_and_keeps_edits(store: TemplateStore, v1: Release, project: Path) -> None:
    edit_notes(project, {10: "line 11, the user's own"})
    change_answers(project, ["cache=none"], store=store, release=v1)
    recorded = yaml.safe_load((project / ".copier-answers.yml").read_text())
    assert recorded["cache"] == "none"
    assert recorded["_commit"] == f"v{V1}"
    assert "line 11, the user's own" in (project / "NOTES.md").read_text()
    assert "redis" not in (project / "pyproject.toml").read_text()


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (["cache"], "'cache' is not KEY=VALUE"),
        (["colour=blue"], "'colour' cannot be changed"),
        (["project_name=other"], "'project_name' cannot be changed"),
        (["broker=zeromq"], "broker: 'zeromq' is not one of"),
        (["framework=django"], "framework: 'django' is not one of"),
        (["broker=nats", "cache=none", "tasks=celery"], "tasks=celery needs broker=rabbitmq"),
    ],
)
def test_add_rejects_bad_changes(
    store: TemplateStore, project: Path, changes: list[str], message: str
) -> None:
    with pytest.raises(UsageError, match=message):
        change_answers(project, changes, store=store)


@pytest.mark.slow
def test_add_auth_guards_the_writes_and_the_project_still_passes(
    tmp_path: Path, store: TemplateStore, v1: Release, project: Path
) -> None:
    """Each step is what `new` renders for its answers (the matrix runs each value's suite),
    with the team's edit; the suite runs after the last."""
    edit_notes(project, {10: "line 11, the user's own"})
    auth_module = project / "src" / "live_svc" / "auth.py"
    for change, guard in (("auth=jwt", "Bearer"), ("auth=apikey", "X-API-Key"), ("auth=none", None)):
        change_answers(project, [change], store=store, release=v1)
        assert yaml.safe_load((project / ".copier-answers.yml").read_text())["auth"] == change[5:]
        if guard:
            assert guard in auth_module.read_text()
        else:
            assert not auth_module.exists()
        assert ("pyjwt" in (project / "pyproject.toml").read_text()) == (change == "auth=jwt")
        assert_as_rendered(
            project, with_notes(project, rendered_anew(project, tmp_path / change, store, v1)), change
        )
        git(project, "add", "-A")
        commit(project, f"asyncgen add {change}")
    commit_and_test(project, "uv sync after the last step")


@pytest.mark.slow
def test_add_each_dimension_and_the_project_still_passes(
    tmp_path: Path, store: TemplateStore, v1: Release, project: Path
) -> None:
    """One answer at a time, as a team would: every step keeps the edits and is what `new`
    renders for its answers (the matrix runs each value's suite); the suite runs after the last."""
    edit_notes(project, {10: "line 11, the user's own"})
    steps = [
        ("database=postgresql", "asyncpg"),
        ("cache=none", None),
        ("broker=nats", "nats-py"),
        ("tasks=none", None),
    ]
    for change, dependency in steps:
        change_answers(project, [change], store=store, release=v1)
        key, value = change.split("=")
        assert yaml.safe_load((project / ".copier-answers.yml").read_text())[key] == value
        pyproject = (project / "pyproject.toml").read_text()
        if dependency:
            assert dependency in pyproject
        assert_as_rendered(
            project, with_notes(project, rendered_anew(project, tmp_path / change, store, v1)), change
        )
        git(project, "add", "-A")
        commit(project, f"asyncgen add {change}")
    commit_and_test(project, "uv sync after the last step")
    pyproject = (project / "pyproject.toml").read_text()
    assert "aio-pika" not in pyproject and "redis" not in pyproject and "taskiq" not in pyproject
    assert not (project / "src" / "live_svc" / "worker.py").exists()
    assert "line 11, the user's own" in (project / "NOTES.md").read_text()


def test_plain_copier_update_leaves_the_decision_record_as_written(
    tmp_path: Path, store: TemplateStore, recorded: Path
) -> None:
    first = (recorded / FIRST).read_bytes()
    store.ready(release(tmp_path, V2, NOTES_V2))
    done = subprocess.run(["copier", "update", "--defaults"], cwd=recorded, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "line 2, improved by the template" in (recorded / "NOTES.md").read_text()
    assert (recorded / FIRST).read_bytes() == first
    assert sorted(path.name for path in (recorded / ADR).iterdir()) == [FIRST.name]


def test_each_add_writes_the_next_record_and_keeps_the_earlier_ones(
    store: TemplateStore, v1: Release, recorded: Path
) -> None:
    first = (recorded / FIRST).read_bytes()
    change_answers(recorded, ["cache=none"], store=store, release=v1)
    second = recorded / ADR / "0002-remove-the-cache.md"
    text = second.read_text()
    assert "- Changed with: `asyncgen add cache=none`" in text
    assert "| cache | `redis`: Redis (redis.asyncio) | `none`: nothing |" in text
    assert "- `cache=none`: every read goes to the database" in text
    assert (recorded / FIRST).read_bytes() == first
    # Like the rest of the change, the record is left for the team to review and commit.
    assert "?? docs/adr/0002-remove-the-cache.md" in git(recorded, "status", "--porcelain", "-uall")
    git(recorded, "add", "-A")
    commit(recorded, "asyncgen add cache=none")

    change_answers(recorded, ["broker=nats"], store=store, release=v1)
    third = recorded / ADR / "0003-use-nats-as-broker.md"
    assert (
        "| broker | `rabbitmq`: RabbitMQ (aio-pika) | `nats`: NATS JetStream (nats-py) |" in third.read_text()
    )
    assert (recorded / FIRST).read_bytes() == first
    assert second.read_text() == text


def test_add_of_the_current_value_writes_no_record(store: TemplateStore, v1: Release, recorded: Path) -> None:
    change_answers(recorded, ["cache=redis"], store=store, release=v1)
    assert git(recorded, "status", "--porcelain") == ""


def test_add_that_ends_in_conflicts_still_records_the_change(
    store: TemplateStore, recorded: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import asyncgen.update

    def conflicted(*args: object, **kwargs: object) -> None:
        raise ConflictsError(["NOTES.md"])

    monkeypatch.setattr(asyncgen.update, "update_project", conflicted)
    with pytest.raises(ConflictsError):
        change_answers(recorded, ["broker=kafka"], store=store)
    assert (recorded / ADR / "0002-use-kafka-as-broker.md").is_file()


@pytest.mark.slow
def test_add_framework_moves_the_web_layer_and_keeps_the_team_s_edits(
    tmp_path: Path, store: TemplateStore, v1: Release, recorded: Path
) -> None:
    """FastAPI -> Litestar -> Starlette, then every other framework and back to FastAPI: each
    one entered and left. After each step the project is exactly what `new` renders for the
    new answers (so it passes what that project passes: the matrix runs every framework's
    suite), plus the team's edits; the suite runs on the last step, once every web layer
    has come and gone."""
    note = "\n# the team's own note on settings\n"
    settings = Path("src") / "rec_svc" / "settings.py"
    pricing = Path("src") / "rec_svc" / "pricing.py"
    (recorded / settings).write_text((recorded / settings).read_text() + note)
    (recorded / pricing).write_text('"""The team\'s own module."""\n\nVAT = 0.2\n')
    git(recorded, "add", "-A")
    commit(recorded, "the team's edits")
    first = ["litestar", "starlette"]
    # ... and back to FastAPI, so the last one's web layer leaves too.
    steps = [*first, *(name for name in NAMES if name not in (*first, "fastapi")), "fastapi"]
    for number, framework in enumerate(steps, start=2):
        change_answers(recorded, [f"framework={framework}"], store=store, release=v1)
        record = next((recorded / ADR).glob(f"{number:04d}-*.md")).read_text()
        assert BY_NAME[framework].title in record
        expected = rendered_anew(recorded, tmp_path / f"new-{framework}", store, v1)
        expected[settings.as_posix()] += note.encode()
        expected[pricing.as_posix()] = (recorded / pricing).read_bytes()
        assert_as_rendered(recorded, expected, f"framework={framework}")
        git(recorded, "add", "-A")
        commit(recorded, f"asyncgen add framework={framework}")
    commit_and_test(recorded, "uv sync after the last step")
