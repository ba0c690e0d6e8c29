"""Generated prose speaks only of what the project has.

Code comments, docstrings, README, Dockerfile, compose file, `.env.example`, the CI
workflow and the Kubernetes manifests of a project rendered without an integration must not name it (nor its
backends), and a project with one backend must not describe another's. Identifiers and
string literals in Python are code, not prose, and are left alone.
"""

import ast
import io
import re
import tokenize
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from asyncgen.frameworks import NAMES

from .helpers import render

Answers = dict[str, str]

FULL = {"database": "postgresql", "cache": "redis", "broker": "rabbitmq", "tasks": "taskiq"}
NONE = {"database": "none", "cache": "none", "broker": "none", "tasks": "none"}
COMBINATIONS = [
    *({**FULL, key: "none"} for key in FULL),
    NONE,
    # Each concrete backend at least once, for what one backend's project says of another.
    {"database": "mysql", "cache": "none", "broker": "nats", "tasks": "taskiq"},
    {"database": "sqlite", "cache": "redis", "broker": "kafka", "tasks": "celery"},
    {"database": "postgresql", "cache": "none", "broker": "rabbitmq", "tasks": "dramatiq"},
]

# (when it applies, what may not appear). Patterns are matched case-insensitively.
FORBIDDEN: list[tuple[Callable[[Answers], bool], list[str]]] = [
    (
        lambda a: a["database"] == "none",
        [
            r"\bdatabases?\b",
            r"\bpostgres(ql)?\b",
            r"\bmysql\b",
            r"\bmariadb\b",
            r"\bsqlite\b",
            r"\bsqlalchemy\b",
            r"\balembic\b",
            r"\bmigrations?\b",
            r"\bDATABASE_\w+",
            r"/data\b",
            r"\*\.db\b",
        ],
    ),
    (
        lambda a: a["cache"] == "none",
        # Not uv's build cache (`type=cache`, `.cache/uv`) nor tool caches (`.ruff_cache`).
        [r"(?<![=.])\bcach(e|es|ed|ing)\b", r"\bredis\b", r"\bREDIS_\w+", r"\bTTL\b"],
    ),
    (
        lambda a: a["broker"] == "none",
        [
            r"\bbrokers?\b",
            r"\brabbitmq\b",
            r"\bamqp\b",
            r"\bnats\b",
            r"\bjetstream\b",
            r"\bkafka\b",
            r"\bBROKER_\w+",
        ],
    ),
    # The outbox carries events and jobs alike.
    (lambda a: a["broker"] == a["tasks"] == "none", [r"\boutbox\b", r"\brelay\b"]),
    (
        lambda a: a["tasks"] == "none",
        [
            r"\btask queues?\b",
            r"\bworkers?\b",
            r"\btaskiq\b",
            r"\bdramatiq\b",
            r"\bcelery\b",
            # Not the CI workflow's `jobs:` key, nor a Kubernetes `Job` (the migrations').
            r"(?-i:\bjobs?\b)(?![:/])",
            r"\bjobs\b(?!:)",
            r"\bbackground (tasks?|jobs?|work)\b",
            r"\bTASK_\w+",
        ],
    ),
    # Nothing left that holds connections, runs as a service or is configured by a URL.
    (lambda a: a["database"] == a["cache"] == "none", [r"\bpools?\b"]),
    (
        lambda a: a["database"] in ("none", "sqlite") and a["cache"] == a["broker"] == "none",
        [r"\bbacking services?\b", r"\bservice containers?\b", r"\bURLs?\b"],
    ),
    # One backend's project does not describe another's. SQLite may appear in a PostgreSQL
    # or MySQL project: it is the embedded default when DATABASE_URL is unset.
    (lambda a: a["database"] in ("postgresql", "sqlite"), [r"\bmysql\b", r"\bmariadb\b", r"\basyncmy\b"]),
    (lambda a: a["database"] in ("mysql", "sqlite"), [r"\bpostgres(ql)?\b", r"\basyncpg\b"]),
    (lambda a: a["broker"] != "rabbitmq", [r"\brabbitmq\b", r"\bamqp\b", r"\baio-pika\b"]),
    (lambda a: a["broker"] != "nats", [r"\bnats\b", r"\bjetstream\b"]),
    (lambda a: a["broker"] != "kafka", [r"\bkafka\b"]),
    (lambda a: a["tasks"] != "taskiq", [r"\btaskiq\b"]),
    (lambda a: a["tasks"] != "dramatiq", [r"\bdramatiq\b"]),
    (lambda a: a["tasks"] != "celery", [r"\bcelery\b"]),
]

# Read whole: every line of these is about the project.
WHOLE_FILES = [
    "Dockerfile",
    "compose.yaml",
    ".env.example",
    ".github/workflows/ci.yml",
    ".github/workflows/update.yml",
    "scripts/smoke.sh",
    "scripts/update-template.sh",
    ".gitignore",
    ".dockerignore",
]
# A README line that tells how to change an answer names the other choice on purpose.
CHANGE_AN_ANSWER = re.compile(r"asyncgen add \w+=")


def ids(answers: Answers) -> str:
    return "-".join(answers.values())


def python_prose(source: str) -> Iterator[tuple[int, str]]:
    """(line, text) of every comment and docstring."""
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type == tokenize.COMMENT:
            yield token.start[0], token.string
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            docstring = ast.get_docstring(node, clean=False)
            if docstring is not None:
                yield node.body[0].lineno, docstring


def prose(project: Path) -> Iterator[tuple[str, int, str]]:
    """(file, line, text) of everything in the project written for people to read."""
    for path in sorted(project.rglob("*.py")):
        for line, text in python_prose(path.read_text()):
            yield str(path.relative_to(project)), line, text
    for number, text in enumerate((project / "README.md").read_text().splitlines(), 1):
        if not CHANGE_AN_ANSWER.search(text):
            yield "README.md", number, text
    names = [
        *WHOLE_FILES,
        *(str(path.relative_to(project)) for path in sorted(project.glob("deploy/**/*.*"))),
    ]
    for name in names:
        path = project / name
        if path.exists():
            for number, text in enumerate(path.read_text().splitlines(), 1):
                yield name, number, text


def mentions_of_what_is_missing(project: Path, answers: Answers) -> list[str]:
    patterns = [
        re.compile(pattern, re.IGNORECASE)
        for applies, group in FORBIDDEN
        if applies(answers)
        for pattern in group
    ]
    return [
        f"{name}:{line}: {match.group(0)!r} in {text.strip()!r}"
        for name, line, text in prose(project)
        for pattern in patterns
        for match in pattern.finditer(text)
    ]


@pytest.mark.parametrize("framework", NAMES)
@pytest.mark.parametrize("answers", COMBINATIONS, ids=ids)
def test_text_names_only_what_the_project_has(tmp_path: Path, answers: Answers, framework: str) -> None:
    project = render(tmp_path / "demo-service", framework=framework, **answers)
    hits = mentions_of_what_is_missing(project, answers)
    assert not hits, "\n".join(hits)


def test_the_scan_reads_comments_and_docstrings_not_code() -> None:
    source = '"""Talks to Redis."""\nredis = 1  # the cache\nvalue = "the database"\n'
    assert [text for _, text in python_prose(source)] == ["# the cache", "Talks to Redis."]
