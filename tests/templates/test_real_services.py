"""Each framework's suite and the migrations against real PostgreSQL (or MariaDB), Redis and RabbitMQ.

Each run works in a database of its own (created and dropped here), a random Redis
database number and a RabbitMQ virtual host of its own, so parallel runs do not collide.
"""

from pathlib import Path

import pytest

from asyncgen.frameworks import AVAILABLE

from .helpers import rabbitmq_vhost, redis_database, render, run, throwaway_database

pytestmark = pytest.mark.slow

CASES = [(framework, "postgresql") for framework in AVAILABLE] + [(AVAILABLE[0], "mysql")]


@pytest.mark.parametrize(("framework", "database"), CASES, ids=["-".join(case) for case in CASES])
def test_suite_and_migrations_against_real_services(tmp_path: Path, framework: str, database: str) -> None:
    project = render(
        tmp_path / "demo-service", framework=framework, database=database, cache="redis", broker="rabbitmq"
    )
    run(["git", "init", "-q"], project)
    run(["uv", "sync", "-q"], project)

    with (
        throwaway_database(project, database) as url,
        redis_database() as redis_url,
        rabbitmq_vhost() as broker_url,
    ):
        env = {"DATABASE_URL": url, "REDIS_URL": redis_url, "BROKER_URL": broker_url}
        alembic = ["uv", "run", "--no-sync", "alembic"]
        run([*alembic, "upgrade", "head"], project, env)
        assert "(head)" in run([*alembic, "current"], project, env)
        run(["uv", "run", "--no-sync", "pytest", "-q", "-p", "no:cacheprovider"], project, env)
        run([*alembic, "downgrade", "base"], project, env)
        run([*alembic, "upgrade", "head"], project, env)
