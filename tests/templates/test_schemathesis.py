"""schemathesis against each framework's generated service: no input it makes is a 500,
and every answer is the one the document describes.

Each framework's service runs on embedded defaults (no authentication); two more run with
writes guarded, one with bearer tokens (auth=jwt, from the stand-in issuer of the project's
own suite), one with API keys. schemathesis is given the suite's writer's credentials for
the document's security scheme: it sends them, and checks that a write without them is
refused as documented.

schemathesis reads the service's own /openapi.json and sends what the document allows and
what it does not (out-of-range integers, wrong types, unknown methods, odd headers), then
chains operations through the links it infers (create an item, then read and delete it by
the id it got). Its seed is fixed, so a failure is the same input on every run, and the
message shows the request that failed as a curl command.
"""

import json
import os
import subprocess
import sys
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest

from asyncgen.frameworks import NAMES

from .helpers import Service, render, request, run, writer_credentials

pytestmark = pytest.mark.slow

# /api/events is an endless stream: schemathesis reads it until the request timeout, which
# would spend 10 s on each request to it. Two are enough to see its headers and first event.
CONFIG = """
[[operations]]
include-path = "/api/events"
request-timeout = 2.0
"""

# Every check schemathesis has: no 500; every answer as documented (status, media type,
# body, headers, `Allow`); what the document rejects is rejected and what it accepts is
# accepted; a deleted item is gone and a created one can be read.
CHECKS = ["all"]

# A client sends a fresh Idempotency-Key with each new create (a UUID, as the draft
# suggests) and the same one only with a retry of it. schemathesis draws keys from the
# header's pattern, so short keys come back with other bodies: the service rightly answers
# 422, which positive_data_acceptance reads as valid data refused, or replays a create
# whose item was deleted since, which ensure_resource_availability reads as a created item
# not found. Each valid key it draws is made unique; invalid keys are still sent as drawn.
# tests/templates/test_idempotency.py and the generated suite test the replays.
# Likewise a client sends back only the cursors the service gave it: one drawn from the
# cursor's pattern fails its checksum, a 422 that positive_data_acceptance reads the same
# way. Each valid-looking cursor becomes one the project's own paging module makes.
HOOKS = """
import importlib.util
import re
import uuid

import schemathesis

HEADER = "Idempotency-Key"
PATTERN = ...  # the header's pattern in the served document
_spec = importlib.util.spec_from_file_location("paging", PAGING)
paging = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(paging)


@schemathesis.hook
def before_call(ctx, case, **kwargs):
    key = (case.headers or {}).get(HEADER)
    if isinstance(key, str) and re.search(PATTERN, key):
        case.headers[HEADER] = str(uuid.uuid4())
    cursor = (case.query or {}).get("cursor")
    if isinstance(cursor, str) and re.search(paging.CURSOR_PATTERN, cursor):
        case.query["cursor"] = paging.encode_cursor(len(cursor))
"""


SERVICES = [
    *(pytest.param(framework, "none", id=framework) for framework in NAMES),
    pytest.param("sanic", "jwt", id="sanic-jwt"),
    pytest.param("blacksheep", "apikey", id="blacksheep-apikey"),
]


@pytest.mark.parametrize(("framework", "auth"), SERVICES)
def test_no_generated_request_is_a_server_error(tmp_path: Path, framework: str, auth: str) -> None:
    project = render(tmp_path / "demo-service", framework=framework, broker="none", tasks="none", auth=auth)
    run(["uv", "sync", "-q"], project)
    config = tmp_path / "schemathesis.toml"
    config.write_text(CONFIG)
    st = Path(sys.executable).with_name("st")
    log = tmp_path / "service.log"
    env = {"DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/schemathesis.db"}
    with ExitStack() as stack:
        writer: dict[str, str] = {}
        if auth != "none":
            auth_env, writer = stack.enter_context(writer_credentials(project))
            env.update(auth_env)
        output = stack.enter_context(log.open("wb"))
        service = stack.enter_context(Service(project, "demo_service", env, stdout=output))
        document = json.loads(request(f"{service.base}/openapi.json")[1])
        if writer:
            config.write_text(CONFIG + credentials_config(document, writer))
        paging = project / "src" / "demo_service" / "items" / "paging.py"
        hooks = HOOKS.replace("...", repr(key_pattern(document)), 1).replace("PAGING", repr(str(paging)), 1)
        (tmp_path / "client_hooks.py").write_text(hooks)
        result = subprocess.run(
            [
                str(st),
                "--config-file",
                str(config),
                "run",
                f"{service.base}/openapi.json",
                "--checks",
                ",".join(CHECKS),
                "--phases",
                "coverage,fuzzing,stateful",
                "--max-examples",
                "60",
                "--seed",
                "1",
                "--generation-database",
                "none",
                "--no-color",
            ],
            cwd=tmp_path,
            env={**os.environ, "SCHEMATHESIS_HOOKS": "client_hooks", "PYTHONPATH": str(tmp_path)},
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
    assert result.returncode == 0, (
        f"schemathesis found failures in the {framework} service:\n{result.stdout}\n{result.stderr}"
        f"\nthe service's log:\n{log.read_text()[-5000:]}"
    )


def credentials_config(document: dict[str, Any], writer: dict[str, str]) -> str:
    """schemathesis' credentials for the document's security scheme: it sends them where the
    scheme says, and leaves them out to check that a write without them is refused."""
    ((name, scheme),) = document["components"]["securitySchemes"].items()
    if scheme["type"] == "http":
        credentials = f"bearer = {json.dumps(writer['Authorization'].removeprefix('Bearer '))}"
    else:
        credentials = f"api_key = {json.dumps(writer[scheme['name']])}"
    return f"\n[auth.openapi.{name}]\n{credentials}\n"


def key_pattern(document: dict[str, Any]) -> str:
    parameters = document["paths"]["/api/items"]["post"]["parameters"]
    (header,) = (p for p in parameters if p["name"].lower() == "idempotency-key")
    # A plain string schema, or one of the options of a nullable one.
    schemas = [header["schema"], *header["schema"].get("anyOf", header["schema"].get("oneOf", []))]
    pattern: str = next(schema["pattern"] for schema in schemas if "pattern" in schema)
    return pattern
