"""Every pair of option values, the framework included, generated and tested live here.

A covering array: the fewest projects such that every pair of values of two options
(framework x database, database x cache, broker x tasks, ...) appears together in at least
one project, built
greedily from the combinations the generator accepts (`asyncgen.answers.task_transport`).
Each project runs its own suite against the real PostgreSQL, MariaDB, Redis, RabbitMQ and
NATS named in its environment, so a silent fallback to an embedded default fails it, and
takes its migrations down and up again on PostgreSQL and MariaDB. A SQLite project's suite
keeps its own throwaway SQLite, as its README allows (with Redis, one file for the run,
whose item ids the cache outlives); every framework has a SQLite row.
"""

import itertools
import os
import random
import uuid
from contextlib import ExitStack
from pathlib import Path

import pytest

from asyncgen._validation import choices_of
from asyncgen.answers import INFRA_KEYS, TemplateAnswers, task_transport
from asyncgen.frameworks import NAMES

from .helpers import (
    generated_suite,
    nats_streams,
    rabbitmq_vhost,
    redis_database,
    render,
    run,
    throwaway_database,
)

Row = tuple[str, ...]
KEYS = ("framework", *INFRA_KEYS)


def choices() -> list[tuple[str, ...]]:
    return [NAMES, *(choices_of(TemplateAnswers, key) for key in INFRA_KEYS)]


def valid(row: Row) -> bool:
    options = dict(zip(KEYS, row, strict=True))
    return task_transport(options["tasks"], options["broker"], options["cache"]) is not None


def pairs_of(row: Row) -> set[tuple[int, str, int, str]]:
    return {(i, row[i], j, row[j]) for i, j in itertools.combinations(range(len(row)), 2)}


def covering_array(tries: int = 30) -> list[Row]:
    """Greedy, best of a few seeded tie-break orders: small, and the same on every run."""
    values = choices()
    candidates = [row for row in itertools.product(*values) if valid(row)]
    everything = set().union(*(pairs_of(row) for row in candidates))
    best_rows: list[Row] | None = None
    for seed in range(tries):
        order = candidates[:]
        random.Random(seed).shuffle(order)
        uncovered, rows = set(everything), []
        while uncovered:
            row = max(order, key=lambda row: len(pairs_of(row) & uncovered))
            rows.append(row)
            uncovered -= pairs_of(row)
        if best_rows is None or len(rows) < len(best_rows):
            best_rows = rows
    assert best_rows is not None
    return best_rows


MATRIX = covering_array()


def test_the_matrix_covers_every_possible_pair() -> None:
    values = choices()
    possible = set().union(*(pairs_of(r) for r in itertools.product(*values) if valid(r)))
    covered = set().union(*(pairs_of(row) for row in MATRIX))
    assert covered == possible
    assert all(valid(row) for row in MATRIX)
    # No array is smaller than the two largest options' value counts multiplied (5 frameworks x
    # 4 databases: 20 rows); greedy construction stays within a quarter of that.
    largest, second = sorted(map(len, values))[-2:]
    assert len(MATRIX) <= 1.25 * largest * second
    # Each framework's suite and mypy run here alone on SQLite (test_generated_project.py).
    assert {row[0] for row in MATRIX if row[1] == "sqlite"} == set(NAMES)


@pytest.mark.slow
@pytest.mark.parametrize("row", MATRIX, ids=["-".join(row) for row in MATRIX])
def test_generated_project_passes_against_live_services(tmp_path: Path, row: Row) -> None:
    framework, database, cache, broker, tasks, auth = row
    project = render(
        tmp_path / "demo-service",
        framework=framework,
        database=database,
        cache=cache,
        broker=broker,
        tasks=tasks,
        auth=auth,
    )
    run(["git", "init", "-q"], project)
    run(["uv", "sync", "-q"], project)
    # Strict typing and lint hold for every option a framework is combined with.
    run(["uv", "run", "--no-sync", "mypy"], project)
    # Names on the broker are this run's own, so nothing declared by another run interferes.
    namespace = f"matrix_{uuid.uuid4().hex[:12]}"
    env = {"BROKER_NAMESPACE": namespace, "TASK_QUEUE": f"{namespace}_tasks"}
    with ExitStack() as stack:
        alembic = ["uv", "run", "--no-sync", "alembic"]
        if database in ("postgresql", "mysql"):
            env["DATABASE_URL"] = stack.enter_context(throwaway_database(project, database))
            run([*alembic, "upgrade", "heads"], project, env)
            assert "(head)" in run([*alembic, "current"], project, env)
        if cache == "redis":
            env["REDIS_URL"] = stack.enter_context(redis_database())
        if broker == "rabbitmq":
            env["BROKER_URL"] = stack.enter_context(rabbitmq_vhost())
        elif broker == "nats":
            env["BROKER_URL"] = stack.enter_context(nats_streams(project, namespace))
        elif broker == "kafka" and os.environ.get("KAFKA_BOOTSTRAP"):
            env["BROKER_URL"] = f"kafka://{os.environ['KAFKA_BOOTSTRAP']}"
        generated_suite(project, env=env)
        if database in ("postgresql", "mysql"):
            # Every migration has a working downgrade, on the data the suite left.
            run([*alembic, "downgrade", "base"], project, env)
            run([*alembic, "upgrade", "heads"], project, env)
