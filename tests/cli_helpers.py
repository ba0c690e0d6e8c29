"""Run the real `asyncgen` entry point in-process and capture what a user would see."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from asyncgen.cli import main


@dataclass
class Outcome:
    code: int
    out: str
    err: str


def run_cli(args: list[str], cwd: Path, capsys: pytest.CaptureFixture[str]) -> Outcome:
    old_argv, old_cwd = sys.argv, Path.cwd()
    sys.argv = ["asyncgen", *args]
    os.chdir(cwd)
    try:
        main()
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    finally:
        sys.argv = old_argv
        os.chdir(old_cwd)
    captured = capsys.readouterr()
    return Outcome(code, captured.out, captured.err)


def snapshot(root: Path) -> dict[str, float]:
    """Every path under root with its mtime: equal snapshots mean nothing was touched."""
    return {str(path.relative_to(root)): path.stat().st_mtime for path in sorted(root.rglob("*"))}
