"""Task workers: copier refuses task libraries with nowhere to queue, and the real worker runs jobs.

The live tests start `python -m demo_service.worker` and `python -m demo_service` against
local RabbitMQ, NATS JetStream and Redis (one library on each), create an item over HTTP
and wait for the job's trace, the `item.processed` log line, in the worker's output (and
not in the web process's). Each run uses a queue name of its own (and a random Redis
database), removed afterwards.
"""

import itertools
import json
import os
import random
import signal
import subprocess
import time
import uuid
from pathlib import Path
from typing import Any

import pytest

from asyncgen.answers import TASK_TRANSPORTS, task_transport, transport_problem

from .helpers import Service, render, require_service, run
from .proxy import TcpProxy

PACKAGE = "demo_service"

# The dependency that shows which transport a rendered project queues on.
TRANSPORT_DEPENDENCY = {
    ("taskiq", "rabbitmq"): "taskiq-aio-pika",
    ("taskiq", "nats"): "taskiq-nats",
    ("taskiq", "redis"): "taskiq-redis",
    ("dramatiq", "rabbitmq"): "dramatiq[rabbitmq]",
    ("dramatiq", "redis"): "dramatiq[redis]",
    ("celery", "rabbitmq"): '"celery>=',
    ("celery", "redis"): "celery[redis]",
}


def choices() -> list[tuple[str, str, str]]:
    return list(
        itertools.product(
            [*TASK_TRANSPORTS, "none"], ["rabbitmq", "nats", "kafka", "none"], ["redis", "none"]
        )
    )


@pytest.mark.parametrize(
    ("tasks", "broker", "cache"),
    [pytest.param(*c, id="-".join(c)) for c in choices() if task_transport(*c) is None],
)
def test_copier_refuses_tasks_with_nowhere_to_queue(
    tmp_path: Path, tasks: str, broker: str, cache: str
) -> None:
    with pytest.raises(ValueError, match="Validation error for question 'tasks'") as refused:
        render(tmp_path / "demo-service", database="none", cache=cache, broker=broker, tasks=tasks)
    problem = transport_problem(tasks, broker, cache)
    assert problem is not None
    assert str(refused.value).endswith(problem)


@pytest.mark.parametrize(
    ("tasks", "broker", "cache"),
    [pytest.param(*c, id="-".join(c)) for c in choices() if task_transport(*c) is not None],
)
def test_copier_renders_every_possible_combination(
    tmp_path: Path, tasks: str, broker: str, cache: str
) -> None:
    project = render(tmp_path / "demo-service", database="none", cache=cache, broker=broker, tasks=tasks)
    package = project / "src" / PACKAGE
    pyproject = (project / "pyproject.toml").read_text()
    assert (package / "worker.py").exists() == (tasks != "none")
    for library in TASK_TRANSPORTS:
        assert (package / "tasks" / f"{library}.py").exists() == (library == tasks)
        assert (library in pyproject) == (library == tasks)
    if tasks == "none":
        return
    transport = task_transport(tasks, broker, cache)
    assert TRANSPORT_DEPENDENCY[tasks, transport] in pyproject
    url = "REDIS_URL" if transport == "redis" else "BROKER_URL"
    assert f"return settings.{url.lower()}\n" in (package / "tasks" / "__init__.py").read_text()
    compose = (project / "compose.yaml").read_text()
    assert f'command: ["python", "-m", "{PACKAGE}.worker"]' in compose
    assert f"depends_on:\n      {transport}:" in compose


# tasks, broker, cache, database: between them RabbitMQ, NATS and Redis carry the queue.
LIVE = {
    "taskiq-nats": ("taskiq", "nats", "none", "none"),
    "dramatiq-rabbitmq": ("dramatiq", "rabbitmq", "none", "sqlite"),
    "celery-redis": ("celery", "none", "redis", "sqlite"),
}
SERVICES = {
    "rabbitmq": ("RabbitMQ", 5672, "amqp://guest:guest@127.0.0.1:5672/"),
    "nats": ("NATS", 4222, "nats://127.0.0.1:4222"),
    "redis": ("Redis", 6379, "redis://127.0.0.1:6379/{db}"),
}
# Remove what a run left on the transport: argv[1] is the queue name, argv[2] the URL.
CLEANUP = {
    "nats": """
import asyncio, sys, nats
async def main():
    client = await nats.connect(sys.argv[2])
    await client.jetstream().delete_stream(sys.argv[1])
    await client.close()
asyncio.run(main())
""",
    "rabbitmq": """
import sys, pika
connection = pika.BlockingConnection(pika.URLParameters(sys.argv[2]))
channel = connection.channel()
for suffix in ("", ".DQ", ".XQ"):
    channel.queue_delete(sys.argv[1] + suffix)
connection.close()
""",
    "redis": """
import sys, redis
redis.Redis.from_url(sys.argv[2]).flushdb()
""",
}


def log_events(path: Path) -> list[dict[str, Any]]:
    events = []
    for line in path.read_text(errors="replace").splitlines():
        if line.startswith("{"):
            try:
                events.append(json.loads(line))
            except json.JSONDecodeError:
                continue
    return events


def wait_for(path: Path, process: subprocess.Popen[bytes], match: dict[str, Any], timeout: float) -> float:
    """Seconds until a JSON log line containing `match` shows in `path`; fails after timeout."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if any(match.items() <= event.items() for event in log_events(path)):
            return time.monotonic() - started
        assert process.poll() is None, f"worker exited {process.returncode}:\n{path.read_text()}"
        time.sleep(0.1)
    pytest.fail(f"no {match} in the worker's output within {timeout}s:\n{path.read_text()}")


# Each case as is; one more whose web process finds its queue away at the create and back a
# second later: the send is retried, and the job still runs in the worker.
CASES = [pytest.param(case, False, id=case) for case in LIVE] + [
    pytest.param("celery-redis", True, id="celery-redis-queue-away-at-create")
]


@pytest.mark.slow
@pytest.mark.parametrize(("case", "queue_away"), CASES)
def test_the_worker_runs_the_job_of_a_create(tmp_path: Path, case: str, queue_away: bool) -> None:
    tasks, broker, cache, database = LIVE[case]
    transport = task_transport(tasks, broker, cache)
    assert transport is not None
    name, port, url = SERVICES[transport]
    require_service(name, "127.0.0.1", port)

    project = render(tmp_path / "demo-service", database=database, cache=cache, broker=broker, tasks=tasks)
    run(["git", "init", "-q"], project)
    run(["uv", "sync", "-q"], project)

    queue = f"asyncgen_{uuid.uuid4().hex[:12]}"
    url = url.format(db=random.randint(1, 15))
    env = {
        "TASK_QUEUE": queue,
        "LOG_LEVEL": "INFO",
        "REDIS_URL" if transport == "redis" else "BROKER_URL": url,
    }
    if database == "sqlite":  # one file, shared by the web process and the worker
        env["DATABASE_URL"] = f"sqlite+aiosqlite:///{tmp_path / 'shared.db'}"

    # The worker always reaches the queue; with queue_away the web process goes through a
    # proxy that starts listening only after the create.
    proxy = TcpProxy(port)
    web_env = dict(env)
    if queue_away:
        url_key = "REDIS_URL" if transport == "redis" else "BROKER_URL"
        web_env[url_key] = url.replace(f":{port}", f":{proxy.port}")
    worker_log = tmp_path / "worker.log"
    with worker_log.open("wb") as output:
        worker = subprocess.Popen(
            ["uv", "run", "--no-sync", "python", "-m", f"{PACKAGE}.worker"],
            cwd=project,
            env={**{k: v for k, v in os.environ.items() if k != "VIRTUAL_ENV"}, **env},
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # so a failed run can kill uv and the worker under it
        )
    try:
        wait_for(worker_log, worker, {"event": "worker.started", "transport": transport, "queue": queue}, 30)
        with Service(project, PACKAGE, web_env) as service:
            status, item = service.post("/api/items", {"name": "queued", "price": 1})
            assert status == 201, item
            if queue_away:
                time.sleep(1)
                proxy.restore()
            took = wait_for(worker_log, worker, {"event": "item.processed", "item_id": item["id"]}, 15)
            assert service.terminate() == 0
            web_output = service.process.stdout.read().decode() if service.process.stdout else ""
        assert "item.processed" not in web_output  # it ran in the worker, not the web process
        assert ("task.enqueue_retry" in web_output) == queue_away, web_output
        assert "task.enqueue_failed" not in web_output, web_output
        print(f"{case}: job ran in the worker {took:.2f}s after the create")

        worker.send_signal(signal.SIGTERM)
        assert worker.wait(timeout=20) == 0, worker_log.read_text()
        assert any(event["event"] == "worker.stopped" for event in log_events(worker_log))

        # The generated suite passes with the queue on the real transport too.
        run(["uv", "run", "--no-sync", "pytest", "-q", "-p", "no:cacheprovider"], project, env)
    finally:
        proxy.cut()
        if worker.poll() is None:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait()
        cleanup = ["uv", "run", "--no-sync", "python", "-c", CLEANUP[transport], queue, url]
        subprocess.run(cleanup, cwd=project, capture_output=True, timeout=30, check=False)
