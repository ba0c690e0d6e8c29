"""End to end: the generated FastAPI project installs, passes its own checks, and serves."""

import json
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from .helpers import render, run

pytestmark = pytest.mark.slow


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def request(url: str, method: str = "GET", body: Any = None) -> tuple[int, bytes]:
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method)
    req.add_header("content-type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=5) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def wait_until_up(base: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        assert process.poll() is None, process.communicate()
        try:
            if request(f"{base}/health/live")[0] == 200:
                return
        except OSError:
            time.sleep(0.1)
    pytest.fail("server did not come up")


def test_sqlite_project_end_to_end(tmp_path: Path) -> None:
    project = render(tmp_path / "demo-service", database="sqlite", cache="redis")
    run(["git", "init", "-q"], project)
    run(["uv", "sync", "-q"], project)
    run(["uv", "run", "--no-sync", "pytest", "-q", "-p", "no:cacheprovider"], project)
    run(["uv", "run", "--no-sync", "mypy"], project)
    run(["uv", "run", "--no-sync", "ruff", "check"], project)

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {"PORT": str(port), "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/e2e.db"}
    process = subprocess.Popen(
        ["uv", "run", "--no-sync", "python", "-m", "demo_service"],
        cwd=project,
        env={**__import__("os").environ, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_until_up(base, process)
        assert request(f"{base}/health/live") == (200, b'{"status":"ok"}')
        status, body = request(f"{base}/health/ready")
        assert status == 200
        assert json.loads(body) == {
            "status": "ok",
            "checks": {
                "database": {"backend": "sqlite", "ok": True},
                "cache": {"backend": "memory", "ok": True},
                "broker": {"backend": "memory", "ok": True},
            },
        }
        status, body = request(f"{base}/api/items", "POST", {"name": "e2e", "price": 3})
        assert status == 201
        item = json.loads(body)
        assert request(f"{base}/api/items/{item['id']}") == (200, body)
        assert item in json.loads(request(f"{base}/api/items")[1])
        assert request(f"{base}/api/items", "POST", {"name": "", "price": -1})[0] == 422
        assert request(f"{base}/api/items/{item['id']}", "DELETE")[0] == 204
        assert request(f"{base}/api/items/{item['id']}")[0] == 404
        assert json.loads(request(f"{base}/openapi.json")[1])["openapi"].startswith("3.")
        assert b"swagger" in request(f"{base}/docs")[1].lower()

        # An open event stream must not hold up the shutdown.
        with socket.create_connection(("127.0.0.1", port), timeout=5) as stream:
            stream.sendall(b"GET /api/events HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n\r\n")
            assert b"200" in stream.recv(4096)
            started = time.monotonic()
            process.send_signal(signal.SIGTERM)
            assert process.wait(timeout=8) == 0, process.communicate()[0]
        assert time.monotonic() - started < 5
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
