"""Fixtures shared by the whole suite: every test gets an isolated template store."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
TEMPLATES = REPO / "templates"


@pytest.fixture(autouse=True)
def asyncgen_home(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Path]:
    """Every test gets its own template store, never the developer's ~/.asyncgen."""
    home = tmp_path_factory.mktemp("asyncgen-home")
    monkeypatch.setenv("ASYNCGEN_HOME", str(home))
    yield home
