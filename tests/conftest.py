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


@pytest.fixture(autouse=True)
def asyncgen_home(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Path]:
    """Every test gets its own template store, never the developer's ~/.asyncgen."""
    home = tmp_path_factory.mktemp("asyncgen-home")
    monkeypatch.setenv("ASYNCGEN_HOME", str(home))
    yield home
