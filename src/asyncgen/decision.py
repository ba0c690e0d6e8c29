"""The decision records asyncgen writes into a project's `docs/adr/` (MADR-like markdown).

`new` writes the first record: the requirements the team gave, the ranking with its
reasons, the framework and options chosen, and what they bring and cost. `asyncgen add`
writes the next number for each later change. Records are history: asyncgen never edits
one once written, and the copier template never renders this folder, so `copier update`
leaves them as they are.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from asyncgen.answers import INFRA_KEYS, task_transport
from asyncgen.frameworks import BY_NAME
from asyncgen.questions import INFRA_QUESTIONS, REQUIREMENT_QUESTIONS

if TYPE_CHECKING:
    from asyncgen.questionnaire import Plan

ADR_DIR = Path("docs") / "adr"
FIRST_RECORD = ADR_DIR / "0001-framework-and-stack.md"  # what `new` writes besides the template

REASON_PLACEHOLDER = "_TODO (the team): write here why this changed._"


@dataclass(frozen=True)
class Consequence:
    gives: str
    costs: str


# What each infrastructure choice brings a project and what it costs, in one table.
# {store} and {outbox} name what the project has (see _phrases): no database, no database talk.
CONSEQUENCES: dict[tuple[str, str], Consequence] = {
    ("database", "postgresql"): Consequence(
        "items in PostgreSQL through SQLAlchemy 2 async and asyncpg, with Alembic migrations",
        "a PostgreSQL server to run and back up in every environment (compose.yaml and CI start one)",
    ),
    ("database", "mysql"): Consequence(
        "items in MySQL or MariaDB through SQLAlchemy 2 async and asyncmy, with Alembic migrations",
        "a MySQL or MariaDB server to run and back up in every environment",
    ),
    ("database", "sqlite"): Consequence(
        "items in a SQLite file through SQLAlchemy 2 async and aiosqlite: no database server to run",
        "one writer at a time and one file per instance: instances cannot share their items",
    ),
    ("database", "none"): Consequence(
        "nothing to run for storage: a stateless service",
        "items live in process memory: they are lost on restart and not shared between instances",
    ),
    ("cache", "redis"): Consequence(
        "reads served from Redis (redis.asyncio, cache-aside with a TTL) with an in-process layer in "
        "front; if Redis goes away, reads fall through to {store}",
        "a Redis server to run, and a readiness check that says degraded while it is away",
    ),
    ("cache", "none"): Consequence(
        "no cache server to run and no cached copy to keep in step",
        "every read goes to {store}",
    ),
    ("broker", "rabbitmq"): Consequence(
        "item.created events on RabbitMQ (aio-pika): publisher confirms, a durable queue per "
        "instance; {outbox}",
        "a RabbitMQ server to run",
    ),
    ("broker", "nats"): Consequence(
        "item.created events on NATS JetStream (nats-py): acknowledged publishes, a durable consumer "
        "per instance; {outbox}",
        "a NATS server to run, with JetStream enabled",
    ),
    ("broker", "kafka"): Consequence(
        "item.created events on Kafka (aiokafka): an idempotent producer with acks from every "
        "replica, a consumer group per instance, a log other services can replay; {outbox}",
        "a Kafka cluster to run, the heaviest of the brokers to operate",
    ),
    ("broker", "none"): Consequence(
        "no broker to run: item.created events go straight to this process's subscribers",
        "no item.created events stream between instances or to other services: an SSE or "
        "WebSocket client sees only the creates its own instance handled",
    ),
    ("tasks", "taskiq"): Consequence(
        "background jobs with taskiq, async-native: jobs run on the worker's event loop",
        "a worker process to run beside the web process",
    ),
    ("tasks", "dramatiq"): Consequence(
        "background jobs with Dramatiq, its AsyncIO middleware running the async jobs",
        "a worker process to run beside the web process; the queue lives on RabbitMQ or Redis only",
    ),
    ("tasks", "celery"): Consequence(
        "background jobs with Celery, the most widely known Python task queue",
        "a worker process to run; Celery has no asyncio of its own, so each worker process runs "
        "its jobs on one event loop",
    ),
    ("tasks", "none"): Consequence(
        "no background worker and no task queue to run",
        "no background jobs: work after a create has to happen inside the request",
    ),
    ("auth", "none"): Consequence(
        "nothing to configure: every client can create and delete items",
        "no authentication: put the service behind something that authenticates, or keep it private",
    ),
    ("auth", "jwt"): Consequence(
        "writes need a bearer token from the team's OIDC issuer with the `items:write` scope, "
        "verified against the issuer's published keys (PyJWT); reads stay open",
        "an OIDC issuer to run or rent, and its issuer URL and audience in every environment",
    ),
    ("auth", "apikey"): Consequence(
        "writes need an `X-API-Key`; the service keeps only SHA-256 digests of its keys; reads stay open",
        "keys to hand out, rotate and revoke by hand (`API_KEYS`); a key names no user",
    ),
}


def _phrases(answers: dict[str, Any]) -> dict[str, str]:
    """The words CONSEQUENCES fills in, for the storage this project really has."""
    if answers["database"] == "none":
        return {
            "store": "the in-process item store",
            "outbox": "an in-memory outbox publishes them once the broker is reachable, but events "
            "still pending when the process stops are lost",
        }
    return {
        "store": "the database",
        "outbox": "a transactional outbox table publishes them once the broker is reachable, so a "
        "broker outage loses none",
    }


_NOUNS = {key: key for key in ("framework", "database", "cache", "broker")} | {
    "tasks": "task queue",
    "auth": "authentication",
}
_TRANSPORTS = {"rabbitmq": "RabbitMQ", "nats": "NATS JetStream", "redis": "Redis"}


def _label(key: str, value: str) -> str:
    """How the questionnaire shows a value, e.g. 'PostgreSQL (asyncpg)'; frameworks by title."""
    if key == "framework":
        return BY_NAME[value].title
    question = next(q for q in INFRA_QUESTIONS if q.key == key)
    return next(label for label, choice in question.choices if choice == value)


def _short(key: str, value: str) -> str:
    """The label without its library: 'PostgreSQL (asyncpg)' -> 'PostgreSQL'."""
    return _label(key, value).split(" (")[0]


def _uses(key: str, value: str | None, answers: dict[str, Any]) -> str:
    if value is None:
        return "not recorded"
    if value == "none":
        return "nothing"
    uses = _label(key, value)
    if key == "tasks":
        transport = task_transport(value, answers["broker"], answers["cache"])
        uses += f", queued on {_TRANSPORTS.get(str(transport), str(transport))}"
    return uses


def _effects(key: str, value: str, answers: dict[str, Any]) -> tuple[list[str], list[str]]:
    """What one choice gives and costs, as bullet lines, worded for this project's other answers."""
    if key == "framework":
        framework = BY_NAME[value]
        return (
            [f"{framework.title}: {gain}" for gain in framework.gains],
            [f"{framework.title}: {cost}" for cost in framework.costs],
        )
    consequence, phrases = CONSEQUENCES[key, value], _phrases(answers)
    return (
        [f"`{key}={value}`: {consequence.gives.format(**phrases)}"],
        [f"`{key}={value}`: {consequence.costs.format(**phrases)}"],
    )


def _consequences(
    keys: list[str], answers: dict[str, Any], before: dict[str, Any] | None = None
) -> list[str]:
    """'What the team gets' and 'what it gives up'. With `before`, an unchanged key shows only
    the lines the change rewrote, marked as such."""
    gets: list[str] = []
    gives_up: list[str] = []
    for key in keys:
        gains, costs = _effects(key, answers[key], answers)
        if before is not None and before.get(key) == answers[key]:
            old_gains, old_costs = _effects(key, answers[key], before)
            gains = [_mark(line) for line in gains if line not in old_gains]
            costs = [_mark(line) for line in costs if line not in old_costs]
        gets += gains
        gives_up += costs
    return [
        "## Consequences",
        "",
        "What the team gets:",
        "",
        *[f"- {line}" for line in gets or ["nothing new"]],
        "",
        "What it gives up:",
        "",
        *[f"- {line}" for line in gives_up or ["nothing"]],
    ]


def _mark(line: str) -> str:
    return line.replace(":", " (unchanged, but affected by this change):", 1)


def _options_table(answers: dict[str, Any], note: str, notes: dict[str, str]) -> list[str]:
    rows = [f"| option | value | uses | {note} |", "|---|---|---|---|"]
    for key in INFRA_KEYS:
        uses = _uses(key, answers[key], answers)
        rows.append(f"| {key} | `{answers[key]}` | {uses} | {notes.get(key, '')} |")
    return rows


def _header(number: int, title: str, day: datetime.date, *extra: str) -> list[str]:
    return [f"# {number}. {title}", "", "- Status: accepted", f"- Date: {day.isoformat()}", *extra, ""]


def render_first_record(plan: Plan, version: str, day: datetime.date | None = None) -> str:
    """The record `new` writes: requirements, ranking, decision, consequences."""
    day = day or datetime.date.today()
    answers: dict[str, str] = plan.answers.model_dump()
    framework = BY_NAME[answers["framework"]]
    stack = [_short(key, answers[key]) for key in INFRA_KEYS if answers[key] != "none"]
    title = f"Use {framework.title}" + (f" with {_join(stack)}" if stack else "")
    lines = _header(1, title, day, f"- Generated by: asyncgen, templates {version}")
    lines += [
        "## Context",
        "",
        f"{answers['project_name']} is a new async Python service. asyncgen asked the team what "
        "the service needs, ranked the async frameworks it knows against the answers, and "
        "generated the project from the framework and options below. This record keeps why the "
        "project looks the way it does.",
        "",
        'Requirements ("the team": given on the command line, in an answers file or at a '
        'prompt; "default": not asked or not given):',
        "",
        "| requirement | answer | from |",
        "|---|---|---|",
    ]
    requirements = plan.requirements.model_dump()
    for question in REQUIREMENT_QUESTIONS:
        value = requirements[question.key]
        label = next(label for label, choice in question.choices if choice == value)
        source = "the team" if question.key in plan.answered else "default"
        lines.append(f"| {question.prompt} (`{question.key}`) | {label} | {source} |")
    if not any(question.key in plan.answered for question in REQUIREMENT_QUESTIONS):
        lines += ["", "No requirement was given, so the ranking below is for the defaults."]
    lines += [
        "",
        "## Considered options",
        "",
        "Each framework's score is the sum of the rules that apply to the requirements; its "
        "reasons are exactly those rules.",
        "",
        "| rank | framework | score | reasons |",
        "|---:|---|---:|---|",
    ]
    for rank, rec in enumerate(plan.ranking, start=1):
        name = BY_NAME[rec.framework].title
        reasons = "; ".join(rec.reasons) or "no rule applies"
        lines.append(f"| {rank} | {name} | {rec.score} | {reasons} |")
    lines += ["", "## Decision", "", *_framework_decision(plan), ""]
    notes = {key: "the team" if key in plan.answered else "default" for key in INFRA_KEYS}
    lines += [*_options_table(answers, "from", notes), ""]
    lines += _consequences(["framework", *INFRA_KEYS], answers)
    lines += [
        "",
        "## Later changes",
        "",
        "`asyncgen add KEY=VALUE` (for example `asyncgen add cache=none`) changes an option and "
        "adds the next record to this folder; this one stays as written. `copier update` never "
        "touches this folder.",
    ]
    return "\n".join(lines) + "\n"


def _framework_decision(plan: Plan) -> list[str]:
    chosen = BY_NAME[plan.answers.framework]
    best = plan.ranking[0]
    lines: list[str] = []
    if chosen.name == best.framework:
        accepted = ", accepted by the team" if "framework" in plan.answered else ""
        lines.append(f"Chosen: **{chosen.title}**, the recommendation (score {best.score}){accepted}.")
    else:
        score = next(rec.score for rec in plan.ranking if rec.framework == chosen.name)
        lines.append(
            f"Chosen: **{chosen.title}** (score {score}), picked by the team over the recommendation, "
            f"{BY_NAME[best.framework].title} (score {best.score})."
        )
    return [" ".join(lines), "", "With these options:"]


def render_change_record(
    number: int,
    before: dict[str, Any],
    after: dict[str, Any],
    command: str,
    earlier: list[str],
    day: datetime.date | None = None,
) -> str:
    """A later record: what `asyncgen add` changed (old -> new) and what the new values bring."""
    day = day or datetime.date.today()
    changed = _changed(before, after)
    lines = _header(number, _change_title(changed, after), day, f"- Changed with: `{command}`")
    lines += [
        "## Context",
        "",
        f"**Why:** {REASON_PLACEHOLDER}",
        "",
        "| option | before | after |",
        "|---|---|---|",
        *[
            f"| {key} | `{before.get(key)}`: {_uses(key, before.get(key), before)} "
            f"| `{after[key]}`: {_uses(key, after[key], after)} |"
            for key in changed
        ],
        "",
    ]
    if earlier:
        links = ", ".join(f"[{name}]({name})" for name in earlier)
        lines += [f"Earlier records stay as they were written: {links}.", ""]
    lines += ["## Decision", ""]
    if "framework" in changed:
        lines += [f"The project moves to **{BY_NAME[after['framework']].title}**.", ""]
    notes = {key: "changed" for key in changed}
    lines += ["The project's options now:", "", *_options_table(after, "", notes), ""]
    # An unchanged choice whose consequences moved with the change (e.g. the broker's outbox
    # when the database goes) is stated again.
    affected = tuple(
        key
        for key in INFRA_KEYS
        if key not in changed and _effects(key, after[key], before) != _effects(key, after[key], after)
    )
    lines += _consequences([*changed, *affected], after, before)
    return "\n".join(lines) + "\n"


def _changed(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    return [key for key in ("framework", *INFRA_KEYS) if before.get(key) != after.get(key)]


def _change_title(changed: list[str], after: dict[str, Any]) -> str:
    if len(changed) > 1:
        return f"Change {_join([_NOUNS[key] for key in changed])}"
    key = changed[0]
    if after[key] == "none":
        return f"Remove the {_NOUNS[key]}"
    return f"Use {_short(key, after[key])} as {_NOUNS[key]}"


def _slug(changed: list[str], after: dict[str, Any]) -> str:
    """'use-nats-as-broker', 'remove-the-cache', 'change-cache-and-broker'."""
    key = changed[0]
    if len(changed) == 1 and after[key] != "none":
        title = f"use {after[key]} as {_NOUNS[key]}"
    else:
        title = _change_title(changed, after)
    return re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")


def _join(words: list[str]) -> str:
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} and {words[-1]}"


def write_first_record(project: Path, plan: Plan, version: str) -> Path:
    path = project / FIRST_RECORD
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_first_record(plan, version), encoding="utf-8")
    return path


def add_change_record(
    project: Path, before: dict[str, Any], changes: dict[str, Any], command: str
) -> Path | None:
    """Write the next record for `changes` over `before`; None when nothing really changed."""
    after = {**before, **changes}
    changed = _changed(before, after)
    if not changed:
        return None
    folder = project / ADR_DIR
    earlier = sorted(path.name for path in folder.glob("[0-9][0-9][0-9][0-9]-*.md"))
    number = max((int(name[:4]) for name in earlier), default=0) + 1
    text = render_change_record(number, before, after, command, earlier)
    path = folder / f"{number:04d}-{_slug(changed, after)}.md"
    folder.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path
