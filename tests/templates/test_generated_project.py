"""End to end, per framework: the generated project installs, passes its linter, and serves."""

import json
import socket
import time
from pathlib import Path

import pytest

from asyncgen.frameworks import NAMES

from .helpers import Service, free_port, render, request, run

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("framework", NAMES)
def test_sqlite_project_end_to_end(tmp_path: Path, framework: str) -> None:
    project = render(tmp_path / "demo-service", framework=framework, database="sqlite", cache="redis")
    run(["git", "init", "-q"], project)
    run(["uv", "sync", "-q"], project)
    # Its own suite and mypy run in each framework's SQLite row of test_matrix.py; here, the
    # ruff it pins.
    run(["uv", "run", "--no-sync", "ruff", "check"], project)
    run(["uv", "run", "--no-sync", "ruff", "format", "--check"], project)

    env = {
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/e2e.db",
        # Traced, one request in two, to a collector that is not there: nothing a client
        # sees may change, and the service must still stop in time.
        "OTEL_EXPORTER_OTLP_ENDPOINT": f"http://127.0.0.1:{free_port()}",
        "OTEL_TRACES_SAMPLER": "parentbased_traceidratio",
        "OTEL_TRACES_SAMPLER_ARG": "0.5",
        "OTEL_BSP_SCHEDULE_DELAY": "100",
    }
    stderr = tmp_path / "stderr.log"
    with stderr.open("wb") as errors, Service(project, "demo_service", env, errors) as service:
        base = service.base
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
        for _ in range(20):
            assert request(f"{base}/api/items/{item['id']}") == (200, body)
        # A caller's trace its sampler dropped (the sampled flag clear): served, not traced.
        unsampled = {"traceparent": f"00-{'ab' * 16}-{'cd' * 8}-00"}
        assert request(f"{base}/api/items/{item['id']}", headers=unsampled) == (200, body)
        status, metrics = request(f"{base}/metrics")
        assert status == 200 and b"http_requests_total" in metrics
        assert item in json.loads(request(f"{base}/api/items")[1])
        assert request(f"{base}/api/items", "POST", {"name": "", "price": -1})[0] == 422
        assert request(f"{base}/api/items/{item['id']}", "DELETE")[0] == 204
        assert request(f"{base}/api/items/{item['id']}")[0] == 404
        assert json.loads(request(f"{base}/openapi.json")[1])["openapi"].startswith("3.")
        status, docs = request(f"{base}/docs")
        assert status == 200 and b"SwaggerUIBundle" in docs

        # An open event stream must not hold up the shutdown.
        with socket.create_connection(("127.0.0.1", service.port), timeout=5) as stream:
            stream.sendall(b"GET /api/events HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n\r\n")
            assert b"200" in stream.recv(4096)
            started = time.monotonic()
            service.stop(timeout=8)
        assert time.monotonic() - started < 5

    # Whoever logged it (the service, its server, a library), every line on stdout is one JSON
    # object. stderr is apart: granian's Rust threads can print a panic report there as the
    # process exits (pyo3 dropping an object after Python has detached them).
    output = service.output()
    lines = output.splitlines()
    assert lines, "the service logged nothing"
    assert [line for line in lines if not is_json_object(line)] == [], stderr.read_text()
    assert "Traceback" not in output, output[-4000:]


def is_json_object(line: str) -> bool:
    try:
        return isinstance(json.loads(line), dict)
    except json.JSONDecodeError:
        return False
