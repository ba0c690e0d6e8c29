"""Idempotency-Key across instances: two services on one PostgreSQL database agree on a key.

The generated suite checks the header in-process, per framework; here two real server
processes share one database, and a retry that reaches the other instance (as a load
balancer may send it) gets the first instance's item back.
"""

import json
import urllib.error
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from .helpers import Service, render, run, throwaway_database

pytestmark = pytest.mark.slow


def create(base: str, body: dict[str, Any], key: str) -> tuple[int, Any]:
    request = urllib.request.Request(
        f"{base}/api/items",
        data=json.dumps(body).encode(),
        method="POST",
        headers={"content-type": "application/json", "Idempotency-Key": key},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def named(base: str, name: str) -> list[dict[str, Any]]:
    with urllib.request.urlopen(f"{base}/api/items?limit=100", timeout=10) as response:
        return [item for item in json.loads(response.read()) if item["name"] == name]


def test_a_retry_to_another_instance_gets_the_first_result(tmp_path: Path) -> None:
    project = render(
        tmp_path / "demo-service", database="postgresql", cache="none", broker="none", tasks="none"
    )
    run(["uv", "sync", "-q"], project)
    with throwaway_database(project, "postgresql") as url:
        env = {"DATABASE_URL": url}
        run(["uv", "run", "--no-sync", "alembic", "upgrade", "heads"], project, env)
        with Service(project, "demo_service", env) as first, Service(project, "demo_service", env) as second:
            try:
                check_two_instances(first.base, second.base)
            finally:
                # Stopped, their pools closed, before the database is dropped.
                exits = (first.terminate(), second.terminate())
        assert exits == (0, 0)


def check_two_instances(first: str, second: str) -> None:
    key, body = str(uuid.uuid4()), {"name": "retried", "price": 4.5}
    status, item = create(first, body, key)
    assert status == 201, item
    # The client timed out and retries; the balancer sends the retry to the other instance.
    assert create(second, body, key) == (201, item)
    status, problem = create(second, {**body, "price": 5}, key)
    assert status == 422, problem
    assert [error["field"] for error in problem["errors"]] == ["header.idempotency-key"]
    assert named(first, "retried") == [item]

    # Both instances at once with one key: the database lets one insert win.
    key, body = str(uuid.uuid4()), {"name": "raced", "price": 1}
    bases = [first, second] * 8
    with ThreadPoolExecutor(len(bases)) as pool:
        answers = list(pool.map(lambda base: create(base, body, key), bases))
    assert {status for status, _ in answers} == {201}
    assert len({json.dumps(item) for _, item in answers}) == 1
    assert len(named(second, "raced")) == 1
