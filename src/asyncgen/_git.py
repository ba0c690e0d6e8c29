"""The few git commands asyncgen runs, with errors turned into one line."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from asyncgen.errors import AsyncgenError

_IDENTITY = {"user.name": "asyncgen", "user.email": "asyncgen@localhost"}


def git(*args: str, cwd: Path, env: dict[str, str] | None = None, check: bool = True) -> str:
    try:
        done = subprocess.run(
            ["git", *args],
            cwd=cwd,
            env={**os.environ, **env} if env else None,
            capture_output=True,
            text=True,
            check=False,
        )
    except FileNotFoundError:
        raise AsyncgenError("git is not installed; asyncgen needs it for projects and updates") from None
    if check and done.returncode != 0:
        problem = (done.stderr or done.stdout).strip().splitlines()
        raise AsyncgenError(f"git {args[0]} failed: {problem[-1] if problem else done.returncode}")
    return done.stdout.strip()


def commit_all(repo: Path, message: str) -> None:
    """Commit everything, as the user if git knows them, else as asyncgen."""
    identity: list[str] = ["-c", "commit.gpgsign=false"]
    for key, fallback in _IDENTITY.items():
        if not git("config", "--get", key, cwd=repo, check=False):
            identity += ["-c", f"{key}={fallback}"]
    git("add", "-A", cwd=repo)
    git(*identity, "commit", "-q", "--no-verify", "-m", message, cwd=repo)


def conflicted_files(repo: Path) -> list[str]:
    """Files git marks unmerged, plus any `.rej` left beside them."""
    unmerged = git("diff", "--name-only", "--diff-filter=U", cwd=repo, check=False).splitlines()
    rejects = [str(path.relative_to(repo)) for path in repo.rglob("*.rej") if ".git" not in path.parts]
    return sorted(set(unmerged) | set(rejects))


def is_clean(repo: Path) -> bool:
    return git("status", "--porcelain", cwd=repo) == ""
