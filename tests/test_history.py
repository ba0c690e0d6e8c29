"""A fresh install of a newer asyncgen updates projects made by an older one (shipped history)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from asyncgen import __version__

from conftest import REPO


def next_minor(version: str) -> str:
    major, minor, _ = version.split(".")
    return f"{major}.{int(minor) + 1}.0"


pytestmark = pytest.mark.slow


def run(*args: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(list(args), cwd=cwd, env=env, capture_output=True, text=True, check=False)
    assert done.returncode == 0, f"{args} failed:\n{done.stdout}\n{done.stderr}"
    return done


def commit(repo: Path, message: str, env: dict[str, str]) -> None:
    run("git", "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qam", message, cwd=repo, env=env)


def test_newer_wheel_updates_projects_of_an_older_version(tmp_path: Path) -> None:
    checkout = tmp_path / "asyncgen"
    ignore = shutil.ignore_patterns(".git", ".venv", "__pycache__", "*.egg-info", ".*_cache")
    for part in ("src", "templates", "scripts"):
        shutil.copytree(REPO / part, checkout / part, ignore=ignore)
    for part in ("pyproject.toml", "README.md"):
        shutil.copy(REPO / part, checkout / part)
    home = tmp_path / "home"
    env = {k: v for k, v in os.environ.items() if k not in ("ASYNCGEN_HOME", "PYTHONPATH")}
    env |= {"HOME": str(home)}
    old = env | {"PYTHONPATH": str(checkout / "src")}

    # Two projects made by the old version, each with an edit of the user's.
    for name in ("by-asyncgen", "by-copier"):
        run(
            sys.executable,
            "-m",
            "asyncgen",
            "new",
            name,
            "--yes",
            "--database",
            "sqlite",
            cwd=tmp_path,
            env=old,
        )
        with (tmp_path / name / ".gitignore").open("a") as gitignore:
            gitignore.write("# the user's own line\nscratch/\n")
        commit(tmp_path / name, "user edit", env)

    # Release the next version: freeze the old templates into the history, then change them.
    newer = next_minor(__version__)
    run(sys.executable, "scripts/bump_version.py", newer, cwd=checkout, env=old)
    (checkout / "templates" / "fastapi" / "CHANGELOG.md").write_text(f"## {newer}\n\n- a template change\n")

    venv = tmp_path / "venv"
    run(sys.executable, "-m", "venv", str(venv), cwd=tmp_path, env=env)
    run(str(venv / "bin" / "pip"), "install", "-q", str(checkout), cwd=tmp_path, env=env)
    new = env | {"PATH": f"{venv / 'bin'}:{env['PATH']}"}

    # A fresh machine: the store has never seen the old version.
    shutil.rmtree(home / ".asyncgen")
    run("asyncgen", "update", "by-asyncgen", cwd=tmp_path, env=new)

    # Again a fresh machine: generating any project readies the store (a listing would not).
    shutil.rmtree(home / ".asyncgen")
    run("asyncgen", "new", "scratch", "--yes", "--database", "sqlite", cwd=tmp_path, env=new)
    run("copier", "update", "--defaults", cwd=tmp_path / "by-copier", env=new)

    for name in ("by-asyncgen", "by-copier"):
        project = tmp_path / name
        assert (project / "CHANGELOG.md").read_text().startswith(f"## {newer}")
        assert "# the user's own line" in (project / ".gitignore").read_text()
        assert yaml.safe_load((project / ".copier-answers.yml").read_text())["_commit"] == f"v{newer}"
    tags = run("git", "tag", cwd=home / ".asyncgen" / "templates", env=env).stdout.split()
    assert tags[-2:] == [f"v{__version__}", f"v{newer}"]
