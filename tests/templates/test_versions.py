"""What a generated project runs on is set once, in templates/_versions.jinja, and agrees.

The uv image is the uv asyncgen itself installs; `requires-python` and ruff's target follow
the lowest supported Python (this machine's 3.11 runs the generated projects' own tests);
the image runs the newest (test_image.py builds and runs it); and no other template names
an image or Python version of its own, so a release bumps each in one place.
"""

import re
import subprocess
import tomllib
from pathlib import Path

import pytest
from uv import find_uv_bin

from .helpers import TEMPLATES, render, versions

# A version written into a template rather than taken from _versions.jinja: an image reference
# with a literal tag (compose, CI services, Dockerfile, `docker run`), or a Python version.
HARD_CODED = [
    re.compile(r"(?:\bimage:|^\s*FROM\s|--from=|\bdocker run\b).*?(?<![\w./-])[a-z][\w./-]*:\d"),
    re.compile(r"\bpython-version:\s*[\"']?\d"),
    re.compile(r"\brequires-python\s*=\s*\"[^\"{]*\d"),
    re.compile(r"\btarget-version\s*=\s*\"py\d"),
]


def hard_coded(line: str) -> bool:
    return any(pattern.search(line) for pattern in HARD_CODED)


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return render(tmp_path_factory.mktemp("versions") / "demo-service")


def test_the_uv_image_is_the_uv_asyncgen_installs() -> None:
    installed = subprocess.run([find_uv_bin(), "--version"], capture_output=True, text=True, check=True)
    match = re.match(r"uv (\d+\.\d+)\.", installed.stdout)
    assert match is not None, installed.stdout
    assert versions().uv == match.group(1)


def test_pyproject_follows_the_lowest_python(project: Path) -> None:
    lowest = versions().python_lowest
    pyproject = tomllib.loads((project / "pyproject.toml").read_text())
    assert pyproject["project"]["requires-python"] == f">={lowest}"
    assert pyproject["tool"]["ruff"]["target-version"] == f"py{lowest.replace('.', '')}"


def test_the_image_runs_the_newest_python_and_asyncgens_uv(project: Path) -> None:
    pinned = versions()
    dockerfile = (project / "Dockerfile").read_text()
    bases = re.findall(r"^FROM (\S+)", dockerfile, re.MULTILINE)
    assert bases == [f"python:{pinned.python}-slim"] * 2
    assert f"COPY --from=ghcr.io/astral-sh/uv:{pinned.uv} /uv " in dockerfile


@pytest.mark.parametrize(
    "line",
    [
        "FROM python:3.12-slim AS build",
        "COPY --from=ghcr.io/astral-sh/uv:0.8 /uv /usr/local/bin/uv",
        "    image: postgres:17",
        "        image: rabbitmq:4-alpine",
        "          docker run -d --name nats -p 4222:4222 nats:2.10-alpine -js",
        '          python-version: "3.12"',
        'requires-python = ">=3.11"',
        'target-version = "py311"',
    ],
)
def test_the_check_sees_a_hard_coded_version(line: str) -> None:
    assert hard_coded(line)


@pytest.mark.parametrize(
    "line",
    [
        "FROM python:{{ python }}-slim AS build",
        "    image: postgres:{{ postgres }}",
        "      DATABASE_URL: postgresql+asyncpg://postgres:postgres@postgres:5432/demo",
        "      REDIS_URL: redis://redis:6379/0",
        "          docker run -d --name nats -p 4222:4222 -p 8222:8222 nats:{{ nats }}-alpine -js",
    ],
)
def test_the_check_leaves_versions_from_the_one_place_alone(line: str) -> None:
    assert not hard_coded(line)


def test_no_other_template_hard_codes_a_version() -> None:
    found = [
        f"{path.relative_to(TEMPLATES)}:{number}: {line.strip()}"
        for path in sorted(TEMPLATES.rglob("*"))
        if path.is_file() and path.name != "_versions.jinja"
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if hard_coded(line)
    ]
    assert found == []
