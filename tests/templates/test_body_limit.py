"""Huge request bodies are refused before they are read, by every framework's real server.

Issue 23: FastAPI, Sanic, Starlette and BlackSheep read a 64 MiB body whole before refusing
it, and the server's memory grew with each. Here twenty such uploads at once (half with
Content-Length, half chunked) must each get their 413 and a closed connection, leave the
server's memory (every process of it) within 50 MB of where it started, and the service
answering.
"""

import select
import socket
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psutil
import pytest

from asyncgen.frameworks import NAMES

from .helpers import Service, render, run

pytestmark = pytest.mark.slow

UPLOAD = 64 * 1024 * 1024
CHUNK = 64 * 1024


def rss(pid: int) -> int:
    process = psutil.Process(pid)
    return sum(p.memory_info().rss for p in [process, *process.children(recursive=True)])


def upload(port: int, chunked: bool) -> bytes:
    """Keep sending a 64 MiB body as a careless client would; the answer, to the closed end.

    The server must answer before the body is all sent and then close the connection, not
    read the rest nor wait for it.
    """
    framing = b"transfer-encoding: chunked" if chunked else f"content-length: {UPLOAD}".encode()
    head = b"POST /api/items HTTP/1.1\r\nhost: test\r\ncontent-type: application/json\r\n"
    piece = b" " * CHUNK
    if chunked:
        piece = f"{CHUNK:x}\r\n".encode() + piece + b"\r\n"
    answer = b""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as stream:
        stream.sendall(head + framing + b"\r\n\r\n")
        try:
            for _ in range(UPLOAD // CHUNK):
                if select.select([stream], [], [], 0)[0] and not answer:
                    # The whole answer (a problem document ends with "}") before sending on:
                    # a server that closes with unread data resets, which drops it here.
                    while not answer.endswith(b"}"):
                        data = stream.recv(65536)
                        if not data:
                            return answer  # closed by the server: no hang, no leak
                        answer += data
                stream.sendall(piece)
            # All of it sent: the server read it whole, or waits; either way its answer now.
            while data := stream.recv(65536):
                answer += data
        except (BrokenPipeError, ConnectionResetError):
            return answer  # the server closed its end while we were still sending
    raise AssertionError(f"the server read the whole body: {answer[:200]!r}")


@pytest.mark.parametrize("framework", NAMES)
def test_concurrent_huge_uploads_are_refused_before_read(framework: str, tmp_path: Path) -> None:
    project = render(
        tmp_path / "demo-service", framework=framework, cache="none", broker="none", tasks="none"
    )
    run(["uv", "sync", "-q"], project)
    env = {"DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/e2e.db"}
    with Service(project, "demo_service", env) as service:
        time.sleep(1)  # the processes settle after start-up
        before = rss(service.process.pid)
        with ThreadPoolExecutor(20) as pool:
            answers = list(pool.map(lambda i: upload(service.port, i % 2 == 1), range(20)))
        after = rss(service.process.pid)
        for answer in answers:
            # Empty when the server's close reset the connection under a send still running,
            # which drops the answer on this side (the suite checks the 413 itself).
            if answer:
                assert answer.startswith(b"HTTP/1.1 413"), answer[:300]
                assert b"application/problem+json" in answer.lower(), answer[:300]
        assert after - before < 50 * 1024 * 1024, (before, after)
        assert service.get("/health/live")[0] == 200
