"""Whole log lines from processes that share one stdout, under PYTHONUNBUFFERED=1 as in the image.

Several processes write to one pipe: the serving processes of `WEB_CONCURRENCY=2` (granian's,
Sanic's and aiohttp's supervisors) and Celery's prefork pool. A record written in two pieces
(structlog's PrintLogger writes the message and its newline apart) then runs into another
process's record on one line, which a log shipper rejects. Read back line by line, every line
must be one JSON object.
"""

import json
import os
import subprocess
import threading
import time
from pathlib import Path

import pytest

from .helpers import Service, redis_database, render, request, run

pytestmark = pytest.mark.slow

PACKAGE = "demo_service"
# Enough records from two writers at once that torn lines showed every run before the fix
# (about 1 in 100 lines of a Celery worker's, more of two serving processes').
RECORDS = 600


def torn_lines(path: Path, known: frozenset[str] = frozenset()) -> list[str]:
    """The lines that are not one JSON object each (`known` plain-text lines aside)."""
    torn = []
    for line in path.read_text().splitlines():
        if line in known:
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            torn.append(line)
            continue
        if not isinstance(record, dict):
            torn.append(line)
    return torn


def records(path: Path, event: str) -> int:
    count = 0
    for line in path.read_text().splitlines():
        try:
            count += json.loads(line).get("event") == event
        except (json.JSONDecodeError, AttributeError):
            continue
    return count


# The three kinds of supervisor: granian (FastAPI), Sanic's own, aiohttp's.
@pytest.mark.parametrize("framework", ["fastapi", "sanic", "aiohttp"])
def test_two_serving_processes_write_whole_json_lines(tmp_path: Path, framework: str) -> None:
    # Without REDIS_URL the web process runs its jobs itself: one `item.processed` record per create.
    project = render(
        tmp_path / "demo-service",
        framework=framework,
        database="none",
        cache="redis",
        broker="none",
        tasks="taskiq",
    )
    run(["uv", "sync", "-q"], project)
    log = tmp_path / "service.log"
    env = {"WEB_CONCURRENCY": "2", "PYTHONUNBUFFERED": "1", "LOG_LEVEL": "info"}
    with log.open("wb") as output, Service(project, PACKAGE, env, stdout=output) as service:

        def create(n: int) -> None:
            for i in range(n):
                status, _ = request(f"{service.base}/api/items", "POST", {"name": f"log-{i}", "price": 1})
                assert status == 201

        threads = [threading.Thread(target=create, args=(RECORDS // 6,)) for _ in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(120)
        deadline = time.monotonic() + 10
        while records(log, "item.processed") < RECORDS and time.monotonic() < deadline:
            time.sleep(0.1)
        service.stop(20)
    torn = torn_lines(log)
    assert not torn, f"{len(torn)} lines are not one JSON object: {torn[:3]}"
    assert records(log, "item.processed") == RECORDS


# Celery prints this to stdout on SIGTERM whatever its settings (celery.apps.worker's
# _shutdown_handler): a whole line of its own, not a record.
CELERY_SAYS = frozenset({"", "worker: Warm shutdown (MainProcess)"})

ENQUEUE = """
import sys
from demo_service.tasks.celery import create_app
app = create_app(sys.argv[1], sys.argv[2])
for item_id in range(int(sys.argv[3])):
    app.send_task("process_item", kwargs={"item_id": item_id})
app.close()
"""


def test_celery_prefork_children_write_whole_json_lines(tmp_path: Path) -> None:
    project = render(
        tmp_path / "demo-service",
        framework="starlette",
        database="none",
        cache="redis",
        broker="none",
        tasks="celery",
    )
    run(["uv", "sync", "-q"], project)
    python = str(project / ".venv" / "bin" / "python")
    log = tmp_path / "worker.log"
    with redis_database() as redis_url:
        env = {
            **{k: v for k, v in os.environ.items() if k != "VIRTUAL_ENV"},
            "REDIS_URL": redis_url,
            "TASK_QUEUE": "log-lines",
            "PYTHONUNBUFFERED": "1",
            "LOG_LEVEL": "info",
        }
        # Queued first, so the pool's processes take them as fast as they can, side by side.
        subprocess.run(
            [python, "-c", ENQUEUE, redis_url, "log-lines", str(RECORDS)],
            cwd=project,
            env=env,
            check=True,
            timeout=120,
        )
        # stdout alone, as a log shipper reads it: Python's warnings (Celery's about running as
        # root, which the image does not) go to stderr as plain text.
        with log.open("wb") as output, (tmp_path / "worker.err").open("wb") as errors:
            worker = subprocess.Popen(
                [python, "-m", f"{PACKAGE}.worker"],
                cwd=project,
                env=env,
                stdout=output,
                stderr=errors,
                start_new_session=True,
            )
            try:
                deadline = time.monotonic() + 60
                while records(log, "item.processed") < RECORDS and time.monotonic() < deadline:
                    assert worker.poll() is None, log.read_text()
                    time.sleep(0.2)
                worker.terminate()
                assert worker.wait(30) == 0, log.read_text()[-2000:]
            finally:
                if worker.poll() is None:
                    os.killpg(worker.pid, 9)
                    worker.wait()
    torn = torn_lines(log, CELERY_SAYS)
    assert not torn, f"{len(torn)} lines are not one JSON object: {torn[:3]}"
    assert records(log, "item.processed") == RECORDS
