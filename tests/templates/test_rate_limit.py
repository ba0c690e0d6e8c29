"""RATE_LIMIT on live Redis, in every framework: two instances of a generated service share
one quota per client, and with Redis cut (through a TcpProxy) writes keep answering 201
while readiness says degraded; once Redis is back, the quota holds again."""

import http.client
import json
import time
from pathlib import Path
from typing import Any

import pytest

from .helpers import Service, redis_database, render, run
from .proxy import TcpProxy
from .test_faults import eventually, readiness
from services import require_service

pytestmark = pytest.mark.slow

FRAMEWORKS = ["fastapi", "sanic", "quart", "litestar", "starlette", "blacksheep", "aiohttp"]
QUOTA = 3


def write(service: Service) -> tuple[int, dict[str, str], Any]:
    connection = http.client.HTTPConnection("127.0.0.1", service.port, timeout=10)
    try:
        body = json.dumps({"name": "widget", "price": 1}).encode()
        connection.request("POST", "/api/items", body, {"content-type": "application/json"})
        response = connection.getresponse()
        raw = response.read()
    finally:
        connection.close()
    headers = {name.lower(): value for name, value in response.getheaders()}
    return response.status, headers, json.loads(raw) if raw else None


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_instances_share_the_quota_and_it_fails_open(tmp_path: Path, framework: str) -> None:
    require_service("Redis", "127.0.0.1", 6379)
    project = render(
        tmp_path / "demo-service",
        framework=framework,
        database="sqlite",
        cache="redis",
        broker="none",
        tasks="none",
    )
    run(["uv", "sync", "-q"], project)
    redis = TcpProxy(6379)
    redis.restore()
    try:
        with redis_database() as redis_url:
            shared = {
                "REDIS_URL": redis_url.replace("127.0.0.1:6379", f"127.0.0.1:{redis.port}"),
                "RATE_LIMIT": f"{QUOTA}/minute",
            }
            # Two instances, each with a database of its own: only Redis is shared.
            one_env = {**shared, "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'one.db'}"}
            other_env = {**shared, "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'other.db'}"}
            with (
                Service(project, "demo_service", one_env) as one,
                Service(project, "demo_service", other_env) as other,
            ):
                eventually(lambda: readiness(one) == "ok", what="readiness ok at startup")
                allowed = [write(one), write(other), write(one)]
                assert [status for status, _, _ in allowed] == [201] * QUOTA
                assert [headers["ratelimit"].split(";")[1] for _, headers, _ in allowed] == [
                    "r=2",
                    "r=1",
                    "r=0",
                ]
                for service in (other, one):
                    status, headers, problem = write(service)
                    assert status == 429, problem
                    assert headers["content-type"].startswith("application/problem+json")
                    assert problem["status"] == 429
                    assert int(headers["retry-after"]) >= 1
                    assert headers["ratelimit-policy"] == f'"writes";q={QUOTA};w=60'

                redis.cut()
                eventually(lambda: readiness(one) == "degraded", 5, "readiness degraded")
                _, report = one.get("/health/ready")
                assert report["checks"]["rate_limit"] == {"backend": "redis", "ok": False}
                started = time.monotonic()
                cut = [write(one)[0] for _ in range(5)] + [write(other)[0] for _ in range(5)]
                assert cut == [201] * 10, f"writes must go through while Redis is away: {cut}"
                seconds = time.monotonic() - started

                redis.restore()
                eventually(lambda: readiness(one) == "ok", 10, "readiness ok with Redis back")
                assert write(other)[0] == 429
                one.stop()
                other.stop()
    finally:
        redis.cut()
    print(f"RATE_LIMIT {framework}: 10 writes with Redis cut in {seconds:.2f} s")
