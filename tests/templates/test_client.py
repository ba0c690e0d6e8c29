"""A client generated from one framework's OpenAPI document runs, unchanged, against all seven.

openapi-python-client turns FastAPI's served /openapi.json into a Python package whose calls
are named by operationId (`create_item.sync_detailed(...)`); the same package then creates,
reads, lists and deletes an item in each framework's service and reads its 404 and 422
problems as the document's Problem model. A framework whose document named an operation
otherwise, or answered outside it, breaks the client here.

openapi-python-client runs through uvx: it pins typer below the version asyncgen needs, so
it cannot share asyncgen's test environment.
"""

import importlib
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from asyncgen.frameworks import NAMES

from .helpers import Service, render, request, run

pytestmark = pytest.mark.slow

PACKAGE = "contract_client"


def serve(project: Path, tmp: Path) -> Service:
    env = {"DATABASE_URL": f"sqlite+aiosqlite:///{tmp}/client.db"}
    return Service(project, "demo_service", env)


def rendered(tmp: Path, framework: str) -> Path:
    project = render(tmp / "demo-service", framework=framework, cache="none", broker="none", tasks="none")
    run(["uv", "sync", "-q"], project)
    return project


@pytest.fixture(scope="module")
def client_package(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    tmp = tmp_path_factory.mktemp("client")
    with serve(rendered(tmp, "fastapi"), tmp) as service:
        status, document = request(f"{service.base}/openapi.json")
    assert status == 200
    (tmp / "openapi.json").write_bytes(document)
    uvx = shutil.which("uvx", path=str(Path(sys.executable).parent)) or "uvx"
    run(
        [
            uvx,
            "--from",
            "openapi-python-client>=0.29",
            "openapi-python-client",
            "generate",
            "--path",
            "openapi.json",
            "--meta",
            "none",
            "--output-path",
            PACKAGE,
        ],
        tmp,
    )
    sys.path.insert(0, str(tmp))
    yield PACKAGE
    sys.path.remove(str(tmp))


def call(package: str, operation: str, base: str, **arguments: Any) -> Any:
    module: ModuleType = importlib.import_module(f"{package}.api.{operation}")
    client = importlib.import_module(package).Client(base_url=base, raise_on_unexpected_status=True)
    return module.sync_detailed(client=client, **arguments)


@pytest.mark.parametrize("framework", NAMES)
def test_one_generated_client_runs_against_every_framework(
    tmp_path: Path, framework: str, client_package: str
) -> None:
    models = importlib.import_module(f"{client_package}.models")
    with serve(rendered(tmp_path, framework), tmp_path) as service:
        base = service.base
        created = call(
            client_package, "items.create_item", base, body=models.ItemCreate(name="widget", price=9.5)
        )
        assert created.status_code == 201
        item = created.parsed
        assert isinstance(item, models.Item)
        assert (item.name, item.price) == ("widget", 9.5)

        read = call(client_package, "items.get_item", base, item_id=item.id)
        assert read.status_code == 200
        assert read.parsed.to_dict() == item.to_dict()

        page = call(client_package, "items.list_items", base)
        assert page.status_code == 200
        assert [found.id for found in page.parsed] == [item.id]

        deleted = call(client_package, "items.delete_item", base, item_id=item.id)
        assert deleted.status_code == 204

        missing = call(client_package, "items.get_item", base, item_id=item.id)
        assert missing.status_code == 404
        assert isinstance(missing.parsed, models.Problem)
        assert missing.parsed.status == 404

        invalid = call(client_package, "items.create_item", base, body=models.ItemCreate(name="", price=1.0))
        assert invalid.status_code == 422
        assert isinstance(invalid.parsed, models.Problem)
        assert [error.field for error in invalid.parsed.errors] == ["body.name"]
