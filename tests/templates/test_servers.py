"""Every production server entry ends event streams on SIGTERM and exits 0.

Each framework names its server; here FastAPI is rendered on each shared entry
(templates/_servers/) in turn from a copy of the template, so an entry is tested even while
no framework on this branch uses it. A framework's own server entry is tested in the modes
test_generated_project.py does not run.
"""

import re
import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest

from .helpers import (
    CREATE_HEAD,
    TEMPLATES,
    Service,
    create_split_by_sigterm,
    dump_stacks,
    free_port,
    render,
    run,
    sigterm_storm,
)

pytestmark = pytest.mark.slow

SERVERS = {
    "uvicorn": ["uvicorn>=0.34", "uvloop>=0.21; sys_platform != 'win32'", "httptools>=0.6"],
    "granian": ["granian[uvloop]>=2.8"],
}


def fastapi_on(server: str, dst: Path) -> Path:
    """A copy of the template whose FastAPI is served by `server`."""
    shutil.copytree(TEMPLATES, dst)
    dependencies = ", ".join(repr(dep) for dep in ["fastapi>=0.165", *SERVERS[server]])
    (dst / "fastapi" / "framework.jinja").write_text(
        f'{{%- set title = "FastAPI" %}}\n{{%- set server = "{server}" %}}\n'
        f"{{%- set dependencies = [{dependencies}] -%}}\n"
    )
    return dst


WEBSOCKET_HANDSHAKE = (
    b"GET /ws/events HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
    b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
)


def close_code(websocket: socket.socket) -> int | None:
    """The code of the close frame the server sends before it closes the connection, if it
    sends one; the frames before it (events) are passed over."""
    received = b""
    while chunk := websocket.recv(4096):
        received += chunk
    while len(received) >= 2:
        # A server's frames are unmasked: the opcode, then the length (7 bits, or 16 or 64
        # bits after 126 or 127), then the payload.
        opcode, length, start = received[0] & 0x0F, received[1] & 0x7F, 2
        if length >= 126:
            size = 2 if length == 126 else 8
            length, start = int.from_bytes(received[2 : 2 + size], "big"), 2 + size
        if opcode == 0x8:
            return int.from_bytes(received[start : start + 2], "big")
        received = received[start + length :]
    return None


def read_until(stream: socket.socket, marker: bytes) -> bytes:
    received = b""
    while marker not in received:
        chunk = stream.recv(4096)
        assert chunk, f"the stream ended before {marker!r}: {received!r}"
        received += chunk
    return received


@pytest.mark.parametrize("server", sorted(SERVERS))
def test_sigterm_ends_event_streams_and_exits_0(server: str, tmp_path: Path) -> None:
    template = fastapi_on(server, tmp_path / "templates")
    project = render(tmp_path / "demo-service", template, broker="none", tasks="none")
    entry = (project / "src/demo_service/__main__.py").read_text()
    assert re.search(rf"^(import|from) {server}\b", entry, re.MULTILINE)
    run(["uv", "sync", "-q"], project)

    env = {"DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/e2e.db"}
    with (
        Service(project, "demo_service", env) as service,
        socket.create_connection(("127.0.0.1", service.port), timeout=5) as stream,
    ):
        stream.sendall(b"GET /api/events HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n\r\n")
        assert b" 200 " in read_until(stream, b"\r\n\r\n")
        assert service.post("/api/items", {"name": "on-" + server, "price": 1})[0] == 201
        assert b"event: item.created" in read_until(stream, f'"name": "on-{server}"'.encode())

        started = time.monotonic()
        service.stop(timeout=8)
        while stream.recv(4096):  # the stream ends (chunked terminator, then EOF)
            pass
        assert time.monotonic() - started < 5


def wait_for_output(service: Service, marker: str, count: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while (seen := service.output().count(marker)) < count:
        assert time.monotonic() < deadline, f"{marker!r} seen {seen} of {count} times"
        time.sleep(0.1)


def without_services(tmp_path_factory: pytest.TempPathFactory, framework: str) -> Path:
    services = {"database": "none", "cache": "none", "broker": "none", "tasks": "none"}
    project = render(tmp_path_factory.mktemp(framework) / "demo-service", framework=framework, **services)
    run(["uv", "sync", "-q"], project)
    return project


@pytest.fixture(scope="module")
def sanic_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return without_services(tmp_path_factory, "sanic")


@pytest.fixture(scope="module")
def aiohttp_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return without_services(tmp_path_factory, "aiohttp")


def test_sanic_workers_end_event_streams_on_sigterm_and_exit_0(sanic_project: Path) -> None:
    """WEB_CONCURRENCY=2: Sanic's manager process passes SIGTERM on to both serving processes,
    which end their SSE and WebSocket streams."""
    with (
        Service(sanic_project, "demo_service", {"WEB_CONCURRENCY": "2"}) as service,
        socket.create_connection(("127.0.0.1", service.port), timeout=5) as websocket,
    ):
        wait_for_output(service, "Worker ready", 2)
        # The kernel spreads connections over both processes (SO_REUSEPORT).
        streams = [socket.create_connection(("127.0.0.1", service.port), timeout=5) for _ in range(6)]
        for stream in streams:
            stream.sendall(b"GET /api/events HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n\r\n")
            assert b": subscribed" in read_until(stream, b": subscribed")
        websocket.sendall(WEBSOCKET_HANDSHAKE)
        assert b" 101 " in read_until(websocket, b"\r\n\r\n")
        assert service.post("/api/items", {"name": "two-processes", "price": 1})[0] == 201

        started = time.monotonic()
        service.stop(timeout=8)
        for stream in streams:
            with stream:
                while stream.recv(4096):
                    pass
        # Ended by the service as the stream handler returns: a normal closure.
        assert close_code(websocket) == 1000
        assert time.monotonic() - started < 5


def spawned_children(pid: int) -> int:
    """How many processes `pid` has started by multiprocessing's spawn."""
    count = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            parent = int(stat.read_text().rsplit(")", 1)[1].split()[1])
            command = (stat.parent / "cmdline").read_bytes()
        except (FileNotFoundError, ProcessLookupError, ValueError):
            continue
        count += parent == pid and b"spawn_main" in command
    return count


def test_sanic_stopped_while_starting_starts_then_stops_and_exits_0(sanic_project: Path) -> None:
    """A SIGTERM while Sanic's manager waits for its serving processes to report ready.

    Sanic 25.12's manager then stopped them and waited for their reports until killed
    (sanic-org/sanic#2997). A supervisor may stop a service that is still starting.
    """
    service = Service(sanic_project, "demo_service", {"WEB_CONCURRENCY": "2"})
    try:
        # Both serving processes started (and the multiprocessing manager that holds their
        # states): the manager's signal handlers are in place, and the serving processes
        # have a second or more of imports ahead of them.
        deadline = time.monotonic() + 30
        while spawned_children(service.process.pid) < 3:
            assert service.process.poll() is None, service.output()
            assert time.monotonic() < deadline, "Sanic started no serving processes"
            time.sleep(0.02)
        assert service.output().count("Worker ready") < 2, "too late: both had started"
        service.stop(timeout=20)
        assert service.output().count("Worker ready") == 2
    finally:
        service.kill()


# Sanic's own server, with the service's connection protocol, as a stop finds it: a
# request's bytes have arrived and its connection's task has not yet woken to read them.
STOP_AS_A_REQUEST_ARRIVES = """
import asyncio, sys
from demo_service.__main__ import DrainingProtocol, serving_app

app = serving_app()
closed_as_idle = []


class StoppedAsARequestArrives(DrainingProtocol):
    __slots__ = ()

    def data_received(self, data):
        super().data_received(data)
        closed_as_idle.append(self.close_if_idle())


async def main():
    server = await app.create_server(
        host="127.0.0.1", port=int(sys.argv[1]), protocol=StoppedAsARequestArrives,
        access_log=False, return_asyncio_server=True,
    )
    await server.startup()
    await server.start_serving()
    reader, writer = await asyncio.open_connection("127.0.0.1", int(sys.argv[1]))
    writer.write(b"GET /health/live HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n")
    answer = await asyncio.wait_for(reader.read(100), 10)
    print(closed_as_idle, answer.split(b"\\r\\n")[0])
    server.close()
    await server.wait_closed()

asyncio.run(main())
"""


def test_sanic_serves_a_request_that_arrives_as_it_stops(sanic_project: Path) -> None:
    """Sanic closes the connections it finds idle as it stops, and took one whose request had
    arrived, unread yet, for idle: its client got no answer, and a create could be stored
    all the same (test_drain.py, under load). The service's protocol serves that request."""
    output = run(
        [str(sanic_project / ".venv/bin/python"), "-c", STOP_AS_A_REQUEST_ARRIVES, str(free_port())],
        sanic_project,
    )
    assert output.splitlines()[-1] == "[False] b'HTTP/1.1 200 OK'", output


STOPS = 3


# Sanic's own server in one process, as the entry serves it, sent one SIGTERM once it serves:
# from inside the loop (argv[2] "in a run"), or as Sanic marks it serving, between two of its
# runs of the loop ("between runs"). It counts the app's stops.
ONE_SIGTERM = """
import os, signal, sys
from sanic import Sanic
from demo_service.__main__ import serving_app

stops = []
stop, set_serving = Sanic.stop, Sanic.set_serving


def counted(self, *args, **kwargs):
    stops.append(args)
    stop(self, *args, **kwargs)


def signalled_between_runs(self, serving):
    set_serving(self, serving)
    if serving:
        os.kill(os.getpid(), signal.SIGTERM)


# A Sanic app takes no attribute of its own: its class does.
Sanic.stop = counted
if sys.argv[2] == "between runs":
    Sanic.set_serving = signalled_between_runs
app = serving_app()


@app.after_server_start
async def signalled_in_a_run(app):
    if sys.argv[2] == "in a run":
        os.kill(os.getpid(), signal.SIGTERM)


@app.after_server_stop
async def report(app):
    print("stops:", len(stops))


app.prepare(host="127.0.0.1", port=int(sys.argv[1]), single_process=True, access_log=False, motd=False)
Sanic.serve_single(app)
"""


@pytest.mark.parametrize("when", ["in a run", "between runs"])
def test_sanic_stops_once_on_a_sigterm(sanic_project: Path, when: str) -> None:
    """uvloop calls a signal's loop handler as well as Python's: with Sanic's own left in the
    loop beside the entry's, one SIGTERM stopped the app twice, and the second stop, queued,
    could end the drain's wait with an exception (exit 1), as it did when a request came with
    the signal. The entry's handler takes the place of Sanic's in the loop, and stays
    Python's too: the loop's handler alone never heard a signal that came between two of
    Sanic's runs of the loop, and the service ran on."""
    output = run(
        [str(sanic_project / ".venv/bin/python"), "-c", ONE_SIGTERM, str(free_port()), when],
        sanic_project,
        timeout=30,
    )
    assert "stops: 1" in output.splitlines(), output


# The entry with two serving processes, its manager sent SIGTERM as it reads the state it
# shares with them: from inside its first read once they serve, after the request went out
# and before the answer came back.
SIGTERM_MID_READ = """
import os, signal
from multiprocessing.connection import Connection
from sanic.worker.manager import WorkerManager
from demo_service import __main__ as entry

recv, sync_states = Connection.recv, WorkerManager._sync_states
reading, sent = False, False


def signalled_before_the_answer(self):
    global sent
    if reading and not sent:
        sent = True
        os.kill(os.getpid(), signal.SIGTERM)
    return recv(self)


def read_states(self):
    global reading
    reading = True
    try:
        sync_states(self)
    finally:
        reading = False


Connection.recv = signalled_before_the_answer
WorkerManager._sync_states = read_states
entry.main()
"""


def test_sanic_manager_stops_on_a_sigterm_that_comes_as_it_reads_shared_state(sanic_project: Path) -> None:
    """Sanic's own handler stopped the serving processes from inside the signal, with writes
    to the state the manager shares with them, on the connection its read was waiting on:
    the two calls took each other's answers and the manager exited 1, ten seconds later
    (the drain row sanic-embedded, once in a CI run). The entry's handler leaves the stop to
    the manager's monitor loop."""
    started = time.monotonic()
    output = run(
        [str(sanic_project / ".venv/bin/python"), "-c", SIGTERM_MID_READ],
        sanic_project,
        {"WEB_CONCURRENCY": "2", "PORT": str(free_port())},
        timeout=30,
    )
    assert output.count("Received signal SIGTERM") == 1, output
    assert time.monotonic() - started < 10, output


SIGTERM_BETWEEN_LOOP_RUNS = """
import os, signal, time
from granian.server import mp
from demo_service import __main__ as entry

build_worker = mp.ASGIWorker


def signalled_between_runs(*args, **kwargs):
    # Built after the loop's run for the lifespan startup and before its run to serve: the
    # stop the main process passes on comes while the loop is not running.
    os.kill(os.getppid(), signal.SIGTERM)
    time.sleep(0.5)
    return build_worker(*args, **kwargs)


mp.ASGIWorker = signalled_between_runs
entry.main()
"""


def test_granian_serving_process_stops_on_a_sigterm_between_its_loop_runs(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """granian runs a serving process's loop once for the lifespan startup, then again to
    serve. uvloop noted a signal that came between the two runs and never acted on it: the
    process served on until granian killed it (the drain row quart-embedded-2-processes,
    stopped as it starts, once in a CI run: 20 s to exit). The entry's handlers are Python's
    own, which schedule the stop whenever the signal comes."""
    project = without_services(tmp_path_factory, "fastapi")
    output = run(
        [str(project / ".venv/bin/python"), "-c", SIGTERM_BETWEEN_LOOP_RUNS],
        project,
        {"PORT": str(free_port()), "GRACEFUL_SHUTDOWN_TIMEOUT": "3"},
        timeout=60,
    )
    assert "Stopping worker-1" in output, output
    assert "refused to gracefully stop" not in output, output


@pytest.mark.parametrize("framework", ["sanic", "aiohttp"])
def test_a_create_that_comes_with_sigterm_is_answered(framework: str, request: pytest.FixtureRequest) -> None:
    """The entries asyncgen writes for a server of a framework's own, on one process, stopped
    as a create's headers come on a connection kept alive, its body 0.3 s later, three times:
    each stop exits 0 at once, and the create gets its 201 (or, where the server closed the
    idle connection before the headers reached it, as it may under load, no answer).
    test_drain.py checks the same of every framework once per row.

    Sanic's entry left Sanic's own signal handler in the loop beside its own, and uvloop
    calls both: the second stop, queued, ended the drain with an exception (exit 1, five
    stops in six). aiohttp reads nothing more once its shutdown has begun (#2298): the create
    waited out the whole grace period for its body and was cut unanswered.
    """
    project = request.getfixturevalue(f"{framework}_project")
    for _ in range(STOPS):
        with (
            Service(project, "demo_service", {"PYTHONFAULTHANDLER": "1"}) as service,
            socket.create_connection(("127.0.0.1", service.port), timeout=15) as stream,
        ):
            answer, started = create_split_by_sigterm(stream, service.process, with_it=CREATE_HEAD)
            try:
                code = service.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                dump_stacks(service.process)
                pytest.fail(f"no exit 15 s after SIGTERM:\n{service.output()[-8000:]}")
            assert code == 0, service.output()[-4000:]
            assert time.monotonic() - started < 3, service.output()[-4000:]
            assert answer == b"" or answer.startswith(b"201 "), answer


def test_aiohttp_ends_event_streams_and_websockets_on_sigterm_and_exits_0(tmp_path: Path) -> None:
    """aiohttp's AppRunner: on_shutdown ends the SSE and WebSocket streams, then the process exits 0."""
    project = render(tmp_path / "demo-service", framework="aiohttp", broker="none", tasks="none")
    run(["uv", "sync", "-q"], project)

    env = {"DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/e2e.db"}
    with (
        Service(project, "demo_service", env) as service,
        socket.create_connection(("127.0.0.1", service.port), timeout=5) as events,
        socket.create_connection(("127.0.0.1", service.port), timeout=5) as websocket,
    ):
        events.sendall(b"GET /api/events HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n\r\n")
        assert b": subscribed" in read_until(events, b": subscribed")
        websocket.sendall(WEBSOCKET_HANDSHAKE)
        assert b" 101 " in read_until(websocket, b"\r\n\r\n")
        assert service.post("/api/items", {"name": "on-aiohttp", "price": 1})[0] == 201
        assert b"event: item.created" in read_until(events, b'"name":"on-aiohttp"')
        read_until(websocket, b'"name": "on-aiohttp"')

        started = time.monotonic()
        service.stop(timeout=8)
        while events.recv(4096):  # the stream ends (chunked terminator, then EOF)
            pass
        assert close_code(websocket) == 1001  # going away
        assert time.monotonic() - started < 5


# A process that stops on its first SIGTERM or SIGINT as the server entries do: a handler
# that asks the entries' check first, then ignores the rest and sets the event the main
# thread waits on.
STOPS_ONCE = """
import signal, sys, threading
from demo_service.__main__ import STOP_SIGNALS, ignore_stop_signals, passes_once

first = passes_once()
stopped = threading.Event()


def stop(signum, frame):
    if not first():
        return
    ignore_stop_signals()
    stopped.set()


for signum in STOP_SIGNALS:
    signal.signal(signum, stop)
print("ready", flush=True)
stopped.wait()
"""
STORMS = 20


def test_a_storm_of_sigterm_runs_a_stop_handler_once(sanic_project: Path) -> None:
    """A storm of SIGTERM (`sigterm_storm`), twenty times over: each stop exits 0.

    Under such a storm a Python signal handler runs again inside itself, between any two of
    its bytecodes, until it has ignored the rest. Without a check that only its first call
    passes (`_signals.passes_once`, which every server entry's handler asks first), the
    nesting reached the recursion limit or the lock of the event being set, and the exception
    ended the main thread: a third of such stops here, and once granian's main process in
    test_drain.py, which then waited for its serving process until killed.
    """
    # Any entry will do: each has the helpers of templates/_servers/_signals.py.
    for _ in range(STORMS):
        process = subprocess.Popen(
            [str(sanic_project / ".venv" / "bin" / "python"), "-c", STOPS_ONCE],
            cwd=sanic_project,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        assert process.stdout is not None
        assert process.stdout.readline() == b"ready\n"
        sigterm_storm(process)
        try:
            _, errors = process.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            _, errors = process.communicate()
        assert process.returncode == 0, errors.decode()[-3000:]
