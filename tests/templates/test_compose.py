"""The default project's compose stack, up end to end on a local Docker engine.

`docker-compose up -d --build` of a project rendered with copier's defaults (FastAPI,
PostgreSQL, Redis, RabbitMQ, taskiq) starts the backing services, `migrate` once PostgreSQL
is healthy, and the app and worker once migrate completed and the services are healthy:
`docker-compose config` must show those conditions, and the engine's event stream each one
met before its dependent started. A create through the app's published port reaches an
SSE subscriber of `/api/events` as its `item.created` event, and the worker logs the item's
job (`item.processed`). `docker-compose stop` then stops every container with exit code 0,
read from each one before `down -v` removes them.

No image registry is reachable here, so the images compose.yaml names are stand-ins built
from Debian trixie's packages (tests/containers.py), tagged with the versions in
`templates/_versions.jinja` but running others: `postgres:18` runs PostgreSQL 17,
`redis:8` Redis 8.0, `rabbitmq:4-management-alpine` RabbitMQ 4.0 on Erlang 27 (Debian, not
Alpine), `python:3.13-slim` Python 3.13.5.

The stack publishes the host ports compose.yaml names (8000 for the app, 15672 for
RabbitMQ's management UI): the test reaches the app where the README says it is. Nothing
else in the suite binds them (services there take ephemeral ports); a compose override file
could only add ports, not replace these (docker-compose 1.29 merges port lists), so a
taken port fails the test with its name.
"""

import json
import queue
import subprocess
import threading
import time
import urllib.request
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, suppress
from functools import partial
from pathlib import Path
from typing import Any

import pytest
import yaml
from containers import (
    DOCKER,
    base_images,
    docker,
    docker_env,
    postgres_image,
    rabbitmq_image,
    redis_image,
    require_engine,
    versions,
)

from .helpers import render, request, wait_until
from services import reachable, require_tool

pytestmark = pytest.mark.slow

APP = "http://127.0.0.1:8000"
HOST_PORTS = {"app": 8000, "RabbitMQ's management UI": 15672}


def stand_in_images() -> None:
    """Every image the Dockerfile and compose.yaml name, built at once where missing."""
    pinned = versions()
    builds = [
        partial(base_images),
        partial(postgres_image, f"postgres:{pinned.postgres}"),
        partial(redis_image, f"redis:{pinned.redis}"),
        partial(rabbitmq_image, f"rabbitmq:{pinned.rabbitmq}-management-alpine"),
    ]
    with ThreadPoolExecutor(len(builds)) as pool:
        for future in [pool.submit(build) for build in builds]:
            future.result()


class Stack:
    """`docker-compose -p <unique name>` in a project, and what the engine saw it do."""

    def __init__(self, project: Path) -> None:
        self.project = project
        self.name = f"asyncgen-test-{uuid.uuid4().hex[:10]}"

    def compose(self, *args: str, timeout: float = 600) -> str:
        result = subprocess.run(
            ["docker-compose", "-p", self.name, *args],
            cwd=self.project, env=docker_env(), capture_output=True, text=True, timeout=timeout, check=False,
        )  # fmt: skip
        assert result.returncode == 0, f"docker-compose {' '.join(args)}:\n{result.stdout}\n{result.stderr}"
        return result.stdout

    def containers(self) -> dict[str, dict[str, Any]]:
        """`docker inspect` of each of the stack's containers, running or not, by service."""
        ids = self.compose("ps", "-q", "-a").split()
        inspected = json.loads(docker("inspect", *ids).stdout) if ids else []
        return {item["Config"]["Labels"]["com.docker.compose.service"]: item for item in inspected}

    @contextmanager
    def events(self) -> Iterator[list[dict[str, Any]]]:
        """The engine's container events for this stack while the block runs (start, health, die)."""
        label = f"label=com.docker.compose.project={self.name}"
        since = str(int(time.time()) - 1)  # replayed: the stream may attach after the first events
        watcher = subprocess.Popen(
            [DOCKER, "events", "--since", since, "--filter", "type=container",
             "--filter", label, "--format", "{{json .}}"],
            env=docker_env(), stdout=subprocess.PIPE, text=True,
        )  # fmt: skip
        seen: list[dict[str, Any]] = []
        lines = watcher.stdout or ()
        reader = threading.Thread(target=lambda: seen.extend(json.loads(line) for line in lines))
        reader.start()
        try:
            yield seen
        finally:
            time.sleep(1)  # the engine writes an event just after the state change it reports
            watcher.terminate()
            watcher.wait()
            reader.join()


def first(events: list[dict[str, Any]], service: str, action: str) -> int:
    """When `service`'s container first did `action` (ns since the epoch)."""
    label = "com.docker.compose.service"
    seen = [(e["Actor"]["Attributes"].get(label), e["Action"], e["timeNano"]) for e in events]
    times = [when for name, did, when in seen if (name, did) == (service, action)]
    assert times, f"no '{action}' event of {service} in {seen}"
    return min(times)


def sse_events(url: str, received: "queue.Queue[dict[str, str]]") -> threading.Thread:
    """Read a Server-Sent Events stream in the background, one dict per event or comment."""

    def read() -> None:
        with suppress(OSError), urllib.request.urlopen(url, timeout=60) as response:
            fields: dict[str, str] = {}
            for raw in response:
                line = raw.decode().rstrip("\r\n")
                if not line:
                    if fields:
                        received.put(fields)
                    fields = {}
                elif line.startswith(":"):
                    received.put({"comment": line[1:].strip()})
                else:
                    key, _, value = line.partition(":")
                    fields[key] = value.removeprefix(" ")

    thread = threading.Thread(target=read, daemon=True)
    thread.start()
    return thread


def test_compose_stack_creates_processes_streams_and_stops_cleanly(tmp_path: Path) -> None:
    require_engine()
    require_tool("docker-compose")
    for name, port in HOST_PORTS.items():
        assert not reachable("127.0.0.1", port), f"port {port} ({name}) is taken; compose.yaml publishes it"
    stand_in_images()
    project = render(tmp_path / "demo", database="postgresql")
    stack = Stack(project)
    try:
        with stack.events() as events:
            stack.compose("up", "-d", "--build", timeout=900)
            # Every backend `ok`: the app's consumer is on the broker before the create.
            wait_until(lambda: json.loads(request(f"{APP}/health/ready")[1])["status"] == "ok", "ready", 60)

            received: queue.Queue[dict[str, str]] = queue.Queue()
            sse_events(f"{APP}/api/events", received)
            assert received.get(timeout=10) == {"comment": "subscribed"}
            status, body = request(f"{APP}/api/items", "POST", {"name": "widget", "price": 9.5})
            assert status == 201, body
            item = json.loads(body)
            event = received.get(timeout=30)
            assert event["event"] == "item.created", event
            assert json.loads(event["data"]) == item
            assert uuid.UUID(event["id"])

            def processed() -> bool:
                lines = stack.compose("logs", "--no-color", "--no-log-prefix", "worker").splitlines()
                records = [json.loads(line) for line in lines if line.startswith("{")]
                job = {"event": "item.processed", "item_id": item["id"]}
                return any(job.items() <= record.items() for record in records)

            wait_until(processed, "the worker's item.processed log line", timeout=60)
            stack.compose("stop", timeout=120)

        # What compose.yaml asks for (timing alone could pass without it: RabbitMQ is healthy
        # after migrate has long completed), and that the engine saw it done.
        conditions = {
            service: {
                dependency: rule["condition"] for dependency, rule in spec.get("depends_on", {}).items()
            }
            for service, spec in yaml.safe_load(stack.compose("config"))["services"].items()
        }
        healthy, completed = "service_healthy", "service_completed_successfully"
        assert conditions == {
            "postgres": {}, "redis": {}, "rabbitmq": {},
            "migrate": {"postgres": healthy},
            "app": {"migrate": completed, "postgres": healthy, "redis": healthy, "rabbitmq": healthy},
            "worker": {"migrate": completed, "postgres": healthy, "rabbitmq": healthy},
        }  # fmt: skip
        done = {healthy: "health_status: healthy", completed: "die"}
        for service, dependencies in conditions.items():
            for dependency, condition in dependencies.items():
                ready, started = first(events, dependency, done[condition]), first(events, service, "start")
                assert ready < started, f"{service} started before {dependency} was {condition}"
        # And stopped in the reverse order: the app's and the worker's shutdown (the outbox's
        # last hand-overs) still reach the database.
        for service in ("app", "worker"):
            assert first(events, service, "die") < first(events, "postgres", "die"), service

        containers = stack.containers()
        assert set(containers) == {"app", "worker", "migrate", "postgres", "redis", "rabbitmq"}
        exits = {service: item["State"]["ExitCode"] for service, item in containers.items()}
        assert exits == dict.fromkeys(containers, 0), exits
    finally:
        print(stack.compose("logs", "--no-color", "--tail", "60"))  # shown when the test fails
        stack.compose("down", "-v", "--rmi", "local", timeout=300)
