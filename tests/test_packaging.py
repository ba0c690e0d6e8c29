"""The installed wheel, not the checkout, must carry the templates and work on its own."""

from __future__ import annotations

import json
import os
import subprocess
import sys
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
