import shutil

import pytest


@pytest.fixture(autouse=True)
def _tools() -> None:
    for tool in ("uv", "ruff", "git"):
        if shutil.which(tool) is None:
            pytest.skip(f"{tool} is not on PATH")
