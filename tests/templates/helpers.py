"""Helpers shared by the template tests: render the template, run commands, need services."""

import os
import socket
import subprocess
from pathlib import Path
from typing import Any

import pytest
from copier import run_copy

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"


def render(dst: Path, **answers: str) -> Path:
    data: dict[str, Any] = {
        "project_name": "demo-service",
        "framework": "fastapi",
        "database": "sqlite",
        "cache": "redis",
        "broker": "rabbitmq",
        "tasks": "taskiq",
        **answers,
    }
    run_copy(str(TEMPLATES), str(dst), data=data, defaults=True, quiet=True)
    return dst


def run(cmd: list[str], cwd: Path, env: dict[str, str] | None = None, timeout: float = 300) -> str:
    full_env = {**os.environ, **(env or {})}
    full_env.pop("VIRTUAL_ENV", None)
    result = subprocess.run(
        cmd, cwd=cwd, env=full_env, capture_output=True, text=True, timeout=timeout, check=False
    )
    assert result.returncode == 0, f"{cmd} failed:\n{result.stdout}\n{result.stderr}"
    return result.stdout


def port_open(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def require_service(name: str, host: str, port: int) -> None:
    """Skip when the service is absent, except under CI=true, where it must be there."""
    if port_open(host, port):
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"{name} is not reachable on {host}:{port} and CI=true")
    pytest.skip(f"{name} is not reachable on {host}:{port}")
