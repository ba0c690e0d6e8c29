"""Render the option matrix and check the output reads like hand-written, lint-clean code."""

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from copier import run_copy
from jinja2 import TemplateNotFound

from asyncgen.frameworks import NAMES, BY_NAME

from services import require_tool

from .helpers import TEMPLATES, render

COMBINATIONS = [
    {"database": "sqlite", "cache": "redis", "broker": "rabbitmq", "tasks": "taskiq"},
    {"database": "postgresql", "cache": "redis", "broker": "nats", "tasks": "celery"},
    {"database": "mysql", "cache": "redis", "broker": "kafka", "tasks": "dramatiq"},
    {"database": "none", "cache": "none", "broker": "none", "tasks": "none"},
    {"database": "none", "cache": "redis", "broker": "none", "tasks": "taskiq"},
    {"database": "sqlite", "cache": "none", "broker": "rabbitmq", "tasks": "none"},
    # Every task library on each transport it supports (see test_workers.py).
    {"database": "postgresql", "cache": "none", "broker": "rabbitmq", "tasks": "dramatiq"},
    {"database": "sqlite", "cache": "none", "broker": "nats", "tasks": "taskiq"},
    {"database": "mysql", "cache": "none", "broker": "rabbitmq", "tasks": "celery"},
    # Each broker with the in-memory outbox (no database); see test_brokers.py.
    {"database": "none", "cache": "none", "broker": "kafka", "tasks": "none"},
    {"database": "none", "cache": "redis", "broker": "rabbitmq", "tasks": "none"},
    {"database": "none", "cache": "none", "broker": "nats", "tasks": "none"},
]

# Files (relative to the project) that exist only with an option chosen.
OWNED = {
    ("database", "none"): ["alembic.ini", "migrations", "src/demo_service/db"],
    ("database", "sqlite"): ["deploy/kubernetes/base/hpa.yaml", "deploy/kubernetes/base/pdb.yaml"],
    ("cache", "none"): ["src/demo_service/cache.py", "tests/test_cache.py"],
    ("broker", "none"): ["src/demo_service/broker", "tests/test_broker.py"],
    ("tasks", "none"): [
        "src/demo_service/tasks",
        "src/demo_service/worker.py",
        "tests/test_tasks.py",
        "deploy/kubernetes/base/worker.yaml",
    ],
}


# Every framework with every combination: each web layer guards its own option-specific code.
RENDERS = [{"framework": framework, **combination} for framework in NAMES for combination in COMBINATIONS]


def ids(answers: dict[str, str]) -> str:
    return "-".join(answers.values())


@pytest.fixture(scope="module", params=RENDERS, ids=ids)
def project(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return render(tmp_path_factory.mktemp("render") / "demo-service", **request.param)


def text_files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file() and ".git" not in p.parts]


# GitHub Actions' own expressions, which the workflow templates write out verbatim.
GITHUB_EXPRESSION = re.compile(r"\$\{\{ [^{}]+ \}\}")


def test_no_leftover_jinja(project: Path) -> None:
    for path in text_files(project):
        text = path.read_text()
        if path.name == "script.py.mako":
            continue  # Alembic's own template language
        if path.parent == project / ".github" / "workflows":
            text = GITHUB_EXPRESSION.sub("", text)
        for marker in ("{{", "{%", "%}"):
            assert marker not in text, f"{marker} left in {path.relative_to(project)}"


def test_no_runs_of_blank_lines(project: Path) -> None:
    for path in text_files(project):
        text = path.read_text()
        assert not re.search(r"\n[ \t]*\n[ \t]*\n[ \t]*\n", text), path.relative_to(project)
        assert not text.startswith("\n"), path.relative_to(project)
        if text:
            assert text.endswith("\n") and not text.endswith("\n\n"), path.relative_to(project)


def test_unchosen_options_leave_no_files(project: Path) -> None:
    answers = (project / ".copier-answers.yml").read_text()
    for (question, none_value), paths in OWNED.items():
        chosen = f"{question}: {none_value}" not in answers
        for relative in paths:
            assert (project / relative).exists() == chosen, relative


def test_ruff_clean(project: Path) -> None:
    for command in (["ruff", "check", "--no-cache", "."], ["ruff", "format", "--no-cache", "--check", "."]):
        result = subprocess.run(command, cwd=project, capture_output=True, text=True, check=False)
        assert result.returncode == 0, result.stdout + result.stderr


def test_compose_file_is_valid(project: Path) -> None:
    # Checked against the Compose schema by docker-compose, not run: no Docker engine here.
    compose = require_tool("docker-compose")
    result = subprocess.run(
        [compose, "-f", "compose.yaml", "config", "-q"], cwd=project, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    text = (project / "compose.yaml").read_text()
    for anchor in re.findall(r"&([\w-]+)", text):
        assert f"*{anchor}" in text, f"YAML anchor &{anchor} is never used"


def framework_files(optional: bool = False) -> set[str]:
    """What the shared tree takes from the chosen framework's folder, as paths inside it:
    the files every framework has, or (`optional`) those it may have (`ignore missing`)."""
    wanted = set()
    for path in (TEMPLATES / "project").rglob("*.jinja"):
        text = path.read_text()
        found = re.findall(r'(?:include|from) framework ~ "/([^"]+)"( ignore missing)?', text)
        wanted |= {name for name, missing in found if bool(missing) == optional}
        if optional:  # a list names the shared fallback after the framework's own file
            wanted |= set(re.findall(r'include \[framework ~ "/([^"]+)", "_\w+/', text))
    return wanted


def test_the_shared_tree_takes_only_the_web_layer_from_a_framework() -> None:
    assert framework_files() == {
        "framework.jinja",
        "app.py.jinja",
        "api/__init__.py.jinja",
        "api/errors.py.jinja",
        "api/health.py.jinja",
        "api/metrics.py.jinja",
        "api/rate_limit.py.jinja",
        "api/realtime.py.jinja",
        "items/routes.py.jinja",
    }
    # A section of the README that only some frameworks have to say (Quart: coming from Flask),
    # a server entry of its own (Sanic), a test harness beyond the shared ASGI one.
    assert framework_files(optional=True) == {
        "README.md.jinja",
        "__main__.py.jinja",
        "tests/harness.py.jinja",
    }


@pytest.mark.parametrize("framework", NAMES)
def test_a_framework_folder_holds_exactly_its_web_layer(framework: str) -> None:
    folder = TEMPLATES / framework
    held = {str(path.relative_to(folder)) for path in folder.rglob("*") if path.is_file()}
    # The server entry is the framework's own only where no shared one serves it.
    server = re.search(r'set server = "(\w+)"', (folder / "framework.jinja").read_text())
    assert server, f"{framework}/framework.jinja names no server"
    assert server[1] == BY_NAME[framework].server
    shared_entry = (TEMPLATES / "_servers" / f"{server[1]}.py.jinja").is_file()
    assert held - framework_files(optional=True) == framework_files()
    assert ("__main__.py.jinja" in held) != shared_entry
    # The interface the suite's harness drives: the shared ASGI one unless the folder brings its own.
    interface = re.search(r'set interface = "(\w+)"', (folder / "framework.jinja").read_text())
    assert interface, f"{framework}/framework.jinja names no interface"
    assert interface[1] == "asgi" or "tests/harness.py.jinja" in held


def test_only_a_quart_readme_has_a_section_for_flask_developers(project: Path) -> None:
    quart = "framework: quart" in (project / ".copier-answers.yml").read_text()
    assert ("## Coming from Flask" in (project / "README.md").read_text()) == quart


def test_a_framework_folder_missing_a_file_fails_the_render(tmp_path: Path) -> None:
    templates = tmp_path / "templates"
    shutil.copytree(TEMPLATES, templates)
    (templates / "fastapi" / "api" / "health.py.jinja").unlink()
    with pytest.raises(TemplateNotFound, match="fastapi/api/health.py.jinja"):
        run_copy(
            str(templates),
            str(tmp_path / "out"),
            data={"project_name": "demo-service", "framework": "fastapi"},
            defaults=True,
            quiet=True,
        )


def test_every_shared_partial_is_used() -> None:
    shared = TEMPLATES / "_shared"
    included = set()
    for path in TEMPLATES.rglob("*.jinja"):
        for target in re.findall(r'(?:include|import|from) "(_shared/[^"]+)"', path.read_text()):
            assert (TEMPLATES / target).is_file(), f"{path} includes missing {target}"
            included.add(TEMPLATES / target)
    unused = set(shared.rglob("*.jinja")) - included
    assert not unused, f"partials nothing uses: {sorted(map(str, unused))}"
