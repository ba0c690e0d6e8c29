"""Fixtures shared by the whole suite: every test gets an isolated template store."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
TEMPLATES = REPO / "templates"

# This machine's environment sets PYTHONDONTWRITEBYTECODE=1. Every process the suite starts
# in a generated project (its pytest, alembic, server, worker) would then compile its
# dependencies from source again: 5 of the 9 seconds a generated pytest takes to start,
# and 30% of a test that runs alembic two dozen times. The bytecode goes to __pycache__
# folders in throwaway venvs and in this checkout, which git ignores.
os.environ.pop("PYTHONDONTWRITEBYTECODE", None)


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    """`-n auto` (pyproject.toml): one worker more than the machine has cores. Most of the
    suite waits on generated projects' servers, brokers and sockets: with one worker per
    core, the 2-core CI machine's CPUs were busy for 66% of a clean run (29 min 58 s); with
    one more, the same 1243 tests passed in 22 min 6 s."""
    return (os.cpu_count() or 1) + 1


@pytest.fixture(autouse=True)
def asyncgen_home(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Path]:
    """Every test gets its own template store, never the developer's ~/.asyncgen."""
    home = tmp_path_factory.mktemp("asyncgen-home")
    monkeypatch.setenv("ASYNCGEN_HOME", str(home))
    yield home
