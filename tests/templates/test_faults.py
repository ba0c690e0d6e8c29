"""Live-service faults under load, in every framework: the database, Redis and the broker go
away (through a TcpProxy) while requests keep coming, and come back.

One generated project per framework (PostgreSQL, Redis, RabbitMQ or NATS, and a task
library, alternating over the frameworks) lives through, in one run of its server under
PYTHONUNBUFFERED=1:

- every live database connection reset, five times, then the database cut for 3 s, under a
  stream of creates: only 201s and 503 problem documents
  with `Retry-After`, never a 500, and readiness `down`; full service again within seconds
  of its return, from the same process (the pool renewed itself);
- Redis away, back, away, back under a stream of reads: every read answers 200, readiness
  says degraded and ok again each time;
- the broker cut for 4 s under a stream of creates: no 5xx, and once it is back every
  created item's event reaches a consumer on the broker and an SSE client, each event under
  one id however often it is delivered;
- then SIGTERM, which exits 0 within the grace period;
- and every line the service wrote is a JSON record: no error reached the server.

Each run prints what it measured (a `FAULTS` line; `pytest -rP` shows it).
"""

import contextlib
import http.client
import json
import socket
import subprocess
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from .helpers import (
    Service,
    nats_streams,
    rabbitmq_vhost,
    redis_database,
    render,
    require_service,
    run,
    throwaway_database,
)
from .proxy import TcpProxy

pytestmark = pytest.mark.slow

# Each framework with one of the two live brokers and a task library, so every broker and
# every task library on each of its transports (Celery and Dramatiq on Redis where the broker
# is NATS) lives through every fault.
FRAMEWORKS = {
    "fastapi": ("rabbitmq", "taskiq"),
    "sanic": ("nats", "taskiq"),
    "quart": ("rabbitmq", "celery"),
    "litestar": ("nats", "celery"),
    "starlette": ("rabbitmq", "dramatiq"),
    "blacksheep": ("nats", "dramatiq"),
    "aiohttp": ("rabbitmq", "dramatiq"),
}
# The service's own (Settings.graceful_shutdown_timeout): SIGTERM must end it within this.
GRACE_S = 10
BROKER_PORTS = {"rabbitmq": 5672, "nats": 4222}

# A consumer of the service's events straight from the broker, run with the generated
# project's interpreter (its aio-pika or nats-py): one JSON line per delivered message.
_CONSUMERS = {
    "rabbitmq": """
import asyncio, json, sys, aio_pika
async def main(url, exchange_name):
    connection = await aio_pika.connect_robust(url)
    channel = await connection.channel()
    exchange = await channel.declare_exchange(exchange_name, aio_pika.ExchangeType.TOPIC, durable=True)
    queue = await channel.declare_queue(exclusive=True)
    await queue.bind(exchange, "#")
    print("ready", flush=True)
    async with queue.iterator() as messages:
        async for message in messages:
            async with message.process():
                body = json.loads(message.body)
                line = {"transport_id": message.message_id, "id": body.get("id"), "item": body["data"]["id"]}
                print(json.dumps(line), flush=True)
asyncio.run(main(*sys.argv[1:]))
""",
    "nats": """
import asyncio, json, sys, nats
from nats.js.api import ConsumerConfig, DeliverPolicy
from nats.js.errors import NotFoundError
async def main(url, stream):
    client = await nats.connect(url)
    jetstream = client.jetstream()
    while True:
        try:
            await jetstream.stream_info(stream)
            break
        except NotFoundError:
            await asyncio.sleep(0.2)
    subscription = await jetstream.subscribe(
        f"{stream}.>", stream=stream, ordered_consumer=True,
        config=ConsumerConfig(deliver_policy=DeliverPolicy.ALL),
    )
    print("ready", flush=True)
    async for message in subscription.messages:
        body = json.loads(message.data)
        transport_id = (message.headers or {}).get("Nats-Msg-Id")
        line = {"transport_id": transport_id, "id": body.get("id"), "item": body["data"]["id"]}
        print(json.dumps(line), flush=True)
asyncio.run(main(*sys.argv[1:]))
""",
}


@dataclass
class Answer:
    sent: float
    status: int  # 0: no HTTP answer at all (connection refused, reset, timed out)
    headers: dict[str, str]
    body: Any


class Client:
    """One keep-alive HTTP connection, opened again after any failure."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.connection: http.client.HTTPConnection | None = None

    def call(self, method: str, path: str, body: Any = None) -> Answer:
        sent = time.monotonic()
        try:
            if self.connection is None:
                self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=15)
            payload = None if body is None else json.dumps(body).encode()
            self.connection.request(method, path, payload, {"content-type": "application/json"})
            response = self.connection.getresponse()
            raw = response.read()
        except (OSError, http.client.HTTPException):
            if self.connection is not None:
                self.connection.close()
            self.connection = None
            return Answer(sent, 0, {}, None)
        headers = {name.lower(): value for name, value in response.getheaders()}
        parsed = json.loads(raw) if raw and "json" in headers.get("content-type", "") else raw
        return Answer(sent, response.status, headers, parsed)


class Load:
    """Threads sending one kind of request back to back until stopped; every answer kept."""

    def __init__(self, port: int, request: Callable[[Client, int], Answer], threads: int = 3) -> None:
        self.answers: list[Answer] = []
        self._stop = threading.Event()
        self._threads = [
            threading.Thread(target=self._loop, args=(Client(port), request), daemon=True)
            for _ in range(threads)
        ]

    def _loop(self, client: Client, request: Callable[[Client, int], Answer]) -> None:
        n = 0
        while not self._stop.is_set():
            self.answers.append(request(client, n))
            n += 1

    def __enter__(self) -> "Load":
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(20)

    def since(self, moment: float) -> list[Answer]:
        return [answer for answer in list(self.answers) if answer.sent >= moment]


def create(client: Client, n: int) -> Answer:
    return client.call("POST", "/api/items", {"name": f"load-{n}", "price": 1})


@dataclass
class Delivered:
    """Events as a consumer sees them: (event id, item id) in arrival order, and when."""

    events: list[tuple[str | None, int]] = field(default_factory=list)
    ids: list[tuple[str | None, str | None]] = field(default_factory=list)  # in body, in headers
    times: dict[int, float] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, event_id: str | None, item: int, transport_id: str | None = None) -> None:
        with self.lock:
            self.events.append((event_id, item))
            self.ids.append((event_id, transport_id))
            self.times.setdefault(item, time.monotonic())

    def items(self) -> set[int]:
        with self.lock:
            return {item for _, item in self.events}

    def deduplicated(self) -> tuple[list[int], int]:
        """The items a consumer keeping the ids it has seen hands on, and how many it dropped."""
        seen: set[str | None] = set()
        kept = []
        with self.lock:
            for event_id, item in self.events:
                if event_id not in seen:
                    seen.add(event_id)
                    kept.append(item)
        return kept, len(self.events) - len(kept)


@contextlib.contextmanager
def server_sent_events(port: int, delivered: Delivered) -> Iterator[None]:
    """An SSE client of the service for the block's duration, collecting item.created events."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    connection.request("GET", "/api/events", headers={"accept": "text/event-stream"})
    response = connection.getresponse()
    assert response.status == 200

    def read() -> None:
        fields: dict[str, str] = {}
        with contextlib.suppress(OSError, ValueError, http.client.HTTPException):
            while line := response.readline():
                text = line.decode().rstrip("\r\n")
                if text:
                    name, _, value = text.partition(":")
                    fields[name] = value.removeprefix(" ")
                    continue
                if fields.get("event") == "item.created":
                    delivered.add(fields.get("id"), json.loads(fields["data"])["id"])
                fields = {}

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        yield
    finally:
        assert connection.sock is not None
        with contextlib.suppress(OSError):
            connection.sock.shutdown(socket.SHUT_RDWR)  # the reader sees the stream end
        reader.join(10)
        connection.close()


@contextlib.contextmanager
def broker_consumer(
    project: Path, broker: str, url: str, namespace: str, delivered: Delivered
) -> Iterator[None]:
    python = str(project / ".venv" / "bin" / "python")
    process = subprocess.Popen(
        [python, "-c", _CONSUMERS[broker], url, namespace], stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    assert process.stdout is not None
    first = process.stdout.readline()
    assert first == b"ready\n", first + process.stdout.read()
    stdout = process.stdout

    def read() -> None:
        for line in stdout:
            message = json.loads(line)
            delivered.add(message["id"], message["item"], message["transport_id"])

    threading.Thread(target=read, daemon=True).start()
    try:
        yield
    finally:
        process.kill()
        process.wait()


def eventually(check: Callable[[], bool], timeout: float = 15, what: str = "condition") -> float:
    """Seconds until `check` held; fails after `timeout`."""
    started = time.monotonic()
    while not check():
        if time.monotonic() - started > timeout:
            pytest.fail(f"{what} never came true in {timeout} s")
        time.sleep(0.1)
    return time.monotonic() - started


def readiness(service: Service) -> str:
    status, report = service.get("/health/ready")
    return str(report["status"]) if report else f"HTTP {status}"


@contextlib.contextmanager
def proxies(*ports: int) -> Iterator[list[TcpProxy]]:
    opened = [TcpProxy(port) for port in ports]
    for proxy in opened:
        proxy.restore()
    try:
        yield opened
    finally:
        for proxy in opened:
            proxy.cut()


@contextlib.contextmanager
def broker_url(project: Path, broker: str, namespace: str) -> Iterator[str]:
    if broker == "rabbitmq":
        with rabbitmq_vhost() as url:
            yield url
    else:
        with nats_streams(project, namespace) as url:
            yield url


def through(url: str, port: int, proxy: TcpProxy) -> str:
    assert f"127.0.0.1:{port}" in url, url
    return url.replace(f"127.0.0.1:{port}", f"127.0.0.1:{proxy.port}")


@pytest.mark.parametrize(
    ("framework", "broker", "tasks"), [(f, *rest) for f, rest in FRAMEWORKS.items()], ids=list(FRAMEWORKS)
)
def test_backends_fail_under_load_and_come_back(
    tmp_path: Path, framework: str, broker: str, tasks: str
) -> None:
    for name, port in (("PostgreSQL", 5432), ("Redis", 6379), (broker, BROKER_PORTS[broker])):
        require_service(name, "127.0.0.1", port)
    project = render(
        tmp_path / "demo-service",
        framework=framework,
        database="postgresql",
        cache="redis",
        broker=broker,
        tasks=tasks,
    )
    run(["git", "init", "-q"], project)
    run(["uv", "sync", "-q"], project)
    namespace = f"faults_{uuid.uuid4().hex[:12]}"
    broker_port = BROKER_PORTS[broker]
    figures: dict[str, Any] = {}
    with (
        throwaway_database(project, "postgresql") as database_url,
        redis_database() as redis_url,
        broker_url(project, broker, namespace) as direct_broker_url,
        proxies(5432, 6379, broker_port) as (postgres, redis, broker_proxy),
    ):
        run(
            ["uv", "run", "--no-sync", "alembic", "upgrade", "heads"], project, {"DATABASE_URL": database_url}
        )
        env = {
            "DATABASE_URL": through(database_url, 5432, postgres),
            "REDIS_URL": through(redis_url, 6379, redis),
            "BROKER_URL": through(direct_broker_url, broker_port, broker_proxy),
            "BROKER_NAMESPACE": namespace,
            "TASK_QUEUE": f"{namespace}_jobs",
            "PYTHONUNBUFFERED": "1",  # as the image sets it
        }
        log = (tmp_path / "service.log").open("wb")
        with log, Service(project, "demo_service", env, stdout=log) as service:
            eventually(lambda: readiness(service) == "ok", what="readiness ok at startup")
            from_broker, from_stream = Delivered(), Delivered()
            with (
                server_sent_events(service.port, from_stream),
                broker_consumer(project, broker, direct_broker_url, namespace, from_broker),
            ):
                created: list[int] = []
                figures["database"] = database_cut(service, postgres, created)
                figures["redis"] = redis_flaps(service, redis, created)
                figures["broker"] = broker_cut(service, broker_proxy, created, from_broker, from_stream)
            # After every fault, within the grace period (granian, Sanic and aiohttp kill a
            # serving process still busy then, and that is a failure too: the exit code says).
            stopping = time.monotonic()
            service.stop(GRACE_S + 5)
            figures["sigterm_exit_s"] = round(time.monotonic() - stopping, 2)
    # Nothing reached the server as an exception, logged in plain text: every line is a record.
    lines = (tmp_path / "service.log").read_text().splitlines()
    not_json = [line for line in lines if not line.startswith("{") or not _is_json(line)]
    assert not not_json, f"{len(not_json)} log lines are not JSON records: {not_json[:5]}"
    print(f"FAULTS {framework} ({broker}, {tasks}): {json.dumps(figures)}")


def _is_json(line: str) -> bool:
    try:
        json.loads(line)
    except json.JSONDecodeError:
        return False
    return True


def database_cut(service: Service, postgres: TcpProxy, created: list[int]) -> dict[str, Any]:
    with Load(service.port, create) as load:
        time.sleep(1)
        # First a reset of every live connection, several times: pooled connections die in
        # the middle of statements and commits, as when the server crashes and is restarted.
        for _ in range(5):
            postgres.drop()
            time.sleep(0.2)
        cut = time.monotonic()
        postgres.cut()
        time.sleep(1)
        assert readiness(service) == "down"
        time.sleep(2)
        postgres.restore()
        back = time.monotonic()
        # Full service: a second of nothing but 201s, from the process that saw the outage.
        eventually(
            lambda: stable(load.since(back), 1.0), what="a second of only 201s after the database came back"
        )
    answers = load.answers
    statuses = Counter(answer.status for answer in answers)
    assert set(statuses) <= {201, 503}, (
        f"only 201 or 503 while the database is away: {statuses}; logged: {logged_errors(service)}"
    )
    unavailable = [answer for answer in answers if answer.status == 503]
    assert unavailable, "the cut was never noticed"
    for answer in unavailable:
        assert answer.headers.get("retry-after", "").isdigit(), answer.headers
        assert answer.headers["content-type"].startswith("application/problem+json"), answer.headers
        assert answer.body["status"] == 503, answer.body
    last_failure = max(answer.sent for answer in unavailable)
    created += [answer.body["id"] for answer in answers if answer.status == 201]
    assert readiness(service) == "ok"
    return {
        "requests": len(answers),
        "503": len(unavailable),
        "503_while_away": sum(1 for a in unavailable if cut <= a.sent <= back),
        "requests_while_away": sum(1 for a in answers if cut <= a.sent <= back),
        "recovered_s": round(max(0.0, last_failure - back), 2),
    }


def logged_errors(service: Service) -> list[str]:
    """The service's error records so far (with their tracebacks' ends), for a failure's report."""
    errors = []
    for line in service.output().splitlines():
        with contextlib.suppress(json.JSONDecodeError, AttributeError):
            record = json.loads(line)
            if record.get("level") in ("error", "critical"):
                errors.append(f"{record.get('event')}: {str(record.get('exception', ''))[-1500:]}")
    return errors[:3]


def stable(answers: list[Answer], seconds: float) -> bool:
    """True once the answers span `seconds` since the last non-201."""
    if not answers:
        return False
    failures = [answer.sent for answer in answers if answer.status != 201]
    start = max(failures) if failures else answers[0].sent
    return answers[-1].sent - start >= seconds


def redis_flaps(service: Service, redis: TcpProxy, created: list[int]) -> dict[str, Any]:
    ids = created[-20:]

    def read(client: Client, n: int) -> Answer:
        return client.call("GET", f"/api/items/{ids[n % len(ids)]}")

    states = []
    with Load(service.port, read) as load:
        time.sleep(0.5)
        for _ in range(2):
            redis.cut()
            eventually(lambda: readiness(service) == "degraded", 5, "readiness degraded with Redis away")
            states.append("degraded")
            time.sleep(1)
            redis.restore()
            eventually(lambda: readiness(service) == "ok", 10, "readiness ok with Redis back")
            states.append("ok")
            time.sleep(0.5)
    statuses = Counter(answer.status for answer in load.answers)
    assert statuses.keys() == {200}, f"reads must keep answering while Redis flaps: {statuses}"
    return {"reads": len(load.answers), "readiness": states}


def broker_cut(
    service: Service, broker: TcpProxy, created: list[int], from_broker: Delivered, from_stream: Delivered
) -> dict[str, Any]:
    with Load(service.port, create) as load:
        time.sleep(1)
        broker.cut()
        time.sleep(4)
        broker.restore()
        back = time.monotonic()
        time.sleep(1)
    statuses = Counter(answer.status for answer in load.answers)
    assert statuses.keys() == {201}, f"creates must not notice the broker is away: {statuses}"
    during = [answer.body["id"] for answer in load.answers]
    created += during
    expected = set(created)
    delivered_in = eventually(
        lambda: expected <= from_broker.items(), 30, "every created item's event on the broker"
    )
    with contextlib.suppress(pytest.fail.Exception):
        eventually(lambda: expected <= from_stream.items(), 10)
    missing = expected - from_stream.items()
    assert not missing, f"{len(missing)} of {len(expected)} events never reached the SSE client"
    figures: dict[str, Any] = {"created": len(expected), "created_while_away": len(during)}
    for name, delivered in (("broker", from_broker), ("sse", from_stream)):
        kept, dropped = delivered.deduplicated()
        assert all(event_id for event_id, _ in delivered.events), f"{name}: every event carries an id"
        assert Counter(kept) == Counter(set(kept)), f"{name}: one item's events under different ids"
        figures[name] = {"delivered": len(expected & set(kept)), "duplicates_dropped": dropped}
    with from_broker.lock:
        mismatched = [
            (event_id, transport) for event_id, transport in from_broker.ids if transport != event_id
        ]
    assert not mismatched, "the broker message's own id (message_id, Nats-Msg-Id) is the event's id"
    sse_ids = {item: event_id for event_id, item in from_stream.events}
    assert all(sse_ids[item] == event_id for event_id, item in from_broker.events if item in sse_ids)
    last = max(from_broker.times[item] for item in during)
    figures["late_event_delay_s"] = round(max(0.0, last - back), 2)
    figures["waited_s"] = round(delivered_in, 2)
    return figures
