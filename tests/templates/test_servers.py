"""Every production server entry (templates/_servers/) ends event streams on SIGTERM and exits 0.

Each framework names its server; here FastAPI is rendered on each server in turn from a copy
of the template, so an entry is tested even while no framework on this branch uses it.
"""

import re
import shutil
import socket
import time
from pathlib import Path

import pytest

from .helpers import TEMPLATES, Service, render, run

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
        assert service.terminate(timeout=8) == 0
        while stream.recv(4096):  # the stream ends (chunked terminator, then EOF)
            pass
        assert time.monotonic() - started < 5
