"""Task workers: copier refuses task libraries with nowhere to queue, and the real worker runs jobs.

The live tests start `python -m demo_service.worker` with exactly the environment the
project's compose.yaml gives its worker (service names pointed at the local RabbitMQ, NATS
JetStream and Redis), for every task library with every broker answer, queue a job (a create
over HTTP) and wait for its trace, the `item.processed` log line, in the worker's output.
Others SIGKILL a worker in the middle of a job and check the next one runs it exactly once,
or export the web process's and the worker's spans to a stand-in collector and find a create,
its event and its job in one trace.
Each run uses a queue name of its own, removed afterwards.
"""

import itertools
import os
import re
import signal
import subprocess
import time
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

from asyncgen.answers import TASK_TRANSPORTS, task_transport, transport_problem

from .collector import SpanCollector
from .helpers import (
    Service,
    flush_redis_database,
    free_port,
    generated_suite,
    log_records,
    metric_total,
    redis_database,
    render,
    require_service,
    run,
    wait_until,
)
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


# Every task library with every broker answer that gives its worker another environment, in
# compose.yaml: the queue on the broker, or on Redis beside the broker's BROKER_URL (nats,
# kafka) or with no BROKER_URL at all (none). Each with cache=redis and an SQLite file, so the
# worker also gets REDIS_URL and DATABASE_URL, as compose hands them to it.
LIVE_BROKERS = {
    "taskiq": ("rabbitmq", "nats", "kafka", "none"),
    "dramatiq": ("rabbitmq", "nats", "kafka", "none"),
    "celery": ("rabbitmq", "nats", "kafka", "none"),
}
# The rows that also run the generated project's own suite against the live queue: one per
# transport, enough to show the suite passes there, and cheaper than every row.
RUN_SUITE = {("taskiq", "nats"), ("dramatiq", "rabbitmq"), ("celery", "none")}
SERVICES = {
    "rabbitmq": ("RabbitMQ", 5672),
    "nats": ("NATS", 4222),
    "redis": ("Redis", 6379),
}
# Kafka carries only the web process's events here, and this machine has none: a Kafka row's
# job is queued by the project's own client instead of a create, unless KAFKA_BOOTSTRAP
# (host:port) names a Kafka to create against.
KAFKA_BOOTSTRAP = os.environ.get("KAFKA_BOOTSTRAP")
# compose.yaml's addresses (service names, compose's own credentials) and where the same
# things are on this machine. Anything else in the environment is kept as compose has it.
COMPOSE_TO_LOCAL = {
    "amqp://app:app@rabbitmq:5672/": "amqp://guest:guest@127.0.0.1:5672/",  # only guest here
    "nats://nats:4222": "nats://127.0.0.1:4222",
    "redis://redis:6379/0": "{redis_url}",
    "kafka://kafka:9092": f"kafka://{KAFKA_BOOTSTRAP or '127.0.0.1:9092'}",
    "sqlite+aiosqlite:////data/": "sqlite+aiosqlite:///{data}/",
}
# A log line about the job outbox, however its JSON is spaced.
JOB_KIND = re.compile(r'"kind":\s*"job"')
COMPOSE_HOST = re.compile(r"[@/](postgres|mysql|redis|rabbitmq|nats|kafka):\d")
# Remove what a run left on the transport: argv[1] is the queue name, argv[2] the URL. Redis
# needs none: each run has a database of its own, emptied afterwards.
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
import importlib.util, sys
queue, url = sys.argv[1:3]
names = [queue + suffix for suffix in ("", ".DQ", ".XQ", ".dead_letter")]
if importlib.util.find_spec("pika"):  # Dramatiq's client
    import pika
    connection = pika.BlockingConnection(pika.URLParameters(url))
    channel = connection.channel()
    for name in names:
        channel.queue_delete(name)
    channel.exchange_delete(queue)
    connection.close()
elif importlib.util.find_spec("kombu"):  # Celery's
    import kombu
    with kombu.Connection(url) as connection:
        for name in names:
            connection.default_channel.queue_delete(name)
        connection.default_channel.exchange_delete(queue)
else:  # taskiq's
    import asyncio, aio_pika
    async def main():
        connection = await aio_pika.connect(url)
        channel = await connection.channel()
        for name in names:
            await channel.queue_delete(name)
        await channel.exchange_delete(queue)
        await connection.close()
    asyncio.run(main())
""",
}
# The job of a create, queued by the project's own client (as the web process would).
# Bound as the web process binds a request's id, so the job must carry it to the worker.
ENQUEUE = f"""
import asyncio, sys
import structlog
from {PACKAGE}.outbox import Entry
from {PACKAGE}.settings import Settings
from {PACKAGE}.tasks import create_task_queue
async def main():
    queue = create_task_queue(Settings())
    with structlog.contextvars.bound_contextvars(request_id=f"req-{{sys.argv[1]}}"):
        await queue.send(Entry("job", "process_item", {{"item_id": int(sys.argv[1])}}))
    await queue.close()
asyncio.run(main())
"""


def log_events(path: Path) -> list[dict[str, Any]]:
    return log_records(path.read_text(errors="replace"))


def wait_for(path: Path, process: subprocess.Popen[bytes], match: dict[str, Any], timeout: float) -> float:
    """Seconds until a JSON log line containing `match` shows in `path`; fails after timeout."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if any(match.items() <= event.items() for event in log_events(path)):
            return time.monotonic() - started
        assert process.poll() is None, f"worker exited {process.returncode}:\n{path.read_text()}"
        time.sleep(0.1)
    pytest.fail(f"no {match} in the worker's output within {timeout}s:\n{path.read_text()}")


@pytest.fixture(scope="module")
def project_for(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str, str], Path]:
    """A rendered and synced project per (tasks, broker), shared by this module's tests."""
    made: dict[tuple[str, str], Path] = {}

    def project(tasks: str, broker: str) -> Path:
        if (tasks, broker) not in made:
            path = render(
                tmp_path_factory.mktemp(f"{tasks}-{broker}") / "demo-service",
                database="sqlite",
                cache="redis",
                broker=broker,
                tasks=tasks,
            )
            run(["git", "init", "-q"], path)
            run(["uv", "sync", "-q"], path)
            made[tasks, broker] = path
        return made[tasks, broker]

    return project


def compose_environment(project: Path, data: Path, redis_url: str) -> dict[str, str]:
    """The worker service's environment in compose.yaml, pointed at this machine's services."""
    worker = yaml.safe_load((project / "compose.yaml").read_text())["services"]["worker"]
    assert "env_file" not in worker, "compose now reads an env_file: give the worker its contents too"
    local = {
        compose: here.format(redis_url=redis_url, data=data) for compose, here in COMPOSE_TO_LOCAL.items()
    }
    env = {}
    for name, value in worker["environment"].items():
        value = str(value)
        for compose, here in local.items():
            value = value.replace(compose, here)
        assert not COMPOSE_HOST.search(value), f"{name}={value}: no stand-in here for compose's address"
        env[name] = value
    return env


class Worker:
    """`python -m demo_service.worker` of a project, in a process group of its own."""

    def __init__(self, project: Path, env: dict[str, str], log: Path) -> None:
        self.log = log
        with log.open("wb") as output:
            self.process = subprocess.Popen(
                [str(project / ".venv" / "bin" / "python"), "-m", f"{PACKAGE}.worker"],
                cwd=project,
                env=env,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # killpg reaches the processes it forks (Celery's pool)
            )

    def wait_for(self, match: dict[str, Any], timeout: float) -> float:
        """Seconds until a JSON log line containing `match` shows; fails after timeout."""
        return wait_for(self.log, self.process, match, timeout)

    def kill(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()


@contextmanager
def live_queue(project: Path, tasks: str, broker: str, data: Path) -> Iterator[dict[str, str]]:
    """The environment compose gives the worker, on a queue of its own, removed afterwards."""
    transport = task_transport(tasks, broker, "redis")
    assert transport is not None
    name, port = SERVICES[transport]
    require_service(name, "127.0.0.1", port)
    data.mkdir()
    queue = f"asyncgen_{uuid.uuid4().hex[:12]}"
    # A database no test of another pytest-xdist worker empties: one picked at random from
    # all sixteen was now and then another worker's, flushed under a running test.
    with redis_database() as redis_url:
        env = {
            "PATH": os.environ["PATH"],
            "HOME": os.environ.get("HOME", "/tmp"),
            "PYTHONUNBUFFERED": "1",  # as the image sets it
            **compose_environment(project, data, redis_url),
            "TASK_QUEUE": queue,  # the one addition: a queue of this run's own
        }
        try:
            yield env
        finally:
            if transport in CLEANUP:
                python = str(project / ".venv" / "bin" / "python")
                cleanup = [python, "-c", CLEANUP[transport], queue, env["BROKER_URL"]]
                subprocess.run(cleanup, cwd=project, capture_output=True, timeout=30, check=False)


def rows(*pairs: tuple[str, str]) -> list[Any]:
    return [pytest.param(tasks, broker, id=f"{tasks}-{broker}") for tasks, broker in pairs]


def queue_url_key(tasks: str, broker: str) -> str:
    """The setting that names the worker's queue."""
    return "REDIS_URL" if task_transport(tasks, broker, "redis") == "redis" else "BROKER_URL"


def through_a_proxy(env: dict[str, str], url_key: str) -> tuple[TcpProxy, dict[str, str]]:
    """A proxy to the queue `url_key` names, refusing connections until restored, and `env`
    with the queue reached through it."""
    port = urlsplit(env[url_key]).port
    assert port is not None
    proxy = TcpProxy(port)
    return proxy, {**env, url_key: env[url_key].replace(f":{port}", f":{proxy.port}")}


def enqueue(project: Path, env: dict[str, str], item_id: int) -> None:
    """Queue the job of a create with the project's own client, as its web process does."""
    script = [str(project / ".venv" / "bin" / "python"), "-c", ENQUEUE, str(item_id)]
    result = subprocess.run(
        script, cwd=project, env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


# Each row as is; one more whose web process finds its queue away at the create and back a
# second later: the send is retried, and the job still runs in the worker.
ROWS = [
    pytest.param(tasks, broker, False, id=f"{tasks}-{broker}")
    for tasks, brokers in LIVE_BROKERS.items()
    for broker in brokers
] + [pytest.param("celery", "none", True, id="celery-none-queue-away-at-create")]


@pytest.mark.slow
@pytest.mark.parametrize(("tasks", "broker", "queue_away"), ROWS)
def test_the_worker_runs_the_job_of_a_create_with_the_compose_environment(
    project_for: Callable[[str, str], Path], tmp_path: Path, tasks: str, broker: str, queue_away: bool
) -> None:
    project = project_for(tasks, broker)
    transport = task_transport(tasks, broker, "redis")
    with live_queue(project, tasks, broker, tmp_path / "data") as env:
        url_key = queue_url_key(tasks, broker)
        metrics_port = free_port()
        worker = Worker(project, {**env, "WORKER_METRICS_PORT": str(metrics_port)}, tmp_path / "worker.log")
        try:
            worker.wait_for(
                {"event": "worker.started", "transport": transport, "queue": env["TASK_QUEUE"]}, 30
            )
            if broker == "kafka" and KAFKA_BOOTSTRAP is None:
                # The web process would publish its events to a Kafka this machine lacks.
                enqueue(project, env, item_id=1)
                took = worker.wait_for({"event": "item.processed", "item_id": 1, "request_id": "req-1"}, 15)
            else:
                took = create_through_the_web_process(project, env, url_key, worker, queue_away)
            print(f"{tasks}-{broker}: job ran in the worker {took:.2f}s after it was queued")
            # Counted where it ran ({"a process of Celery's pool" if tasks == "celery" else "the worker"}),
            # served by the worker on its own port.
            wait_until(lambda: jobs_done(metrics_port) >= 1, "the job counted at /metrics", timeout=5)

            worker.process.send_signal(signal.SIGTERM)
            assert worker.process.wait(timeout=20) == 0, worker.log.read_text()
            assert any(event["event"] == "worker.stopped" for event in log_events(worker.log))
        finally:
            worker.kill()

        if (tasks, broker) in RUN_SUITE and not queue_away:
            # The generated suite passes with the queue on the real transport too.
            generated_suite(project, env=env)


# One row per task library, each with a broker, so a create has both an event and a job.
TRACED = [("taskiq", "nats"), ("dramatiq", "rabbitmq"), ("celery", "rabbitmq")]


@pytest.mark.slow
@pytest.mark.parametrize(("tasks", "broker"), TRACED, ids=["-".join(row) for row in TRACED])
def test_a_create_is_one_trace_from_the_request_to_its_event_and_its_job(
    project_for: Callable[[str, str], Path], tmp_path: Path, tasks: str, broker: str
) -> None:
    """The web process and the worker export to a collector, as they would in production: the
    request's span, its event's delivery back to the web process and its job's run in the
    worker are one trace, and the job's log line has the request's id."""
    project = project_for(tasks, broker)
    with (
        live_queue(project, tasks, broker, tmp_path / "data") as env,
        SpanCollector(project, tmp_path / "spans.jsonl") as collector,
    ):
        # Spans leave in batches every 100 ms, not every 5 s.
        traced = {**env, "OTEL_EXPORTER_OTLP_ENDPOINT": collector.url, "OTEL_BSP_SCHEDULE_DELAY": "100"}
        worker = Worker(project, {**traced, "OTEL_SERVICE_NAME": "worker"}, tmp_path / "worker.log")
        try:
            worker.wait_for({"event": "worker.started"}, 30)
            with Service(project, PACKAGE, {**traced, "OTEL_SERVICE_NAME": "web"}) as service:
                request_id = f"trace-{uuid.uuid4().hex}"
                status, item = service.post(
                    "/api/items", {"name": "traced", "price": 1}, {"X-Request-ID": request_id}
                )
                assert status == 201, item
                # The job's line carries the create's request id, as its spans carry its trace.
                processed = {"event": "item.processed", "item_id": item["id"], "request_id": request_id}
                worker.wait_for(processed, 15)

                def one_trace() -> list[dict[str, Any]] | None:
                    spans = collector.spans()
                    created = [s for s in spans if s["kind"] == "SERVER" and s["name"] == "POST /api/items"]
                    if not created:
                        return None
                    trace = [s for s in spans if s["trace"] == created[0]["trace"]]
                    consumed = {s["service"] for s in trace if s["kind"] == "CONSUMER"}
                    return trace if consumed == {"web", "worker"} else None

                trace = wait_until(one_trace, "the event's and the job's spans in the request's trace", 15)
            # Stopped, so its outbox relays' last passes are in: nothing the web process did
            # (probes, relay passes) started a trace but the request.
            web_roots = [s["name"] for s in collector.spans() if s["service"] == "web" and not s["parent"]]
        finally:
            worker.kill()
    assert web_roots == ["POST /api/items"], web_roots
    kinds = {(span["service"], span["kind"]) for span in trace}
    # The create; the hand-over of its event and its job; the event back in the web process
    # (for its event streams); the job in the worker.
    expected = {("web", "SERVER"), ("web", "PRODUCER"), ("web", "CONSUMER"), ("worker", "CONSUMER")}
    assert expected <= kinds, trace


def jobs_done(port: int) -> float:
    """`jobs_total{job="process_item",outcome="done"}` as the worker's /metrics says it."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
        scrape = response.read().decode()
    return metric_total(scrape, "jobs_total", job="process_item", outcome="done")


def create_through_the_web_process(
    project: Path, env: dict[str, str], url_key: str, worker: Worker, queue_away: bool
) -> float:
    """Create an item over HTTP; seconds until its job ran in the worker.

    With queue_away the web process reaches the queue through a proxy that starts letting
    connections through only a second after the create.
    """
    proxy, proxied = through_a_proxy(env, url_key)
    web_env = proxied if queue_away else env
    try:
        with Service(project, PACKAGE, web_env) as service:
            status, item = service.post("/api/items", {"name": "queued", "price": 1})
            assert status == 201, item
            if queue_away:
                time.sleep(1)
                proxy.restore()
            took = worker.wait_for({"event": "item.processed", "item_id": item["id"]}, 15)
            service.stop()
            web_output = service.output()
    finally:
        proxy.cut()
    assert "item.processed" not in web_output  # it ran in the worker, not the web process
    assert (bool(JOB_KIND.search(web_output)) and "outbox.publish_failed" in web_output) == queue_away
    assert "outbox.unsent_at_shutdown" not in web_output, web_output
    return took


# Put on PYTHONPATH, this makes the worker's process_item slow and leaves a mark when it
# starts and when it ends: the templates stay as they are.
SLOW_JOB = f"""
import asyncio, os
from pathlib import Path
from {PACKAGE}.tasks import jobs

marks = Path(os.environ["JOB_MARKS"])
process_item = jobs.JOBS["process_item"]


def mark(line):
    with marks.open("a") as out:
        out.write(line + "\\n")


async def slow_process_item(item_id: int) -> None:
    mark(f"started {{item_id}} in {{os.getpid()}}")
    await asyncio.sleep(float(os.environ["JOB_SECONDS"]))
    await process_item(item_id=item_id)
    mark(f"done {{item_id}}")


jobs.JOBS["process_item"] = slow_process_item
"""
JOB_SECONDS = 3.0


def read_marks(marks: Path) -> list[str]:
    """The job's marks, without the process ids."""
    if not marks.exists():
        return []
    return [line.split(" in ")[0] for line in marks.read_text().splitlines()]


def wait_for_marks(marks: Path, expected: list[str], worker: Worker, timeout: float) -> None:
    """Wait until the job's marks are `expected`; fails after timeout."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if read_marks(marks) == expected:
            return
        assert worker.process.poll() is None, f"worker exited:\n{worker.log.read_text()}"
        time.sleep(0.05)
    pytest.fail(f"marks {read_marks(marks)}, not {expected} within {timeout}s:\n{worker.log.read_text()}")


# Killed: the worker's whole process group (a machine or container going away), or, for
# Celery, only the pool process running the job (what the kernel's OOM killer picks).
# RabbitMQ hands a dead connection's unacknowledged jobs out again at once; NATS JetStream
# once the consumer's ack wait (30 s) has passed. On Redis the wait is minutes to an hour
# (see the generated README), too long for this suite.
KILLS = [
    *(pytest.param(tasks, "rabbitmq", "worker", id=f"{tasks}-rabbitmq") for tasks in TASK_TRANSPORTS),
    pytest.param("taskiq", "nats", "worker", id="taskiq-nats"),
    pytest.param("celery", "rabbitmq", "pool process", id="celery-rabbitmq-pool-process"),
]


@pytest.mark.slow
@pytest.mark.parametrize(("tasks", "broker", "killed"), KILLS)
def test_the_job_of_a_killed_worker_runs_again_exactly_once(
    project_for: Callable[[str, str], Path], tmp_path: Path, tasks: str, broker: str, killed: str
) -> None:
    project = project_for(tasks, broker)
    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(SLOW_JOB)
    marks = tmp_path / "marks"
    with live_queue(project, tasks, broker, tmp_path / "data") as env:
        slow = {**env, "PYTHONPATH": str(site), "JOB_MARKS": str(marks), "JOB_SECONDS": str(JOB_SECONDS)}
        first = Worker(project, slow, tmp_path / "first.log")
        workers = [first]
        try:
            first.wait_for({"event": "worker.started"}, 30)
            enqueue(project, env, item_id=7)
            wait_for_marks(marks, ["started 7"], first, 15)
            if killed == "worker":
                first.kill()  # SIGKILL, to the worker and every process it forked
                assert first.process.returncode == -signal.SIGKILL
                last = Worker(project, slow, tmp_path / "second.log")
                workers.append(last)
            else:
                pool_process = int(marks.read_text().split(" in ")[1])
                assert pool_process != first.process.pid
                os.kill(pool_process, signal.SIGKILL)
                last = first
            killed_at = time.monotonic()
            wait_for_marks(marks, ["started 7", "started 7"], last, 60)
            again = time.monotonic() - killed_at
            wait_for_marks(marks, ["started 7", "started 7", "done 7"], last, JOB_SECONDS + 15)
            # Once done, the job stays done: no third delivery while the worker runs on.
            time.sleep(JOB_SECONDS + 1)
            last.process.send_signal(signal.SIGTERM)
            assert last.process.wait(timeout=20) == 0, last.log.read_text()
        finally:
            for worker in workers:
                worker.kill()
    assert read_marks(marks) == ["started 7", "started 7", "done 7"]
    processed = [event["item_id"] for event in log_events(last.log) if event["event"] == "item.processed"]
    assert processed == [7]
    print(f"{tasks}-{broker}, {killed} killed: run twice, done once; again {again:.1f}s after the kill")


# The queue's connection from the web process dropped twice under a stream of creates. An
# AMQP publish returns before the broker has the message: without publisher confirms the first
# send into a connection that has just died was lost, and nothing said so (issue 20, Celery).
BROKER_DROPS = [pytest.param("celery", "rabbitmq", id="celery-rabbitmq")]


@pytest.mark.slow
@pytest.mark.parametrize(("tasks", "broker"), BROKER_DROPS)
def test_every_job_reaches_the_worker_when_the_queue_connection_drops_under_creates(
    project_for: Callable[[str, str], Path], tmp_path: Path, tasks: str, broker: str
) -> None:
    project = project_for(tasks, broker)
    with live_queue(project, tasks, broker, tmp_path / "data") as env:
        proxy, web_env = through_a_proxy(env, "BROKER_URL")
        proxy.restore()
        worker = Worker(project, env, tmp_path / "worker.log")
        created: list[int] = []
        try:
            worker.wait_for({"event": "worker.started"}, 30)
            with Service(project, PACKAGE, web_env) as service:

                def create_for(seconds: float) -> None:
                    until = time.monotonic() + seconds
                    while time.monotonic() < until:
                        status, item = service.post("/api/items", {"name": "queued", "price": 1})
                        assert status == 201, item
                        created.append(item["id"])

                def creates(seconds: float) -> None:
                    # Concurrent creates, so that sends are in flight at the moment of the cut.
                    with ThreadPoolExecutor(4) as pool:
                        for done in [pool.submit(create_for, seconds) for _ in range(4)]:
                            done.result()

                started = time.monotonic()
                for _ in range(3):
                    creates(1)
                    proxy.cut()
                    creates(2)
                    proxy.restore()
                creates(1)
                missing: set[int] = set()
                while time.monotonic() - started < 60:
                    events = log_events(worker.log)
                    processed = {event["item_id"] for event in events if event["event"] == "item.processed"}
                    missing = set(created) - processed
                    if not missing:
                        break
                    time.sleep(0.2)
                took = time.monotonic() - started
                service.stop()
                web_output = service.output()
            lost = f"{len(missing)} of {len(created)} jobs never reached the worker: {sorted(missing)}"
            assert not missing, lost
            # The jobs' outbox is empty at shutdown. The events ride the same cut connection;
            # whether they are all out is test_brokers.py's question.
            unsent = [line for line in web_output.splitlines() if "outbox.unsent_at_shutdown" in line]
            assert not [line for line in unsent if JOB_KIND.search(line)], web_output
            print(f"{tasks}-{broker}: {len(created)} jobs, all run {took:.1f}s after the first create")
        finally:
            proxy.cut()
            worker.kill()


# Each task library on Redis (broker none), and taskiq on RabbitMQ and NATS.
WORKER_CUT_ROWS = rows(
    ("taskiq", "none"),
    ("dramatiq", "none"),
    ("celery", "none"),
    ("taskiq", "rabbitmq"),
    ("taskiq", "nats"),
)


@pytest.mark.slow
@pytest.mark.parametrize(("tasks", "broker"), WORKER_CUT_ROWS)
def test_a_worker_cut_from_its_queue_runs_the_jobs_queued_once_it_is_back(
    project_for: Callable[[str, str], Path], tmp_path: Path, tasks: str, broker: str
) -> None:
    """The worker's own connection cut for two seconds: it keeps running (taskiq's Redis
    worker used to exit), and the next create's job runs. On Redis, the database then
    emptied under it, as a restart without persistence leaves it: the job of a create made
    at once, before the worker has its consumer group back, runs too."""
    project = project_for(tasks, broker)
    url_key = queue_url_key(tasks, broker)
    with live_queue(project, tasks, broker, tmp_path / "data") as env:
        proxy, proxied = through_a_proxy(env, url_key)
        proxy.restore()
        worker = Worker(project, proxied, tmp_path / "worker.log")
        try:
            worker.wait_for({"event": "worker.started"}, 30)
            with Service(project, PACKAGE, env) as service:

                def create() -> int:
                    status, item = service.post("/api/items", {"name": "queued", "price": 1})
                    assert status == 201, item
                    return int(item["id"])

                worker.wait_for({"event": "item.processed", "item_id": create()}, 15)
                proxy.cut()
                time.sleep(2)
                proxy.restore()
                worker.wait_for({"event": "item.processed", "item_id": create()}, 30)
                if url_key == "REDIS_URL":
                    flush_redis_database(int(urlsplit(env[url_key]).path.strip("/")))
                    worker.wait_for({"event": "item.processed", "item_id": create()}, 30)
                service.stop()
            assert worker.process.poll() is None, worker.log.read_text()
        finally:
            proxy.cut()
            worker.kill()


# Each task library on RabbitMQ, and on Redis (broker none) and NATS where it has them.
KILLED_WEB_ROWS = rows(
    ("taskiq", "rabbitmq"),
    ("dramatiq", "rabbitmq"),
    ("celery", "rabbitmq"),
    ("taskiq", "nats"),
    ("taskiq", "none"),
    ("dramatiq", "none"),
    ("celery", "none"),
)


@pytest.mark.slow
@pytest.mark.parametrize(("tasks", "broker"), KILLED_WEB_ROWS)
def test_the_jobs_of_a_web_process_killed_while_the_queue_is_away_run_after_its_restart(
    project_for: Callable[[str, str], Path], tmp_path: Path, tasks: str, broker: str
) -> None:
    """A burst of creates with the queue unreachable, the web process SIGKILLed right after,
    then started again with the queue back: every job runs (they were in the outbox)."""
    project = project_for(tasks, broker)
    url_key = queue_url_key(tasks, broker)
    with live_queue(project, tasks, broker, tmp_path / "data") as env:
        proxy, web_env = through_a_proxy(env, url_key)  # the queue away until restored
        worker = Worker(project, env, tmp_path / "worker.log")
        try:
            worker.wait_for({"event": "worker.started"}, 30)
            with Service(project, PACKAGE, web_env) as service:
                created = []
                for n in range(20):
                    status, item = service.post("/api/items", {"name": f"burst-{n}", "price": 1})
                    assert status == 201, item
                    created.append(item["id"])
                service.kill()  # SIGKILL: no shutdown, no drain
            proxy.restore()
            with Service(project, PACKAGE, web_env) as service:
                missing: set[int] = set(created)
                deadline = time.monotonic() + 60
                while missing and time.monotonic() < deadline:
                    processed = {
                        event["item_id"]
                        for event in log_events(worker.log)
                        if event["event"] == "item.processed"
                    }
                    missing = set(created) - processed
                    time.sleep(0.2)
                service.stop()
            assert not missing, f"{len(missing)} of {len(created)} jobs never ran: {sorted(missing)}"
        finally:
            proxy.cut()
            worker.kill()


@pytest.mark.slow
@pytest.mark.parametrize(("tasks", "broker"), KILLED_WEB_ROWS)
def test_a_job_runs_with_the_request_id_of_the_create_that_queued_it(
    project_for: Callable[[str, str], Path], tmp_path: Path, tasks: str, broker: str
) -> None:
    """The request id rides the job through the live queue in the library's own way (taskiq
    labels, Dramatiq message options, Celery headers) and the worker's line shows it."""
    project = project_for(tasks, broker)
    with live_queue(project, tasks, broker, tmp_path / "data") as env:
        worker = Worker(project, env, tmp_path / "worker.log")
        try:
            worker.wait_for({"event": "worker.started"}, 30)
            enqueue(project, env, item_id=42)
            worker.wait_for({"event": "item.processed", "item_id": 42, "request_id": "req-42"}, 15)
        finally:
            worker.kill()
