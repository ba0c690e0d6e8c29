"""The generated image, built and run for every framework.

One project per framework with copier's defaults (PostgreSQL, Redis, RabbitMQ, taskiq); its
image is built once and then:
- run alone, on its embedded defaults: it runs as a non-root user, serves a create and its
  read-back, keeps its data in the /data volume, turns healthy by its own HEALTHCHECK and
  exits 0 on `docker stop` within the grace period;
- run against this machine's services (`--network host`; a database, a Redis database and a
  RabbitMQ virtual host of its own): `alembic upgrade heads`, the app and the worker (the
  image with compose.yaml's worker command) run, one create makes the worker run its job
  (the `item.processed` log line), and both exit 0 on `docker stop`.
The base images are stand-ins built here (tests/containers.py): no image registry answers.
"""

import json
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest
from containers import DOCKER, base_images, docker, require_engine
from copier import run_copy

from asyncgen.frameworks import NAMES

from .helpers import (
    TEMPLATES,
    free_port,
    rabbitmq_vhost,
    redis_database,
    request,
    require_service,
    throwaway_database,
)

PACKAGE = "demo_service"
# The service's GRACEFUL_SHUTDOWN_TIMEOUT default, and the time `docker stop` gives it
# before SIGKILL (exit code 137).
GRACE = 10
# The image's HEALTHCHECK probes every 10 s, and the first probe comes one interval after the
# start: engine 20.10 has no --health-start-interval. Only the schedule is shortened here;
# the check command is the image's own.
FAST_HEALTH = ("--health-interval", "1s")

pytestmark = [pytest.mark.slow, pytest.mark.service]


@pytest.fixture(scope="module")
def engine() -> None:
    require_engine()
    base_images()


@pytest.fixture
def names() -> Iterator[str]:
    """A unique prefix for this test's image and containers, all removed afterwards."""
    prefix = f"asyncgen-test-image-{uuid.uuid4().hex[:10]}"
    yield prefix
    containers = docker("ps", "-aq", "--filter", f"name={prefix}").stdout.split()
    if containers:
        docker("rm", "-f", "-v", *containers, check=False)
    docker("rmi", "-f", prefix, check=False)


def state(container: str) -> dict[str, Any]:
    result: dict[str, Any] = json.loads(docker("inspect", "-f", "{{json .State}}", container).stdout)
    return result


def logs(container: str) -> str:
    """The end of its output, for a failure message."""
    result = docker("logs", container, check=False)
    return (result.stdout + result.stderr)[-3000:]


def wait_healthy(container: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        current = state(container)
        assert current["Status"] == "running", logs(container)
        if current["Health"]["Status"] == "healthy":
            return
        time.sleep(0.5)
    pytest.fail(f"{container} did not turn healthy: {current['Health']}")


def stop(*containers: str) -> None:
    """`docker stop` them together: each exits 0 by itself, before the grace period ends."""
    started = time.monotonic()
    docker("stop", "-t", str(GRACE), *containers, timeout=GRACE + 30)
    took = time.monotonic() - started
    for container in containers:
        assert state(container)["ExitCode"] == 0, logs(container)
    assert took < GRACE, f"docker stop took {took:.1f} s"


def runtime_uid(container: str) -> int:
    """The real uid of the container's main process, as the kernel sees it."""
    status = docker("exec", container, "cat", "/proc/1/status").stdout
    uid_line = next(line for line in status.splitlines() if line.startswith("Uid:"))
    return int(uid_line.split()[1])


def create_and_read(base: str) -> dict[str, Any]:
    status, body = request(f"{base}/api/items", "POST", {"name": "boxed", "price": 1})
    assert status == 201, body
    item: dict[str, Any] = json.loads(body)
    status, body = request(f"{base}/api/items/{item['id']}")
    assert status == 200, body
    assert json.loads(body) == item
    return item


def ready_backends(base: str) -> set[str]:
    """What `/health/ready` says the service uses, all of it up."""
    status, body = request(f"{base}/health/ready")
    readiness = json.loads(body)
    assert (status, readiness["status"]) == (200, "ok"), readiness
    return {check["backend"] for check in readiness["checks"].values()}


def log_events(container: str) -> Iterator[dict[str, Any]]:
    output = docker("logs", container)
    for line in (output.stdout + output.stderr).splitlines():
        if line.startswith("{"):
            yield json.loads(line)


def wait_for_event(container: str, expected: dict[str, Any], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any(expected.items() <= event.items() for event in log_events(container)):
            return
        assert state(container)["Status"] == "running", logs(container)
        time.sleep(0.5)
    pytest.fail(f"no {expected} in {container}'s log:\n{logs(container)}")


def check_embedded_defaults(image: str) -> None:
    # --read-only: the service must write nowhere but its /data volume.
    app = f"{image}-embedded"
    docker("run", "-d", "--name", app, "--read-only", "-p", "127.0.0.1::8000", *FAST_HEALTH, image)
    wait_healthy(app)
    assert runtime_uid(app) != 0
    port = docker("port", app, "8000").stdout.split(":")[-1].strip()
    base = f"http://127.0.0.1:{port}"
    assert "sqlite" in ready_backends(base)
    create_and_read(base)
    assert f"{PACKAGE}.db" in docker("exec", app, "ls", "/data").stdout
    stop(app)


def check_real_services(project: Path, image: str) -> None:
    in_image = [DOCKER, "run", "--rm", "--network", "host", image, "python"]
    with ExitStack() as stack:
        database_url = stack.enter_context(throwaway_database(project, "postgresql", in_image))
        redis_url = stack.enter_context(redis_database())
        broker_url = stack.enter_context(rabbitmq_vhost())
        on_host = ["--network", "host", "--env", f"DATABASE_URL={database_url}"]
        on_host += ["--env", f"REDIS_URL={redis_url}", "--env", f"BROKER_URL={broker_url}"]
        docker("run", "--rm", *on_host, image, "alembic", "upgrade", "heads")

        port = free_port()
        app, worker = f"{image}-app", f"{image}-worker"
        server = ["--env", f"PORT={port}", "--env", "HOST=127.0.0.1", *FAST_HEALTH]
        docker("run", "-d", "--name", app, *on_host, *server, image)
        # As compose.yaml runs it: the image's check probes HTTP, which the worker does not serve.
        worker_command = ["python", "-m", f"{PACKAGE}.worker"]
        docker("run", "-d", "--name", worker, *on_host, "--no-healthcheck", image, *worker_command)
        wait_healthy(app)
        assert runtime_uid(worker) != 0
        base = f"http://127.0.0.1:{port}"
        assert ready_backends(base) == {"postgresql", "redis", "rabbitmq"}
        item = create_and_read(base)
        wait_for_event(worker, {"event": "item.processed", "item_id": item["id"]})
        stop(app, worker)


@pytest.mark.parametrize("framework", NAMES)
def test_image_builds_runs_and_stops_cleanly(
    tmp_path: Path, engine: None, names: str, framework: str
) -> None:
    for service, port in [("PostgreSQL", 5432), ("Redis", 6379), ("RabbitMQ", 5672)]:
        require_service(service, "127.0.0.1", port)  # before the build, not halfway through
    project = tmp_path / "demo-service"
    # Nothing but the name and the framework: copier's defaults for every other answer.
    run_copy(str(TEMPLATES), str(project), data={"project_name": "demo-service", "framework": framework},
             defaults=True, quiet=True)  # fmt: skip
    docker("build", "-t", names, str(project), timeout=900)
    config = json.loads(docker("image", "inspect", "-f", "{{json .Config}}", names).stdout)
    assert "/data" in (config["Volumes"] or {})
    check_embedded_defaults(names)
    check_real_services(project, names)
