"""The generated suite and its migration against real PostgreSQL, MariaDB and Redis.

Each run works in a database of its own (created and dropped here) and a random Redis
database number, so parallel runs do not collide.
"""

import random
import uuid
from pathlib import Path

import pytest

from .helpers import render, require_service, run

pytestmark = pytest.mark.slow

ADMIN_SCRIPTS = {
    "postgresql": """
import asyncio, sys, asyncpg
async def main():
    conn = await asyncpg.connect("postgresql://postgres@127.0.0.1:5432/test")
    await conn.execute(sys.argv[1])
    await conn.close()
asyncio.run(main())
""",
    "mysql": """
import asyncio, sys, asyncmy
async def main():
    conn = await asyncmy.connect(host="127.0.0.1", port=3306, user="root", password="")
    async with conn.cursor() as cursor:
        await cursor.execute(sys.argv[1])
    conn.close()
asyncio.run(main())
""",
}
SERVICES = {
    "postgresql": ("PostgreSQL", 5432, "postgresql+asyncpg://postgres@127.0.0.1:5432/{db}"),
    "mysql": ("MariaDB", 3306, "mysql+asyncmy://root@127.0.0.1:3306/{db}"),
}


@pytest.mark.parametrize("database", ["postgresql", "mysql"])
def test_suite_and_migrations_against_real_services(tmp_path: Path, database: str) -> None:
    name, port, url = SERVICES[database]
    require_service(name, "127.0.0.1", port)
    require_service("Redis", "127.0.0.1", 6379)

    project = render(tmp_path / "demo-service", database=database, cache="redis")
    run(["git", "init", "-q"], project)
    run(["uv", "sync", "-q"], project)

    db = f"asyncgen_{uuid.uuid4().hex[:12]}"
    admin = ["uv", "run", "--no-sync", "python", "-c", ADMIN_SCRIPTS[database]]
    run([*admin, f"CREATE DATABASE {db}"], project)
    env = {
        "DATABASE_URL": url.format(db=db),
        "REDIS_URL": f"redis://127.0.0.1:6379/{random.randint(1, 15)}",
    }
    try:
        alembic = ["uv", "run", "--no-sync", "alembic"]
        run([*alembic, "upgrade", "head"], project, env)
        assert "0001 (head)" in run([*alembic, "current"], project, env)
        run(["uv", "run", "--no-sync", "pytest", "-q", "-p", "no:cacheprovider"], project, env)
        run([*alembic, "downgrade", "base"], project, env)
        run([*alembic, "upgrade", "head"], project, env)
    finally:
        run([*admin, f"DROP DATABASE {db}"], project)
