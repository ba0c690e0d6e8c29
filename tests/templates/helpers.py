"""Helpers shared by the template tests: render the template, run commands, need services."""

import json
import os
import random
import signal
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import IO, Any

import pytest
from copier import run_copy

from services import require_service

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
# How long a storm of SIGTERM lasts (`sigterm_storm`).
STORM_SECONDS = 0.05


def sigterm_storm(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM back to back for STORM_SECONDS, as an impatient operator or a supervisor
    repeating itself sends it: some signals reach the process while its handler for an
    earlier one is still running."""
    started = time.monotonic()
    while time.monotonic() - started < STORM_SECONDS:
        process.send_signal(signal.SIGTERM)


def dump_stacks(process: subprocess.Popen[bytes]) -> None:
    """SIGABRT to a server that should have exited: faulthandler (PYTHONFAULTHANDLER) writes
    where each of its threads stands to its output, for the failure's report."""
    process.send_signal(signal.SIGABRT)
    with suppress(subprocess.TimeoutExpired):
        process.wait(timeout=5)


# A create as bytes, for the tests that send its parts apart around a signal.
CREATE_BODY = json.dumps({"name": "arriving", "price": 1}).encode()
CREATE_HEAD = (
    "POST /api/items HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
    f"Content-Length: {len(CREATE_BODY)}\r\n\r\n"
).encode()


def answer_on(stream: socket.socket) -> bytes:
    """The status and body of the response on the connection (b"201 {...}"), b"" where the
    server closed it without one, or what ended it instead."""
    import http.client

    response = http.client.HTTPResponse(stream)
    try:
        response.begin()
        return f"{response.status} ".encode() + response.read()
    except ConnectionError:
        return b""
    except (OSError, http.client.HTTPException) as error:
        return repr(error).encode()


def create_split_by_sigterm(
    stream: socket.socket,
    process: subprocess.Popen[bytes],
    *,
    before: bytes = b"",
    with_it: bytes = b"",
) -> tuple[bytes, float]:
    """On `stream`, a connection to `process`'s server kept alive since a liveness request, a
    create cut by SIGTERM: its first bytes `before` the signal (read by the server by the
    time it comes), the next `with_it`, the rest 0.3 s later. http.client writes a request's
    headers and its body apart, so a busy client's create can meet the signal either way.

    Returns the create's answer (`answer_on`) and when the signal went (time.monotonic()).
    """
    stream.sendall(b"GET /health/live HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    live = answer_on(stream)
    assert live.startswith(b"200 "), live
    if before:
        stream.sendall(before)
        time.sleep(0.2)
    process.send_signal(signal.SIGTERM)
    signalled = time.monotonic()
    stream.sendall(with_it)
    time.sleep(0.3)
    with suppress(OSError):  # the server may have closed the connection unread
        stream.sendall((CREATE_HEAD + CREATE_BODY)[len(before) + len(with_it) :])
    return answer_on(stream), signalled


def wait_until(check: Any, what: str, timeout: float) -> Any:
    """`check()`'s first true result within `timeout` seconds; a refused connection is a no."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with suppress(OSError):
            if result := check():
                return result
        time.sleep(0.5)
    pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}")


def log_records(output: str) -> list[dict[str, Any]]:
    """The JSON log lines in a service's output; anything else (a half-written last line, a
    library's plain text) is passed over."""
    records = []
    for line in output.splitlines():
        if line.startswith("{"):
            with suppress(json.JSONDecodeError):
                records.append(json.loads(line))
    return records


def metric_total(scrape: str, name: str, **labels: str) -> float:
    """The sum of the samples of `name` carrying `labels`, in a Prometheus text scrape."""
    wanted = [f'{label}="{value}"' for label, value in labels.items()]
    return sum(
        float(line.rsplit(" ", 1)[1])
        for line in scrape.splitlines()
        if line.startswith(f"{name}{{") and all(pair in line for pair in wanted)
    )


def render(dst: Path, template: Path = TEMPLATES, **answers: str) -> Path:
    data: dict[str, Any] = {
        "project_name": "demo-service",
        "framework": "fastapi",
        "database": "sqlite",
        "cache": "redis",
        "broker": "rabbitmq",
        "tasks": "taskiq",
        **answers,
    }
    run_copy(str(template), str(dst), data=data, defaults=True, quiet=True)
    return dst


def run(cmd: list[str], cwd: Path, env: dict[str, str] | None = None, timeout: float = 300) -> str:
    full_env = {**os.environ, **(env or {})}
    full_env.pop("VIRTUAL_ENV", None)
    try:
        result = subprocess.run(
            cmd, cwd=cwd, env=full_env, capture_output=True, text=True, timeout=timeout, check=False
        )
    except subprocess.TimeoutExpired as expired:
        # Cut where the timeout came, perhaps inside a character.
        written = [
            part.decode(errors="replace") if isinstance(part, bytes) else part or ""
            for part in (expired.stdout, expired.stderr)
        ]
        pytest.fail(f"{cmd} still ran after {timeout} s; it had written:\n" + "\n".join(written))
    assert result.returncode == 0, f"{cmd} failed:\n{result.stdout}\n{result.stderr}"
    return result.stdout


def generated_suite(project: Path, *args: str, env: dict[str, str] | None = None) -> str:
    """A generated project's own pytest run. Verbose and unbuffered, so each test's name is
    written as it starts: where one hangs, the output `run` reports names it."""
    return run(
        ["uv", "run", "--no-sync", "pytest", "-v", "-p", "no:cacheprovider", *args],
        project,
        {"PYTHONUNBUFFERED": "1", **(env or {})},
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def request(
    url: str, method: str = "GET", body: Any = None, timeout: float = 5, headers: dict[str, str] | None = None
) -> tuple[int, bytes]:
    import json
    import urllib.error
    import urllib.request

    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    req.add_header("content-type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


class Service:
    """`python -m <package>` of a generated project, on a free port, stopped with SIGTERM."""

    def __init__(
        self,
        project: Path,
        package: str,
        env: dict[str, str] | None = None,
        stderr: IO[bytes] | None = None,
        stdout: IO[bytes] | None = None,
    ) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        full_env = {**os.environ, **(env or {}), "PORT": str(self.port)}
        full_env.pop("VIRTUAL_ENV", None)
        # A file, never a pipe: one access line per request fills a pipe nobody reads (64 KiB)
        # within a few hundred requests, and the server then stops at its next write.
        # Closed when garbage collected, after the test has read it.
        self._output = stdout or tempfile.TemporaryFile()  # noqa: SIM115
        # The venv's interpreter itself, not `uv run`: signals and kill() must reach the server.
        self.process = subprocess.Popen(
            [str(project / ".venv" / "bin" / "python"), "-m", package],
            cwd=project,
            env=full_env,
            stdout=self._output,
            stderr=stderr or subprocess.STDOUT,  # with stdout unless the test keeps it apart
            # A group of its own, so kill() also ends the worker processes some servers start.
            start_new_session=True,
        )

    def __enter__(self) -> "Service":
        import time

        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.output()
            try:
                if request(f"{self.base}/health/live")[0] == 200:
                    return self
            except OSError:
                time.sleep(0.1)
        self.kill()
        pytest.fail("the generated service did not come up")

    def __exit__(self, *exc: object) -> None:
        self.kill()

    def output(self) -> str:
        """What the server has written to its output so far."""
        self._output.flush()
        if not self._output.readable():  # the test's own file, opened for writing only
            return Path(self._output.name).read_text(errors="replace")
        self._output.seek(0)
        return self._output.read().decode(errors="replace")

    def get(self, path: str) -> tuple[int, Any]:
        import json

        status, body = request(f"{self.base}{path}")
        return status, json.loads(body) if body else None

    def post(self, path: str, body: Any, headers: dict[str, str] | None = None) -> tuple[int, Any]:
        import json

        status, raw = request(f"{self.base}{path}", "POST", body, headers=headers)
        return status, json.loads(raw) if raw else None

    def terminate(self, timeout: float = 10) -> int:
        import signal

        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=timeout)

    def stop(self, timeout: float = 10) -> None:
        """SIGTERM: the service must exit 0 within `timeout`; if not, the failure shows why."""
        code = self.terminate(timeout)
        assert code == 0, f"exit {code}, the end of the output:\n{self.output()[-4000:]}"

    def kill(self) -> None:
        import signal

        # The whole group, also after the server itself exited: workers it started (Sanic's,
        # granian's) must not outlive the test holding its port and connections.
        with suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()


# Run with the generated project's own interpreter, so its driver does the talking.
_ADMIN_SCRIPTS = {
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
DATABASE_SERVICES = {
    "postgresql": ("PostgreSQL", 5432, "postgresql+asyncpg://postgres@127.0.0.1:5432/{db}"),
    "mysql": ("MariaDB", 3306, "mysql+asyncmy://root@127.0.0.1:3306/{db}"),
}


# Run by the project's own interpreter: its suite's writer, then a wait until stdin closes.
_WRITER = """
import json, sys
from tests import credentials
print(json.dumps([credentials.SETTINGS, credentials.WRITER]), flush=True)
sys.stdin.read()
"""


@contextmanager
def writer_credentials(project: Path) -> Iterator[tuple[dict[str, str], dict[str, str]]]:
    """The writer of a project's own suite (tests/credentials.py): the environment a service
    needs to accept it, and the headers it writes with. A JWT project's stand-in issuer
    serves its keys for as long as the block runs."""
    process = subprocess.Popen(
        [str(project / ".venv" / "bin" / "python"), "-c", _WRITER],
        cwd=project,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdin is not None and process.stdout is not None
    try:
        settings, writer = json.loads(process.stdout.readline())
        env = {
            name.upper(): ",".join(value) if isinstance(value, list) else str(value)
            for name, value in settings.items()
        }
        yield env, writer
    finally:
        process.stdin.close()
        process.wait(timeout=10)


@contextmanager
def throwaway_database(
    project: Path, database: str, python: Sequence[str] = ("uv", "run", "--no-sync", "python")
) -> Iterator[str]:
    """A database of its own for one run (created, then dropped); yields its DATABASE_URL.

    `python` runs an interpreter that has the project's driver: its venv's, or its image's.
    """
    name, port, url = DATABASE_SERVICES[database]
    require_service(name, "127.0.0.1", port)
    db = f"asyncgen_{uuid.uuid4().hex[:12]}"
    admin = [*python, "-c", _ADMIN_SCRIPTS[database]]
    run([*admin, f"CREATE DATABASE {db}"], project)
    try:
        yield url.format(db=db)
    finally:
        # A container stopped a moment ago can leave a session PostgreSQL has not reaped yet.
        force = " WITH (FORCE)" if database == "postgresql" else ""
        run([*admin, f"DROP DATABASE {db}{force}"], project)


@contextmanager
def rabbitmq_vhost() -> Iterator[str]:
    """A RabbitMQ virtual host of its own (deleted after), so no queue outlives the run."""
    require_service("RabbitMQ", "127.0.0.1", 5672)
    vhost = f"asyncgen-{uuid.uuid4().hex[:12]}"
    run(["rabbitmqctl", "-q", "add_vhost", vhost], Path.cwd())
    try:
        run(["rabbitmqctl", "-q", "set_permissions", "-p", vhost, "guest", ".*", ".*", ".*"], Path.cwd())
        yield f"amqp://guest:guest@127.0.0.1:5672/{vhost}"
    finally:
        run(["rabbitmqctl", "-q", "delete_vhost", vhost], Path.cwd())


_DELETE_NATS_STREAMS = """
import asyncio, sys, nats
async def main():
    client = await nats.connect("nats://127.0.0.1:4222")
    jetstream = client.jetstream()
    for stream in await jetstream.streams_info():
        if stream.config.name.startswith(sys.argv[1]):
            await jetstream.delete_stream(stream.config.name)
    await client.close()
asyncio.run(main())
"""


@contextmanager
def nats_streams(project: Path, prefix: str) -> Iterator[str]:
    """Yields the NATS URL; afterwards deletes the JetStream streams whose names start with prefix."""
    require_service("NATS", "127.0.0.1", 4222)
    try:
        yield "nats://127.0.0.1:4222"
    finally:
        run(["uv", "run", "--no-sync", "python", "-c", _DELETE_NATS_STREAMS, prefix], project)


def flush_redis_database(number: int) -> None:
    with socket.create_connection(("127.0.0.1", 6379), timeout=5) as connection:
        connection.sendall(f"SELECT {number}\r\nFLUSHDB\r\n".encode())
        replies = b""
        while replies.count(b"\r\n") < 2:
            replies += connection.recv(1024)
    assert replies == b"+OK\r\n+OK\r\n", replies


def _redis_databases_of_this_worker() -> list[int]:
    """Database numbers 1-15, shared out among pytest-xdist's workers (all of them without it).

    Runs in one worker never overlap, so a worker's own numbers are never in use twice; the
    random pick among them keeps apart pytest sessions run side by side.
    """
    index = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw"))
    count = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
    return [n for n in range(1, 16) if (n - 1) % count == index] or [1 + index % 15]


@contextmanager
def redis_database(port: int = 6379) -> Iterator[str]:
    """A Redis database number emptied before and after the run; yields its REDIS_URL.

    Fresh databases restart item ids at 1, so an entry cached by an earlier run would
    otherwise answer for a different item.
    """
    require_service("Redis", "127.0.0.1", 6379)
    number = random.choice(_redis_databases_of_this_worker())
    flush_redis_database(number)
    try:
        yield f"redis://127.0.0.1:{port}/{number}"
    finally:
        flush_redis_database(number)
