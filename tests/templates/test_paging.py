"""Keyset paging on the live databases: the page query walks the primary key's index on
PostgreSQL, and the generated suite's walk under change holds on PostgreSQL and MariaDB."""

from pathlib import Path

import pytest

from .helpers import generated_suite, render, run, throwaway_database

pytestmark = pytest.mark.slow

# Fills the table, then asks PostgreSQL how it runs the repository's own page statement for
# a deep page (with the planner's statistics up to date, as in production).
EXPLAIN = """
import asyncio, sys
from datetime import UTC, datetime
from sqlalchemy import insert, text
from sqlalchemy.dialects import postgresql
from demo_service.db import Database, ItemRow
from demo_service.items import repository

async def main() -> None:
    database = Database(sys.argv[1])
    await database.create_tables()
    now = datetime.now(UTC)
    rows = [{"name": f"item-{n}", "price": 1.0, "created_at": now} for n in range(20_000)]
    async with database.transaction() as session:
        await session.execute(insert(ItemRow), rows)
    # The statement as the repository builds it, its values filled in (all integers).
    sql = str(repository._PAGE.compile(dialect=postgresql.dialect(paramstyle="pyformat")))
    sql %= {"after": 19_000, "limit": 51, "offset": 0}
    async with database.transaction() as session:
        await session.execute(text("ANALYZE items"))
        plan = (await session.execute(text(f"EXPLAIN {sql}"))).scalars().all()
    await database.close()
    print("\\n".join(plan))

asyncio.run(main())
"""


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # PostgreSQL's driver and MariaDB's both: the project answers one database, and the
    # other's driver is added to the same venv.
    project = render(
        tmp_path_factory.mktemp("paging") / "demo-service",
        framework="starlette",
        database="postgresql",
        cache="none",
        broker="none",
        tasks="none",
    )
    run(["git", "init", "-q"], project)
    run(["uv", "sync", "-q"], project)
    run(["uv", "pip", "install", "-q", "asyncmy"], project)
    return project


def test_a_deep_page_is_an_index_scan_on_postgresql(project: Path) -> None:
    with throwaway_database(project, "postgresql") as url:
        plan = run(["uv", "run", "--no-sync", "python", "-c", EXPLAIN, url], project)
    assert "Index Scan using items_pkey on items" in plan, plan
    assert "Index Cond: (id > 19000)" in plan, plan
    assert "Seq Scan" not in plan, plan
    assert "Sort" not in plan, plan


@pytest.mark.parametrize("database", ["postgresql", "mysql"])
def test_the_walk_under_change_holds_on_a_live_database(project: Path, database: str) -> None:
    with throwaway_database(project, database) as url:
        out = generated_suite(project, "tests/test_paging.py", env={"DATABASE_URL": url})
    assert "7 passed" in out, out
