"""Broken answers files, template stores and installs: one line, a non-zero exit, nothing written."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from filelock import FileLock

from asyncgen import __version__, store
from asyncgen.answers import TemplateAnswers
from asyncgen.generate import Generation
from asyncgen.store import TemplateStore

from cli_helpers import Outcome, run_cli, snapshot

RESTORE = "restore it from git (`git log -p -- .copier-answers.yml`)"


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, check=True).stdout


def contents(root: Path) -> dict[str, bytes]:
    """Every file under root outside .git, with its bytes."""
    return {
        str(path.relative_to(root)): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file() and ".git" not in path.relative_to(root).parts
    }


def assert_one_line(outcome: Outcome, code: int, message: str) -> None:
    assert (outcome.code, outcome.err) == (code, f"asyncgen: error: {message}\n")
    assert "Traceback" not in outcome.out


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One project rendered for the whole module; each test works on a copy."""
    home = tmp_path_factory.mktemp("module-home")
    answers = TemplateAnswers(project_name="svc", framework="fastapi", database="sqlite")
    return Generation(answers, tmp_path_factory.mktemp("generated") / "svc", TemplateStore(str(home))).run()


@pytest.fixture
def project(generated: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "svc"
    shutil.copytree(generated, copy)
    git(copy, "status")  # settle the index of the copy, so later checks compare like with like
    return copy


def commit_answers(project: Path, text: str | bytes) -> None:
    answers = project / ".copier-answers.yml"
    answers.write_bytes(text.encode() if isinstance(text, str) else text)
    git(project, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qam", "break the answers")
    git(project, "status")


def answers_text(home: Path, commit: str = f"v{__version__}", **changes: str | None) -> str:
    """A recorded answers file as copier writes it, with some keys changed or (None) removed."""
    keys: dict[str, str | None] = {
        "_commit": commit,
        "_src_path": f"{home}/templates",
        "broker": "rabbitmq",
        "cache": "redis",
        "database": "sqlite",
        "framework": "fastapi",
        "project_name": "svc",
        "tasks": "taskiq",
        **changes,
    }
    return "".join(f"{key}: {value}\n" for key, value in keys.items() if value is not None)


BROKEN_ANSWERS = [
    pytest.param("", f"svc/.copier-answers.yml is empty; {RESTORE}", id="empty"),
    pytest.param("# only a comment\n", f"svc/.copier-answers.yml is empty; {RESTORE}", id="only-a-comment"),
    pytest.param(
        "- fastapi\n- sqlite\n",
        f"svc/.copier-answers.yml holds a list, not a mapping of answers; {RESTORE}",
        id="a-list",
    ),
    pytest.param(
        "just words\n",
        f"svc/.copier-answers.yml holds a str, not a mapping of answers; {RESTORE}",
        id="a-string",
    ),
    pytest.param(
        "framework: [unclosed\n",
        "svc/.copier-answers.yml is not valid YAML (expected ',' or ']', but got '<stream end>' "
        f"at line 2, column 1); {RESTORE}",
        id="invalid-yaml",
    ),
    pytest.param(b"\xff\xfe\n", f"svc/.copier-answers.yml is not UTF-8 text; {RESTORE}", id="not-utf8"),
    pytest.param(
        "project_name: svc\nframework: fastapi\n",
        f"svc/.copier-answers.yml does not record _src_path or _commit; {RESTORE}",
        id="no-refs",
    ),
    pytest.param(
        {"_commit": None}, f"svc/.copier-answers.yml does not record _commit; {RESTORE}", id="no-commit"
    ),
    pytest.param(
        {"_src_path": None}, f"svc/.copier-answers.yml does not record _src_path; {RESTORE}", id="no-src-path"
    ),
    pytest.param(
        {"project_name": None},
        f"svc/.copier-answers.yml does not record project_name; {RESTORE}",
        id="no-project-name",
    ),
    pytest.param(
        {"_commit": "[1]"},
        f"svc/.copier-answers.yml: _commit must be text, e.g. v{__version__} (got [1])",
        id="commit-not-text",
    ),
    pytest.param(
        {"_src_path": "{a: b}"},
        "svc/.copier-answers.yml: _src_path must be text, e.g. ~/.asyncgen/templates (got {'a': 'b'})",
        id="src-path-not-text",
    ),
    pytest.param(
        {"cache": "memcached"},
        "svc/.copier-answers.yml: cache: 'memcached' is not one of 'redis' or 'none'",
        id="unknown-value",
    ),
    pytest.param(
        {"colour": "blue"},
        "svc/.copier-answers.yml: unknown key 'colour' (known keys: project_name, framework, database, "
        "cache, broker, tasks, auth)",
        id="unknown-key",
    ),
    pytest.param(
        {"project_name": "My_Service"},
        "svc/.copier-answers.yml: project_name: must be lowercase letters and digits, joined by single "
        "hyphens, starting with a letter (got 'My_Service')",
        id="invalid-name",
    ),
]


@pytest.mark.parametrize(("broken", "message"), BROKEN_ANSWERS)
@pytest.mark.parametrize("command", [["update", "svc"], ["add", "broker=nats", "svc"]])
def test_broken_answers_file_is_one_line_and_touches_nothing(
    project: Path,
    asyncgen_home: Path,
    capsys: pytest.CaptureFixture[str],
    command: list[str],
    broken: str | bytes | dict[str, str | None],
    message: str,
) -> None:
    commit_answers(project, answers_text(asyncgen_home, **broken) if isinstance(broken, dict) else broken)
    head, files, store_before = git(project, "rev-parse", "HEAD"), contents(project), snapshot(asyncgen_home)

    outcome = run_cli(command, project.parent, capsys)

    assert_one_line(outcome, 2, message)
    assert git(project, "status", "--porcelain") == ""
    assert git(project, "rev-parse", "HEAD") == head
    assert contents(project) == files
    assert snapshot(asyncgen_home) == store_before == {}  # failed before the store was touched


@pytest.mark.parametrize("command", [["update", "svc"], ["add", "cache=redis", "svc"]])
def test_recorded_combination_that_cannot_work_names_the_file(
    project: Path, asyncgen_home: Path, capsys: pytest.CaptureFixture[str], command: list[str]
) -> None:
    """copier re-renders the recorded answers first, so even an `add` that would repair them fails."""
    commit_answers(project, answers_text(asyncgen_home, tasks="celery", broker="nats", cache="none"))
    files = contents(project)
    outcome = run_cli(command, project.parent, capsys)
    assert_one_line(
        outcome,
        2,
        "svc/.copier-answers.yml: tasks=celery needs broker=rabbitmq, or cache=redis to queue on Redis "
        "(got broker=nats, cache=none); or choose tasks=none",
    )
    assert git(project, "status", "--porcelain") == ""
    assert contents(project) == files and snapshot(asyncgen_home) == {}


@pytest.mark.parametrize("command", [["update", "svc"], ["add", "broker=nats", "svc"]])
def test_version_the_store_lacks_is_one_line(
    project: Path, asyncgen_home: Path, capsys: pytest.CaptureFixture[str], command: list[str]
) -> None:
    commit_answers(project, answers_text(asyncgen_home, commit="v9.9.9"))
    files = contents(project)
    outcome = run_cli(command, project.parent, capsys)
    assert_one_line(
        outcome,
        2,
        f"svc/.copier-answers.yml: _commit 'v9.9.9' is not a template version this asyncgen has "
        f"(newest: v{__version__}); if a newer asyncgen made the project, upgrade: pip install -U asyncgen",
    )
    assert git(project, "status", "--porcelain") == ""
    assert contents(project) == files


def test_store_path_that_is_a_file(
    tmp_path: Path, asyncgen_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (asyncgen_home / "templates").write_text("not a store")
    before = snapshot(tmp_path), snapshot(asyncgen_home)
    outcome = run_cli(["new", "svc", "-y", "--database", "sqlite"], tmp_path, capsys)
    assert_one_line(
        outcome,
        1,
        f"the template store {asyncgen_home}/templates exists and is not a folder: "
        "move it away, or set ASYNCGEN_HOME to another folder",
    )
    assert (snapshot(tmp_path), snapshot(asyncgen_home)) == before


@pytest.mark.parametrize("variable", ["ASYNCGEN_HOME", "HOME"])
def test_home_under_a_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], variable: str
) -> None:
    """A home that cannot be written, even by root: a path below a file."""
    (tmp_path / "file").write_text("a file, not a folder")
    monkeypatch.delenv("ASYNCGEN_HOME")
    monkeypatch.setenv(variable, str(tmp_path / "file" / "home"))
    store_path = tmp_path / "file" / "home" / (".asyncgen/templates" if variable == "HOME" else "templates")
    before = snapshot(tmp_path)
    outcome = run_cli(["new", "svc", "-y", "--database", "sqlite"], tmp_path, capsys)
    assert_one_line(
        outcome,
        1,
        f"cannot create the template store {store_path}: {tmp_path / 'file'} is not a folder; "
        "set ASYNCGEN_HOME to a folder you can write",
    )
    assert snapshot(tmp_path) == before


@pytest.fixture
def shared_tmp() -> Iterator[Path]:
    """A folder another user can reach (pytest's own tmp_path is private to root)."""
    folder = Path(tempfile.mkdtemp(prefix="asyncgen-ro-"))
    folder.chmod(0o777)
    yield folder
    shutil.rmtree(folder)


def test_read_only_home(shared_tmp: Path) -> None:
    """chmod does not stop root, so as root the run drops to the `nobody` uid with setpriv."""
    home = shared_tmp / "home"
    home.mkdir()
    home.chmod(0o555)
    prefix: list[str] = []
    if os.geteuid() == 0:
        if not shutil.which("setpriv"):
            pytest.skip("running as root without setpriv: no way to make a folder read-only")
        prefix = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
    env = {key: value for key, value in os.environ.items() if key != "ASYNCGEN_HOME"} | {"HOME": str(home)}
    args = [*prefix, sys.executable, "-m", "asyncgen", "new", "svc", "-y", "--database", "sqlite"]
    done = subprocess.run(args, cwd=shared_tmp, env=env, capture_output=True, text=True, check=False)
    if os.geteuid() == 0 and "No module named" in done.stderr:
        pytest.skip(f"asyncgen is not importable as uid 65534: {done.stderr.strip()}")
    store_path = home / ".asyncgen" / "templates"
    assert (done.returncode, done.stderr) == (
        1,
        f"asyncgen: error: cannot write the template store {store_path} ({home / '.asyncgen'}): "
        "Permission denied; set ASYNCGEN_HOME to a folder you can write\n",
    )
    assert sorted(path.name for path in shared_tmp.rglob("*")) == ["home"]


def test_store_lock_timing_out(
    tmp_path: Path, asyncgen_home: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(store, "LOCK_TIMEOUT", 0.2)
    lock = asyncgen_home / "templates.lock"
    with FileLock(str(lock)):  # another run, busy with the store
        before = snapshot(tmp_path), snapshot(asyncgen_home)
        outcome = run_cli(["new", "svc", "-y", "--database", "sqlite"], tmp_path, capsys)
        after = snapshot(tmp_path), snapshot(asyncgen_home)
    assert_one_line(
        outcome,
        1,
        f"the template store is busy: waited 0.2 s for {lock}, which another asyncgen run holds; "
        "let it finish, then run this again",
    )
    assert after == before


@pytest.mark.parametrize("command", [["new", "fresh", "-y", "--database", "sqlite"], ["update", "svc"]])
def test_packaged_templates_missing(
    project: Path,
    asyncgen_home: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    command: list[str],
) -> None:
    """An install without its templates (a broken wheel or a partial copy of site-packages)."""
    commit_answers(project, answers_text(asyncgen_home))
    package = project.parent / "site-packages" / "asyncgen"
    monkeypatch.setattr(store, "__file__", str(package / "store.py"))
    before = contents(project.parent), snapshot(asyncgen_home)
    outcome = run_cli(command, project.parent, capsys)
    assert_one_line(
        outcome,
        1,
        f"this asyncgen installation is broken: its templates are missing ({package / 'templates'} has "
        "no copier.yml); reinstall it, e.g. `pip install --force-reinstall asyncgen`",
    )
    assert (contents(project.parent), snapshot(asyncgen_home)) == before
    assert git(project, "status", "--porcelain") == ""


@pytest.mark.parametrize("args", [["templates"], ["templates", "--json"]])
def test_templates_is_a_listing_that_writes_nothing(
    tmp_path: Path, asyncgen_home: Path, capsys: pytest.CaptureFixture[str], args: list[str]
) -> None:
    outcome = run_cli(args, tmp_path, capsys)
    assert outcome.code == 0, outcome.err
    assert "fastapi" in outcome.out
    assert list(asyncgen_home.iterdir()) == []
    assert list(tmp_path.iterdir()) == []
