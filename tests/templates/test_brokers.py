"""Message brokers: each backend's generated project against the live broker (RabbitMQ,
NATS JetStream) or against fakes (Kafka: no broker here), and a broker outage survived by
the transactional outbox.

Every run uses a namespace of its own (exchange/queue, stream/consumer) and removes it
afterwards, so parallel runs and reruns do not see each other's events.
"""

import contextlib
import json
import socket
import sqlite3
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from .helpers import (
    Service,
    generated_suite,
    nats_streams,
    rabbitmq_vhost,
    render,
    require_service,
    run,
    wait_until,
)
from .proxy import TcpProxy


def namespace() -> str:
    return f"asyncgen_{uuid.uuid4().hex[:12]}"


def generated(tmp_path: Path, **answers: str) -> Path:
    project = render(tmp_path / "demo-service", cache="none", tasks="none", **answers)
    run(["git", "init", "-q"], project)
    run(["uv", "sync", "-q"], project)
    return project


@pytest.fixture
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """The generated suites read BROKER_URL and friends: start from none of them."""
    for name in ("BROKER_URL", "BROKER_NAMESPACE", "DATABASE_URL", "REDIS_URL", "KAFKA_BOOTSTRAP"):
        monkeypatch.delenv(name, raising=False)


@pytest.mark.parametrize("broker", ["rabbitmq", "nats", "kafka"])
def test_a_project_holds_only_its_broker(tmp_path: Path, broker: str) -> None:
    project = render(tmp_path / "demo-service", broker=broker, database="sqlite")
    modules = {p.name for p in (project / "src/demo_service/broker").glob("*.py")}
    assert modules == {"__init__.py", "base.py", "memory.py", "slots.py", f"{broker}.py"}
    outbox = {p.name for p in (project / "src/demo_service/outbox").glob("*.py")}
    assert outbox == {"__init__.py", "entry.py", "relay.py", "store.py"}
    pyproject = (project / "pyproject.toml").read_text()
    dependencies = {"rabbitmq": "aio-pika", "nats": "nats-py", "kafka": "aiokafka"}
    for other, dependency in dependencies.items():
        assert (f'"{dependency}>=' in pyproject) == (other == broker), dependency
    assert (project / "migrations/versions/0002_create_outbox.py").is_file()
    assert (project / "migrations/versions/0003_add_outbox_event_id.py").is_file()
    assert (project / "migrations/versions/0005_add_outbox_kind_and_headers.py").is_file()
    assert (project / "tests/test_kafka.py").exists() == (broker == "kafka")
    assert "BROKER_URL" in (project / ".env.example").read_text()
    assert "BROKER_URL" in (project / "compose.yaml").read_text()
    assert "BROKER_URL" in (project / ".github/workflows/ci.yml").read_text()
    readme = (project / "README.md").read_text()
    assert "outbox" in readme
    carried_in = {"rabbitmq": "`message_id`", "nats": "`Nats-Msg-Id` header", "kafka": "`event-id` header"}
    assert "## When a backend fails" in readme
    assert all((name in readme) == (other == broker) for other, name in carried_in.items())


def test_no_broker_and_no_tasks_means_no_outbox(tmp_path: Path) -> None:
    project = render(tmp_path / "demo-service", broker="none", tasks="none", database="sqlite")
    assert not (project / "migrations/versions/0002_create_outbox.py").exists()
    assert not (project / "migrations/versions/0003_add_outbox_event_id.py").exists()
    assert not (project / "migrations/versions/0005_add_outbox_kind_and_headers.py").exists()
    assert not (project / "src/demo_service/outbox").exists()
    assert "outbox" not in (project / "src/demo_service/db/models.py").read_text()
    assert "BROKER_URL" not in (project / "compose.yaml").read_text()


def test_tasks_without_a_broker_have_the_outbox_for_their_jobs(tmp_path: Path) -> None:
    project = render(tmp_path / "demo-service", broker="none", tasks="taskiq", cache="redis")
    assert (project / "migrations/versions/0005_add_outbox_kind_and_headers.py").is_file()
    assert not (project / "src/demo_service/broker").exists()
    entry = (project / "src/demo_service/outbox/entry.py").read_text()
    assert 'Kind = Literal["job"]\n' in entry
    assert "The `outbox` table: jobs written" in (project / "src/demo_service/outbox/store.py").read_text()


@pytest.mark.slow
@pytest.mark.usefixtures("clean_environment")
def test_rabbitmq_project_against_a_live_rabbitmq(tmp_path: Path) -> None:
    require_service("RabbitMQ", "127.0.0.1", 5672)
    project = generated(tmp_path, broker="rabbitmq", database="sqlite")
    run(["uv", "run", "--no-sync", "mypy"], project)
    # The outbox migrations on SQLite (PostgreSQL and MariaDB: test_matrix.py), over a
    # database that holds events from before the event ids: a pending one and a sent one.
    sqlite_env = {"DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/migrations.db"}
    alembic = ["uv", "run", "--no-sync", "alembic"]
    run([*alembic, "upgrade", "0002"], project, sqlite_env)
    with sqlite3.connect(tmp_path / "migrations.db") as db:
        db.execute(
            "INSERT INTO outbox (type, payload, created_at, sent_at) VALUES"
            " ('item.created', '{}', '2026-01-01', NULL), ('item.created', '{}', '2026-01-01', '2026-01-01')"
        )
    run([*alembic, "upgrade", "heads"], project, sqlite_env)
    assert set(run([*alembic, "current"], project, sqlite_env).splitlines()) == {"0004 (head)", "0005 (head)"}
    with sqlite3.connect(tmp_path / "migrations.db") as db:
        (pending, sent) = db.execute("SELECT event_id, kind, headers FROM outbox ORDER BY id").fetchall()
    assert str(uuid.UUID(pending[0])) == pending[0]
    assert pending[1:] == ("event", None)  # rows from before the jobs are events
    assert sent == ("2", "event", None)
    run([*alembic, "downgrade", "base"], project, sqlite_env)

    with rabbitmq_vhost() as url:
        generated_suite(project, env={"BROKER_URL": url})


@pytest.mark.slow
@pytest.mark.usefixtures("clean_environment")
def test_nats_project_against_a_live_jetstream(tmp_path: Path) -> None:
    require_service("NATS", "127.0.0.1", 4222)
    project = generated(tmp_path, broker="nats", database="none")  # the in-memory outbox
    run(["uv", "run", "--no-sync", "mypy"], project)
    name = namespace()
    with nats_streams(project, name) as url:
        generated_suite(project, env={"BROKER_URL": url, "BROKER_NAMESPACE": name})


@pytest.mark.slow
@pytest.mark.usefixtures("clean_environment")
def test_kafka_project_without_a_broker(tmp_path: Path) -> None:
    project = generated(tmp_path, broker="kafka", database="sqlite")
    run(["uv", "run", "--no-sync", "mypy"], project)
    output = generated_suite(project, "-rs", "tests/test_kafka.py")
    assert "5 passed, 1 skipped" in output
    assert "KAFKA_BOOTSTRAP is not set" in output
    generated_suite(project)  # the whole suite, on the in-process broker


class EventStream:
    """A raw SSE connection to the running service."""

    def __init__(self, port: int) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=1)
        self.sock.sendall(b"GET /api/events HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n\r\n")
        self.buffer = b""

    def wait_for(self, item: dict[str, object], seconds: float) -> None:
        needle = f'"name":"{item["name"]}"'.encode()
        deadline = time.monotonic() + seconds
        while needle not in self.buffer.replace(b'": ', b'":'):
            if time.monotonic() > deadline:
                pytest.fail(f"no item.created event for {item} in {seconds} s:\n{self.buffer!r}")
            with contextlib.suppress(TimeoutError):
                self.buffer += self.sock.recv(65536)

    def close(self) -> None:
        self.sock.close()


def wait_until_ready(service: Service, seconds: float = 15) -> None:
    deadline = time.monotonic() + seconds
    while service.get("/health/ready")[1]["status"] != "ok":
        assert time.monotonic() < deadline, "the service never connected to its broker"
        time.sleep(0.2)


@pytest.mark.slow
@pytest.mark.usefixtures("clean_environment")
@pytest.mark.parametrize("broker", ["rabbitmq", "nats"])
def test_every_instance_streams_every_event(tmp_path: Path, broker: str) -> None:
    """Two instances of one service: a create through either reaches both instances' SSE
    clients, because each instance consumes through its own queue (consumer)."""
    project = generated(tmp_path, broker=broker, database="none")
    name = namespace()
    broker_url = rabbitmq_vhost() if broker == "rabbitmq" else nats_streams(project, name)
    with broker_url as url:
        env = {"BROKER_URL": url, "BROKER_NAMESPACE": name}
        with (
            Service(project, "demo_service", env | {"BROKER_INSTANCE": "web-1"}) as first,
            Service(project, "demo_service", env | {"BROKER_INSTANCE": "web-2"}) as second,
        ):
            for service in (first, second):
                wait_until_ready(service)
            streams = [EventStream(first.port), EventStream(second.port)]
            for service, label in ((first, "through-web-1"), (second, "through-web-2")):
                status, item = service.post("/api/items", {"name": label, "price": 1})
                assert status == 201
                for stream in streams:
                    stream.wait_for(item, seconds=15)
            for stream in streams:
                stream.close()
            first.stop()
            second.stop()


@pytest.mark.slow
@pytest.mark.usefixtures("clean_environment")
@pytest.mark.parametrize("broker", ["rabbitmq", "nats"])
def test_every_process_streams_every_event(tmp_path: Path, broker: str) -> None:
    """`WEB_CONCURRENCY=2`: every stream gets every event, whichever process serves it.

    The processes of one instance once shared its queue, so the broker handed each event to
    one of them and a stream missed about half."""
    project = generated(tmp_path, broker=broker, database="none")
    name = namespace()
    broker_url = rabbitmq_vhost() if broker == "rabbitmq" else nats_streams(project, name)
    output = tmp_path / "service.log"
    with broker_url as url, output.open("wb") as log:
        env = {"BROKER_URL": url, "BROKER_NAMESPACE": name, "WEB_CONCURRENCY": "2"}
        with Service(project, "demo_service", env | {"BROKER_INSTANCE": "web"}, stdout=log) as service:
            wait_until(
                lambda: output.read_text().count('"broker.connected"') == 2,
                "both serving processes to connect to the broker",
                timeout=30,
            )
            # New connections for each, so the streams spread over both processes.
            streams = [EventStream(service.port) for _ in range(4)]
            items = []
            for number in range(6):
                status, item = service.post("/api/items", {"name": f"item-{number}", "price": 1})
                assert status == 201
                items.append(item)
            for stream in streams:
                for item in items:
                    stream.wait_for(item, seconds=15)
                stream.close()
            service.stop()
    instances = {
        json.loads(line).get("instance")
        for line in output.read_text().splitlines()
        if '"broker.connected"' in line
    }
    assert instances == {"web", "web-1"}


@pytest.fixture
def rabbitmq_vhost_name() -> Iterator[str]:
    with rabbitmq_vhost() as url:
        yield url.rsplit("/", 1)[1]


def unsent(database: Path) -> int:
    with sqlite3.connect(database) as db:
        count: int = db.execute("SELECT count(*) FROM outbox WHERE sent_at IS NULL").fetchone()[0]
        return count


@pytest.mark.slow
@pytest.mark.usefixtures("clean_environment")
def test_no_event_is_lost_while_rabbitmq_is_away(tmp_path: Path, rabbitmq_vhost_name: str) -> None:
    """Boot with the broker unreachable, create, bring it back: the event arrives. Then the
    outbox across a restart: created while the broker is away, stopped, restarted, sent."""
    require_service("RabbitMQ", "127.0.0.1", 5672)
    project = generated(tmp_path, broker="rabbitmq", database="sqlite")
    database = tmp_path / "outbox.db"
    proxy = TcpProxy(5672)  # not listening yet: the broker is down at boot
    env = {
        "BROKER_URL": f"amqp://guest:guest@127.0.0.1:{proxy.port}/{rabbitmq_vhost_name}",
        "DATABASE_URL": f"sqlite+aiosqlite:///{database}",
    }
    try:
        with Service(project, "demo_service", env) as service:
            status, report = service.get("/health/ready")
            assert (status, report["status"]) == (200, "degraded")
            assert report["checks"]["broker"] == {"backend": "rabbitmq", "ok": False}
            stream = EventStream(service.port)
            status, item = service.post("/api/items", {"name": "while-down", "price": 1})
            assert status == 201

            proxy.restore()
            stream.wait_for(item, seconds=15)
            assert service.get("/health/ready")[1]["status"] == "ok"
            stream.close()
            # The consumer can have the event before the relay has the broker's confirm and
            # marks its row sent: cut before that, the row stays unsent, to go again (at
            # least once, the duplicate dropped by its event id).
            wait_until(lambda: unsent(database) == 0, "the first row marked sent", 15)

            proxy.cut()  # away again; this time the service stops before it is back
            status, _ = service.post("/api/items", {"name": "before-restart", "price": 2})
            assert status == 201
            service.stop()

        assert unsent(database) == 1
        proxy.restore()
        with Service(project, "demo_service", env) as service:
            wait_until(lambda: unsent(database) == 0, "the outbox row sent", 15)
            service.stop()
    finally:
        proxy.cut()


# Run with the generated project's interpreter: the service's own consumer starts (over
# one an earlier version made) and stops, and a client in its place takes the next event
# under the same durable name and goes down with it unacknowledged, as a batch in flight
# does when the connection drops. The service's consumer, back, must get it again; prints
# how long that took.
_LOST_DELIVERY = """
import asyncio, sys, time
import nats
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from demo_service.broker.nats import NatsBroker
from demo_service.events import Event

async def main(url, namespace):
    client = await nats.connect(url)
    jetstream = client.jetstream()
    # As an earlier version of the service left it: JetStream's default ack wait, 30 s.
    await jetstream.add_stream(name=namespace, subjects=[f"{namespace}.>"])
    earlier = ConsumerConfig(
        durable_name=f"{namespace}-web",
        ack_policy=AckPolicy.EXPLICIT,
        ack_wait=30,
        max_deliver=5,
        deliver_policy=DeliverPolicy.NEW,
        inactive_threshold=24 * 3600,
    )
    await jetstream.add_consumer(namespace, earlier)
    broker = NatsBroker(url, namespace=namespace, instance="web")
    await broker.start()
    await broker.close()
    event = Event(type="item.created", data={"id": 1})
    await jetstream.publish(f"{namespace}.{event.type}", event.to_json(), stream=namespace)
    subscription = await jetstream.pull_subscribe(
        f"{namespace}.>", durable=f"{namespace}-web", stream=namespace
    )
    [lost] = await subscription.fetch(batch=1, timeout=5)
    await client.close()
    lost_at = time.monotonic()
    received = asyncio.Event()

    async def handle(delivered):
        if delivered.id == event.id:
            received.set()

    broker = NatsBroker(url, namespace=namespace, instance="web")
    await broker.subscribe(handle)
    await broker.start()
    try:
        await asyncio.wait_for(received.wait(), 60)
    finally:
        await broker.close()
    print(round(time.monotonic() - lost_at, 1))

asyncio.run(main(*sys.argv[1:]))
"""


@pytest.mark.slow
@pytest.mark.usefixtures("clean_environment")
def test_an_event_whose_delivery_was_lost_comes_again_within_seconds(tmp_path: Path) -> None:
    """NATS cannot tell a batch lost with its connection from a slow consumer: the event
    comes again once its ack wait has passed. An SSE client should not wait long for it
    (JetStream's default is 30 s; the faults test saw one event missing for 10 s)."""
    project = generated(tmp_path, broker="nats", database="none")
    name = namespace()
    with nats_streams(project, name) as url:
        output = run(["uv", "run", "--no-sync", "python", "-c", _LOST_DELIVERY, url, name], project)
    seconds = float(output.split()[-1])
    assert seconds < 8, f"the lost delivery came again after {seconds} s"


# A consumer left with a setting JetStream cannot change on a live one (its deliver policy):
# the service keeps consuming with it rather than failing to connect.
_UNCHANGEABLE_CONSUMER = """
import asyncio, sys
import nats
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from demo_service.broker.nats import NatsBroker
from demo_service.events import Event

async def main(url, namespace):
    client = await nats.connect(url)
    jetstream = client.jetstream()
    await jetstream.add_stream(name=namespace, subjects=[f"{namespace}.>"])
    earlier = ConsumerConfig(
        durable_name=f"{namespace}-web", ack_policy=AckPolicy.EXPLICIT, deliver_policy=DeliverPolicy.ALL
    )
    await jetstream.add_consumer(namespace, earlier)
    event = Event(type="item.created", data={"id": 1})
    received = asyncio.Event()

    async def handle(delivered):
        if delivered.id == event.id:
            received.set()

    broker = NatsBroker(url, namespace=namespace, instance="web")
    await broker.subscribe(handle)
    await broker.start()
    try:
        await broker.publish(event)
        await asyncio.wait_for(received.wait(), 10)
    finally:
        await broker.close()
        await client.close()
    print("consumed")

asyncio.run(main(*sys.argv[1:]))
"""


@pytest.mark.slow
@pytest.mark.usefixtures("clean_environment")
def test_a_consumer_jetstream_cannot_update_is_kept(tmp_path: Path) -> None:
    project = generated(tmp_path, broker="nats", database="none")
    name = namespace()
    with nats_streams(project, name) as url:
        output = run(["uv", "run", "--no-sync", "python", "-c", _UNCHANGEABLE_CONSUMER, url, name], project)
    assert "broker.consumer_not_updated" in output
    assert output.rstrip().endswith("consumed"), output


# An item created in a request's log context (its request id bound, as the web process binds
# it), its event relayed through the live broker and consumed back: the consumer's line.
CONSUME_IN_CONTEXT = """
import asyncio, sys
import structlog
from demo_service.broker import open_broker
from demo_service.items.repository import ItemRepository
from demo_service.items.schemas import ItemCreate
from demo_service.logging import configure_logging
from demo_service.outbox import Outbox
from demo_service.settings import Settings

async def main():
    configure_logging("debug")
    request_id = sys.argv[1]
    handled = asyncio.Event()
    async def handler(event):
        if event.data["name"] == request_id:
            handled.set()
    outbox = Outbox()
    async with open_broker(Settings(), outbox, handler):
        with structlog.contextvars.bound_contextvars(request_id=request_id):
            await ItemRepository(outbox).create(ItemCreate(name=request_id, price=1))
        await asyncio.wait_for(handled.wait(), 15)
asyncio.run(main())
"""


@pytest.mark.slow
@pytest.mark.usefixtures("clean_environment")
@pytest.mark.parametrize("broker", ["rabbitmq", "nats"])
def test_the_consumer_of_an_event_logs_the_request_id_of_its_create(tmp_path: Path, broker: str) -> None:
    """The request id travels as a message header (not in the event's JSON) through the
    live broker, and the consumer handles the event with it bound."""
    project = generated(tmp_path, broker=broker, database="none")
    name = namespace()
    broker_url = rabbitmq_vhost() if broker == "rabbitmq" else nats_streams(project, name)
    with broker_url as url:
        env = {"BROKER_URL": url, "BROKER_NAMESPACE": name, "BROKER_INSTANCE": "consumer"}
        python = str(project / ".venv" / "bin" / "python")
        output = run([python, "-c", CONSUME_IN_CONTEXT, f"req-{name}"], project, env)
    lines = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    received = [line for line in lines if line["event"] == "event.received"]
    assert received, output
    assert all(line.get("request_id") == f"req-{name}" for line in received), output
