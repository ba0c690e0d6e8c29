"""schemathesis against each framework's generated service: no input it makes is a 500,
and every answer is the one the document describes.

schemathesis reads the service's own /openapi.json and sends what the document allows and
what it does not (out-of-range integers, wrong types, unknown methods, odd headers), then
chains operations through the links it infers (create an item, then read and delete it by
the id it got). Its seed is fixed, so a failure is the same input on every run, and the
message shows the request that failed as a curl command.
"""

import subprocess
import sys
from pathlib import Path

import pytest

from asyncgen.frameworks import NAMES

from .helpers import Service, render, run

pytestmark = pytest.mark.slow

# /api/events is an endless stream: schemathesis reads it until the request timeout, which
# would spend 10 s on each request to it. Two are enough to see its headers and first event.
CONFIG = """
[[operations]]
include-path = "/api/events"
request-timeout = 2.0
"""

# No 500, and every answer as documented (status, media type, body, headers); a deleted item
# is gone. Not allow_header_conformance: Litestar's automatic OPTIONS answer leaves GET out
# of `Allow`. Not ensure_resource_availability: a create retried with its Idempotency-Key
# answers the item it first made, also once that item is deleted (the draft's "result of the
# previously completed operation"), which schemathesis reads as a created item not found.
CHECKS = [
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
    "response_headers_conformance",
    "unsupported_method",
    "use_after_free",
]


@pytest.mark.parametrize("framework", NAMES)
def test_no_generated_request_is_a_server_error(tmp_path: Path, framework: str) -> None:
    project = render(tmp_path / "demo-service", framework=framework, broker="none", tasks="none")
    run(["uv", "sync", "-q"], project)
    config = tmp_path / "schemathesis.toml"
    config.write_text(CONFIG)
    st = Path(sys.executable).with_name("st")
    log = tmp_path / "service.log"
    env = {"DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/schemathesis.db"}
    with log.open("wb") as output, Service(project, "demo_service", env, stdout=output) as service:
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
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
    assert result.returncode == 0, (
        f"schemathesis found failures in the {framework} service:\n{result.stdout}\n{result.stderr}"
        f"\nthe service's log:\n{log.read_text()[-5000:]}"
    )
