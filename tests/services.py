"""Gates for tests that need a live local service (PostgreSQL, MariaDB, Redis, RabbitMQ, NATS)
or a tool that `.ci/run` installs."""

from __future__ import annotations

import os
import shutil
import socket

import pytest

IN_CI = os.environ.get("CI", "").lower() == "true"


def reachable(host: str, port: int, timeout: float = 1.0) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def require_service(name: str, host: str, port: int) -> None:
    """Skip when a live service is down, except under CI=true where that is a failure."""
    if reachable(host, port):
        return
    message = f"{name} is not reachable on {host}:{port}"
    if IN_CI:
        pytest.fail(f"{message} (CI=true: live-service tests must run)")
    pytest.skip(message)


def require_tool(name: str) -> str:
    """The tool's path; skip when it is missing, except under CI=true (`.ci/run` installs it)."""
    path = shutil.which(name)
    if path is not None:
        return path
    message = f"{name} is not installed (.ci/run installs it)"
    if IN_CI:
        pytest.fail(f"{message} (CI=true: this test must run)")
    pytest.skip(message)
