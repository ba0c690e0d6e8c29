"""The generated suite and its migration against real PostgreSQL, MariaDB and Redis.

Each run works in a database of its own (created and dropped here) and a random Redis
database number, so parallel runs do not collide.
"""

from pathlib import Path

import pytest

from .helpers import redis_database, render, require_service, run, throwaway_database

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("database", ["postgresql", "mysql"])
def test_suite_and_migrations_against_real_services(tmp_path: Path, database: str) -> None:
    require_service("Redis", "127.0.0.1", 6379)
    project = render(tmp_path / "demo-service", database=database, cache="redis")
    run(["git", "init", "-q"], project)
    run(["uv", "sync", "-q"], project)

    with throwaway_database(project, database) as url, redis_database() as redis_url:
        env = {"DATABASE_URL": url, "REDIS_URL": redis_url}
        alembic = ["uv", "run", "--no-sync", "alembic"]
        run([*alembic, "upgrade", "head"], project, env)
        assert "(head)" in run([*alembic, "current"], project, env)
        run(["uv", "run", "--no-sync", "pytest", "-q", "-p", "no:cacheprovider"], project, env)
        run([*alembic, "downgrade", "base"], project, env)
        run([*alembic, "upgrade", "head"], project, env)
