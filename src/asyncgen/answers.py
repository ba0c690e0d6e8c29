"""The template's answers (exactly the questions of templates/copier.yml) and answers files."""

from __future__ import annotations

import json
import keyword
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, StringConstraints, model_validator

from asyncgen.errors import UsageError
from asyncgen.frameworks import AVAILABLE


def _available(name: str) -> str:
    if name not in AVAILABLE:
        raise ValueError(f"{name!r} is not one of {', '.join(AVAILABLE)}")
    return name


def _importable(name: str) -> str:
    if keyword.iskeyword(name.replace("-", "_")):
        raise ValueError(f"{name!r} is a Python keyword and cannot name a package")
    return name


ProjectName = Annotated[
    str, StringConstraints(pattern=r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$"), AfterValidator(_importable)
]
# The frameworks whose template folder exists; the recommendation ranks more (frameworks.py).
Framework = Annotated[str, AfterValidator(_available)]
Database = Literal["postgresql", "mysql", "sqlite", "none"]
Cache = Literal["redis", "none"]
Broker = Literal["rabbitmq", "nats", "kafka", "none"]
Tasks = Literal["taskiq", "dramatiq", "celery", "none"]

INFRA_KEYS = ("database", "cache", "broker", "tasks")

# Where each task library can keep its queue. The queue rides on the chosen broker when the
# library supports it, else on Redis (the cache); with neither, the combination cannot work.
TASK_TRANSPORTS: dict[str, tuple[str, ...]] = {
    "taskiq": ("rabbitmq", "nats", "redis"),
    "dramatiq": ("rabbitmq", "redis"),
    "celery": ("rabbitmq", "redis"),
}


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

    @model_validator(mode="after")
    def _tasks_have_a_transport(self) -> TemplateAnswers:
        problem = transport_problem(self.tasks, self.broker, self.cache)
        if problem:
            raise ValueError(problem)
        return self

    @property
    def package_name(self) -> str:
        return self.project_name.replace("-", "_")


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
            problem = str(exc).strip().splitlines()[0]
            raise UsageError(f"answers file {path} is not valid YAML: {problem}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise UsageError(f"answers file {path} must hold a mapping of keys to values")
    return {str(key): value for key, value in data.items()}
