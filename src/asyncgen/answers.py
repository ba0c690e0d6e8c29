"""The template's answers (exactly the questions of templates/copier.yml) and answers files."""

from __future__ import annotations

import json
import keyword
import re
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, StringConstraints, model_validator

from asyncgen.errors import UsageError
from asyncgen.frameworks import NAMES


def _known(name: str) -> str:
    if name not in NAMES:
        raise ValueError(f"{name!r} is not one of {', '.join(NAMES)}")
    return name


def _importable(name: str) -> str:
    if keyword.iskeyword(name.replace("-", "_")):
        raise ValueError(f"{name!r} is a Python keyword and cannot name a package")
    return name


ProjectName = Annotated[
    str, StringConstraints(pattern=r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$"), AfterValidator(_importable)
]
Framework = Annotated[str, AfterValidator(_known)]  # frameworks.py's names
Database = Literal["postgresql", "mysql", "sqlite", "none"]
Cache = Literal["redis", "none"]
Broker = Literal["rabbitmq", "nats", "kafka", "none"]
Tasks = Literal["taskiq", "dramatiq", "celery", "none"]
Auth = Literal["none", "jwt", "apikey"]

# Every answer after the framework: the services a project runs on, and what guards its writes.
INFRA_KEYS = ("database", "cache", "broker", "tasks", "auth")

# Where each task library can keep its queue. The queue rides on the chosen broker when the
# library supports it, else on Redis (the cache); with neither, the combination cannot work.
TASK_TRANSPORTS: dict[str, tuple[str, ...]] = {
    "taskiq": ("rabbitmq", "nats", "redis"),
    "dramatiq": ("rabbitmq", "redis"),
    "celery": ("rabbitmq", "redis"),
}


def normalise_project_name(typed: str) -> str:
    """A name as people type it, made canonical the way uv and PEP 503 do.

    `MyService`, `my_service`, `my.service` and `My__Service` all become `my-service`: word
    boundaries in CamelCase and runs of `-`, `_` and `.` become one hyphen, letters are
    lowercased, and separators around the name are dropped. Only what cannot become a
    name whose package imports is refused, with the reason.
    """
    name = typed.strip()
    if not name:
        raise UsageError("project_name: is empty")
    odd = sorted({char for char in name if not (char.isascii() and (char.isalnum() or char in "-_."))})
    if odd:
        shown = " ".join(repr(char) for char in odd)
        raise UsageError(
            f"project_name: {typed!r} has {shown}: a name holds only ASCII letters, digits, '-', '_' and '.'"
        )
    name = re.sub(r"([A-Z]+)([A-Z][a-z]{2,})", r"\1-\2", name)  # HTTPServer -> HTTP-Server
    name = re.sub(r"([a-z0-9])([A-Z])", r"\1-\2", name)  # MyService -> My-Service
    name = re.sub(r"[-_.]+", "-", name).strip("-").lower()
    if not any(char.isalpha() for char in name):
        raise UsageError(f"project_name: {typed!r} has no letters")
    if name[0].isdigit():
        raise UsageError(
            f"project_name: {typed!r} starts with a digit, so its package {package_of(name)!r} "
            "could not be imported"
        )
    if keyword.iskeyword(package_of(name)):
        raise UsageError(f"project_name: {package_of(name)!r} is a Python keyword and cannot name a package")
    return name


def package_of(project_name: str) -> str:
    """The Python package a (canonical) project name gives: `my-service` -> `my_service`."""
    return project_name.replace("-", "_")


def task_transport(tasks: str, broker: str, cache: str) -> str | None:
    """The service the task queue runs on, or None when the choices leave it nowhere."""
    if tasks == "none":
        return "none"
    supported = TASK_TRANSPORTS[tasks]
    if broker in supported:
        return broker
    if cache == "redis" and "redis" in supported:
        return "redis"
    return None


def transport_problem(tasks: str, broker: str, cache: str) -> str | None:
    """Why these choices cannot work together, and what would, or None when they can."""
    if task_transport(tasks, broker, cache) is not None:
        return None
    brokers = [name for name in TASK_TRANSPORTS[tasks] if name != "redis"]
    return (
        f"tasks={tasks} needs {' or '.join(f'broker={b}' for b in brokers)}, or cache=redis "
        f"to queue on Redis (got broker={broker}, cache={cache}); or choose tasks=none"
    )


class TemplateAnswers(BaseModel):
    """Complete answers handed to copier; `.copier-answers.yml` records exactly these."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    project_name: ProjectName
    framework: Framework
    database: Database = "postgresql"
    cache: Cache = "redis"
    broker: Broker = "rabbitmq"
    tasks: Tasks = "taskiq"
    auth: Auth = "none"

    @model_validator(mode="after")
    def _tasks_have_a_transport(self) -> TemplateAnswers:
        problem = transport_problem(self.tasks, self.broker, self.cache)
        if problem:
            raise ValueError(problem)
        return self

    @property
    def package_name(self) -> str:
        return package_of(self.project_name)


def read_answers_file(path: Path) -> dict[str, Any]:
    """Load a YAML or JSON answers file as a flat mapping; any problem is one UsageError line."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot read answers file {path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise UsageError(f"cannot read answers file {path}: not UTF-8 text") from None
    if path.suffix == ".json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise UsageError(f"answers file {path} is not valid JSON: {exc}") from None
    else:
        import yaml  # YAML also reads JSON; imported here to keep `asyncgen --help` fast

        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise UsageError(f"answers file {path} is not valid YAML: {yaml_problem(exc)}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise UsageError(f"answers file {path} must hold a mapping of keys to values")
    return {str(key): value for key, value in data.items()}


def yaml_problem(exc: Exception) -> str:
    """A YAML parse error in one line, with where it is when PyYAML knows."""
    problem, mark = getattr(exc, "problem", None), getattr(exc, "problem_mark", None)
    if problem and mark:
        return f"{problem} at line {mark.line + 1}, column {mark.column + 1}"
    return str(exc).strip().splitlines()[0]
