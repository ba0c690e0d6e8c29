"""Live-service faults while the generated service runs: Redis goes away and comes back."""

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from .helpers import Service, redis_database, render, require_service, run
from .proxy import TcpProxy

pytestmark = pytest.mark.slow


def eventually(check: Callable[[], bool], timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.2)
    pytest.fail("condition never became true")


def readiness(service: Service) -> tuple[int, Any]:
    return service.get("/health/ready")


def test_redis_outage_degrades_then_recovers(tmp_path: Path) -> None:
    require_service("Redis", "127.0.0.1", 6379)
    project = render(tmp_path / "demo-service", database="sqlite", cache="redis", broker="none", tasks="none")
    run(["git", "init", "-q"], project)
    run(["uv", "sync", "-q"], project)
    redis = TcpProxy(6379)
    redis.restore()
    with redis_database(port=redis.port) as redis_url:
        env = {
            "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/fault.db",
            "REDIS_URL": redis_url,
        }
        try:
            with Service(project, "demo_service", env) as service:
                assert readiness(service) == (
                    200,
                    {
                        "status": "ok",
                        "checks": {
                            "database": {"backend": "sqlite", "ok": True},
                            "cache": {"backend": "redis", "ok": True},
                        },
                    },
                )
                status, item = service.post("/api/items", {"name": "before", "price": 1})
                assert status == 201
                assert service.get(f"/api/items/{item['id']}") == (200, item)  # now cached in Redis

                redis.cut()
                status, report = readiness(service)
                assert (status, report["status"]) == (200, "degraded")
                assert report["checks"]["cache"] == {"backend": "redis", "ok": False}
                started = time.monotonic()
                assert service.get(f"/api/items/{item['id']}") == (200, item)  # from the database
                assert time.monotonic() - started < 1.0, "a dead cache must not stall reads"
                status, during = service.post("/api/items", {"name": "during", "price": 2})
                assert status == 201
                assert service.get(f"/api/items/{during['id']}") == (200, during)

                redis.restore()
                eventually(lambda: readiness(service)[1]["status"] == "ok")
                assert service.get(f"/api/items/{during['id']}") == (200, during)
                assert service.terminate() == 0
        finally:
            redis.cut()
