"""The installed wheel, not the checkout, must carry the templates and work on its own."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
import yaml

from asyncgen import __version__

from conftest import REPO

pytestmark = pytest.mark.slow


def test_pip_install_carries_the_templates(tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    # Build from a copy so the checkout's own files cannot leak in through an editable path.
    subprocess.run(
        [str(venv / "bin" / "pip"), "install", "-q", str(REPO)], check=True, capture_output=True, cwd=tmp_path
    )
    site = subprocess.run(
        [
            str(venv / "bin" / "python"),
            "-c",
            "import asyncgen, pathlib; print(pathlib.Path(asyncgen.__file__).parent)",
        ],
        capture_output=True,
        text=True,
        check=True,
        cwd=tmp_path,
    ).stdout.strip()
    installed = Path(site)
    assert "site-packages" in str(installed)
    assert (installed / "templates" / "copier.yml").is_file()
    assert (installed / "templates" / "fastapi").is_dir()

    home = tmp_path / "home"
    env = {k: v for k, v in os.environ.items() if k != "ASYNCGEN_HOME"} | {"HOME": str(home)}
    preview = subprocess.run(
        [
            str(venv / "bin" / "asyncgen"),
            "new",
            "wheel-svc",
            "--yes",
            "--database",
            "sqlite",
            "--dry-run",
            "--json",
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert preview.returncode == 0, preview.stderr
    assert {"alembic.ini", "src/wheel_svc/app.py"} <= set(json.loads(preview.stdout)["files"])
    assert not home.exists() and not (tmp_path / "wheel-svc").exists(), "a dry run writes nothing"
    done = subprocess.run(
        [str(venv / "bin" / "asyncgen"), "new", "wheel-svc", "--yes", "--database", "sqlite"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    recorded = yaml.safe_load((tmp_path / "wheel-svc" / ".copier-answers.yml").read_text())
    assert recorded["_src_path"] == "~/.asyncgen/templates"
    assert recorded["_commit"] == f"v{__version__}"
    assert (home / ".asyncgen" / "templates" / ".git").is_dir()


# What a machine has without any Python tooling installed by hand: no pyenv shims, no venvs.
SYSTEM_DIRS = ("/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin")
# Settings that would point a run at something other than a fresh install or embedded defaults.
NOT_PASSED = {"VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME", "ASYNCGEN_HOME", "HOST", "PORT"}
NOT_PASSED |= {"DATABASE_URL", "REDIS_URL", "BROKER_URL"}
NOT_PASSED_PREFIXES = ("UV_", "CONDA", "PYENV")


def readme_first_command() -> str:
    """The command under the README's "Two commands" heading, exactly as a reader copies it."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    found = re.search(r"^## Two commands\n.*?^```bash\n(.+?)\n```", readme, re.DOTALL | re.MULTILINE)
    assert found, "README.md has no bash block under '## Two commands'"
    return found.group(1).strip()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1) as response:
            return bool(response.status == 200)
    except OSError:
        return False


def test_readme_first_command_works_with_only_python_and_git(tmp_path: Path) -> None:
    system_path = os.pathsep.join(d for d in SYSTEM_DIRS if Path(d).is_dir())
    if shutil.which("uv", path=system_path):
        pytest.skip("uv is installed system-wide here, so a missing uv dependency would go unseen")
    command = readme_first_command()
    assert command.startswith("pip install . && "), command

    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    checkout = tmp_path / "work" / "asyncgen"
    shutil.copytree(
        REPO,
        checkout,
        ignore=shutil.ignore_patterns(
            ".git", ".venv", "__pycache__", "*.egg-info", ".*_cache", "dist", "build"
        ),
    )
    port = _free_port()
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in NOT_PASSED and not key.startswith(NOT_PASSED_PREFIXES)
    } | {
        "PATH": os.pathsep.join([str(venv / "bin"), system_path]),
        "HOME": str(tmp_path / "home"),
        "PORT": str(port),
        "HOST": "127.0.0.1",
    }
    log_path = tmp_path / "readme-command.log"
    with log_path.open("wb") as log:
        # As a reader runs it: the README's line given to a shell in the checkout, the
        # fresh venv's bin/ first on PATH (as `source venv/bin/activate` would put it).
        server = subprocess.Popen(
            ["bash", "-c", command],
            cwd=checkout,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 900  # uv sync downloads every dependency into an empty cache
        while not _answers(f"http://127.0.0.1:{port}/health/live"):
            assert server.poll() is None, f"stopped with {server.returncode}:\n{log_path.read_text()[-4000:]}"
            assert time.monotonic() < deadline, f"never served:\n{log_path.read_text()[-4000:]}"
            time.sleep(0.5)
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=60)
    finally:
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
    output = log_path.read_text()
    assert re.search(r"\b\d+ passed\b", output), output[-4000:]
    assert not re.search(r"\b\d+ (failed|errors?)\b", output), output[-4000:]
    assert server.returncode == 0, output[-4000:]
    assert (checkout / "my-service" / ".venv" / "bin" / "python").exists()
