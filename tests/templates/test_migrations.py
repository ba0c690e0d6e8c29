"""Alembic's history is the same whatever the broker and tasks answers, so no database is
left behind.

The outbox migrations are a branch of their own, there only with a broker or tasks (events
and jobs share the outbox). Databases migrated by a 0.7.0 project (at each of its revisions,
with and without a broker) update to this template, then have a broker and tasks added or
dropped with `asyncgen add`, and each time `alembic upgrade heads` brings them to exactly what
the models say, on PostgreSQL and MariaDB.
"""

import io
import json
import subprocess
import tarfile
from pathlib import Path

import pytest

from asyncgen.answers import TemplateAnswers
from asyncgen.generate import Generation
from asyncgen.store import Release, TemplateStore
from asyncgen.update import change_answers, update_project

from .helpers import TEMPLATES, Service, run, throwaway_database

pytestmark = pytest.mark.slow

OLD = "0.7.0"  # revisions 0001 to 0004 in one line, 0004's parent chosen by the broker answer
NEW = "99.1.0"  # above every shipped release, so `asyncgen update` takes these templates


def synced(project: Path) -> Path:
    """`uv sync`, and its lock committed: copier updates only a clean worktree."""
    run(["uv", "sync", "-q"], project)
    run(["git", "add", "-A"], project)
    run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "sync", "--allow-empty"],
        project,
    )
    return project


def released(store: TemplateStore, tmp_path: Path, version: str) -> Release:
    """The templates of a shipped release, out of the store's history."""
    archive = subprocess.run(
        ["git", "archive", f"v{version}"], cwd=store.path, capture_output=True, check=True
    ).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(tmp_path / f"templates-{version}", filter="data")
    return Release(tmp_path / f"templates-{version}", version)


# Many databases per Alembic process: each `alembic` command costs seconds of imports.
MIGRATE = """
import io, json, sys
from alembic import command
from alembic.config import Config

targets, check = json.loads(sys.argv[1]), sys.argv[2] == "check"
heads = []
for url, target in targets.items():
    current = io.StringIO()
    config = Config("alembic.ini", stdout=current)
    config.set_main_option("sqlalchemy.url", url)
    command.upgrade(config, target)
    command.current(config)
    heads.append(sorted(line.split()[0] for line in current.getvalue().splitlines()))
    if check:
        command.check(config)  # fails unless the database holds exactly what the models say
print(json.dumps(heads))
"""


def migrate(project: Path, targets: dict[str, str], check: bool = True) -> list[list[str]]:
    """`alembic upgrade` each database to its target; the revisions each is then at."""
    python = str(project / ".venv" / "bin" / "python")
    arguments = [json.dumps(targets), "check" if check else "no check"]
    heads: list[list[str]] = json.loads(run([python, "-c", MIGRATE, *arguments], project))
    return heads


def upgrade_heads(project: Path, *urls: str, check: bool = True) -> list[list[str]]:
    return migrate(project, dict.fromkeys(urls, "heads"), check)


def creates(project: Path, url: str) -> None:
    with Service(project, "demo_service", {"DATABASE_URL": url}) as service:
        status, item = service.post("/api/items", {"name": "after the migrations", "price": 1})
        assert status == 201, item
        service.stop()


@pytest.mark.parametrize("database", ["postgresql", "mysql"])
def test_databases_follow_the_broker_answer_both_ways(tmp_path: Path, database: str) -> None:
    store = TemplateStore(str(tmp_path / "home"))
    new = Release(TEMPLATES, NEW)
    store.ready(new)
    old = released(store, tmp_path, OLD)

    def generated(broker: str) -> Path:
        answers = TemplateAnswers(
            project_name="demo-service",
            framework="fastapi",
            database=database,
            cache="none",
            broker=broker,
            tasks="none",
        )
        return synced(Generation(answers, tmp_path / broker / "demo-service", store, old).run())

    with_broker, without = generated("rabbitmq"), generated("none")
    with (
        throwaway_database(with_broker, database) as b1,
        throwaway_database(with_broker, database) as b2,
        throwaway_database(with_broker, database) as b3,
        throwaway_database(with_broker, database) as b4,
        throwaway_database(with_broker, database) as fresh_b,
        throwaway_database(without, database) as n1,
        throwaway_database(without, database) as n4,
        throwaway_database(without, database) as fresh_n,
    ):
        # Databases as 0.7.0 projects left them, at each revision those projects had.
        at = {b1: "0001", b2: "0002", b3: "0003", b4: "0004"}
        assert migrate(with_broker, at, check=False) == [[revision] for revision in at.values()]
        assert migrate(without, {n1: "0001", n4: "0004"}, check=False) == [["0001"], ["0004"]]

        # The update to these templates, answers unchanged; b2 waits for the broker's removal.
        for project in (with_broker, without):
            update_project(project, store=store, release=new)
            synced(project)
        both = ["0004", "0005"]  # the app's head and the outbox branch's
        assert upgrade_heads(with_broker, b1, b3, b4, fresh_b) == [both] * 4
        assert upgrade_heads(without, n1, n4, fresh_n) == [["0004"]] * 3

        # A broker added to a migrated database: the outbox comes with the next upgrade.
        change_answers(without, ["broker=rabbitmq"], store=store, release=new)
        synced(without)
        assert upgrade_heads(without, n1, n4, fresh_n) == [both] * 3
        creates(without, n4)

        # The broker dropped: its tables stay (so no `alembic check`: no model names them any
        # more), its revisions are forgotten, and nothing fails.
        change_answers(with_broker, ["broker=none"], store=store, release=new)
        synced(with_broker)
        assert upgrade_heads(with_broker, b1, b2, b3, b4, fresh_b, check=False) == [["0004"]] * 5

        # And added back: the outbox the database kept is the one the models expect.
        change_answers(with_broker, ["broker=rabbitmq"], store=store, release=new)
        synced(with_broker)
        assert upgrade_heads(with_broker, b2, fresh_b) == [both] * 2

        # Tasks added beside the broker: jobs share the outbox, nothing to migrate.
        change_answers(without, ["tasks=celery"], store=store, release=new)
        synced(without)
        assert upgrade_heads(without, n1, n4, fresh_n) == [both] * 3
        # The broker dropped, the tasks kept (on Redis now): the outbox stays, as the jobs'.
        change_answers(without, ["broker=none", "cache=redis"], store=store, release=new)
        synced(without)
        assert upgrade_heads(without, n1, n4, fresh_n) == [both] * 3
        creates(without, n4)
        # The tasks dropped too: as with the broker above.
        change_answers(without, ["tasks=none"], store=store, release=new)
        synced(without)
        assert upgrade_heads(without, n1, n4, fresh_n, check=False) == [["0004"]] * 3
        # And tasks alone added back: the outbox the database kept is the one the models expect.
        change_answers(without, ["tasks=taskiq"], store=store, release=new)
        synced(without)
        assert upgrade_heads(without, n1, fresh_n) == [both] * 2
