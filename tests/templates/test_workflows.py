"""The generated GitHub workflows: lint clean, test on the supported Pythons, build the image.

actionlint (with shellcheck on every `run:` script) and GitHub's workflow schema
(check-jsonschema) check every workflow file of projects that between them take every
database, cache, broker and tasks value; CI tests on the lowest and the highest supported
Python, read from `_versions.jinja`; its image job builds the image and runs
`scripts/smoke.sh`, which is run here once against a real image.
"""

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from containers import base_images, docker, docker_env, require_engine, versions

from .helpers import TEMPLATES, render
from services import require_tool

# Every value of database, cache, broker and tasks at least once, on five frameworks.
KEYS = ("framework", "database", "cache", "broker", "tasks")
COMBINATIONS = [
    dict(zip(KEYS, row.split(), strict=True))
    for row in (
        "fastapi postgresql redis rabbitmq taskiq",
        "litestar mysql none nats taskiq",
        "sanic sqlite redis kafka dramatiq",
        "aiohttp none redis none celery",
        "quart none none none none",
    )
]
WORKFLOWS = ["ci.yml", "update.yml"]
SCRIPTS = ["smoke.sh", "update-template.sh"]


def lint(*files: Path) -> subprocess.CompletedProcess[str]:
    """actionlint, which runs shellcheck on every `run:` script when shellcheck is on PATH."""
    actionlint = require_tool("actionlint")
    require_tool("shellcheck")
    return subprocess.run(
        [actionlint, "-no-color", *map(str, files)], capture_output=True, text=True, check=False
    )


def test_the_linter_runs_shellcheck_on_run_scripts(tmp_path: Path) -> None:
    """The lint below is a real gate: an unquoted variable in a step fails it."""
    workflow = tmp_path / "bad.yml"
    workflow.write_text(
        "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: rm $FILE\n"
    )
    done = lint(workflow)
    assert done.returncode == 1
    assert "SC2086" in done.stdout


@pytest.mark.parametrize("answers", COMBINATIONS, ids=lambda a: "-".join(a.values()))
def test_workflows_and_scripts_lint_clean(tmp_path: Path, answers: dict[str, str]) -> None:
    project = render(tmp_path / "svc", **answers)
    workflows = sorted((project / ".github" / "workflows").iterdir())
    assert [path.name for path in workflows] == WORKFLOWS
    done = lint(*workflows)
    assert done.returncode == 0, done.stdout + done.stderr
    schema = subprocess.run(
        [
            require_tool("check-jsonschema"),
            "--builtin-schema",
            "vendor.github-workflows",
            *map(str, workflows),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert schema.returncode == 0, schema.stdout + schema.stderr
    scripts = [project / "scripts" / name for name in SCRIPTS]
    assert all(os.access(script, os.X_OK) for script in scripts)
    checked = subprocess.run([require_tool("shellcheck"), *map(str, scripts)], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stdout


def test_ci_tests_the_lowest_and_highest_python_and_smoke_tests_the_image(tmp_path: Path) -> None:
    project = render(tmp_path / "svc")
    jobs = yaml.safe_load((project / ".github" / "workflows" / "ci.yml").read_text())["jobs"]
    known = versions()
    assert jobs["test"]["strategy"]["matrix"]["python"] == [known.python_lowest, known.python]
    setup = next(
        step for step in jobs["test"]["steps"] if step.get("uses", "").startswith("astral-sh/setup-uv")
    )
    assert setup["with"]["python-version"] == "${{ matrix.python }}"
    assert f'requires-python = ">={known.python_lowest}"' in (project / "pyproject.toml").read_text()
    runs = [step["run"] for step in jobs["image"]["steps"] if "run" in step]
    assert runs == ["docker build -t demo-service:ci .", "scripts/smoke.sh demo-service:ci"]


@pytest.mark.parametrize("answers", COMBINATIONS, ids=lambda answers: "-".join(answers.values()))
def test_ci_services_are_healthy_when_compose_says_so(tmp_path: Path, answers: dict[str, str]) -> None:
    """CI's service containers and compose's services share one health check each: compose's
    own found RabbitMQ's `ping` passing before its listener took connections."""
    project = render(tmp_path / "svc", **answers)
    jobs = yaml.safe_load((project / ".github" / "workflows" / "ci.yml").read_text())["jobs"]
    services = yaml.safe_load((project / "compose.yaml").read_text())["services"]
    for name, container in jobs["test"].get("services", {}).items():
        options = container["options"]
        ci_check = options.split('--health-cmd "', 1)[1].split('"', 1)[0]
        kind, *command = services[name]["healthcheck"]["test"]
        compose_check = command[0] if kind == "CMD-SHELL" else " ".join(command)
        assert ci_check == compose_check, name


def smoke(image: str, project: Path) -> subprocess.CompletedProcess[str]:
    require_tool("curl")
    return subprocess.run(
        [str(project / "scripts" / "smoke.sh"), image],
        cwd=project,
        env=docker_env(),
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """The default project's image, as its CI builds it; the smoke run gives it no environment."""
    require_engine()
    base_images()
    project = render(tmp_path_factory.mktemp("smoke") / "svc", database="postgresql")
    image = f"asyncgen-ci-smoke-{os.getpid()}"
    docker("build", "-q", "-t", image, str(project))
    yield image, project
    docker("rmi", "-f", image, f"{image}-dead", check=False)


@pytest.mark.slow
def test_smoke_script_passes_on_the_built_image(built: tuple[str, Path]) -> None:
    image, project = built
    done = smoke(image, project)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.splitlines()[-1] == "smoke: stopped cleanly (exit 0)"
    assert "smoke: created an item" in done.stdout


@pytest.mark.slow
def test_smoke_script_fails_an_image_that_dies_at_start(built: tuple[str, Path], tmp_path: Path) -> None:
    image, project = built
    (tmp_path / "Dockerfile").write_text(
        f'FROM {image}\nCMD ["python", "-c", "print(\'broken on purpose\'); raise SystemExit(3)"]\n'
    )
    docker("build", "-q", "-t", f"{image}-dead", str(tmp_path))
    done = smoke(f"{image}-dead", project)
    assert done.returncode == 1
    assert "smoke: the container exited before turning healthy" in done.stderr
    assert "broken on purpose" in done.stderr  # its log, to see why
