"""GET /metrics with two serving processes: whichever answers a scrape counts every request.

Each request goes out on a connection of its own, which the kernel hands to either process;
without prometheus-client's multiprocess mode a scrape would count only the requests of the
process that answers it.
"""

import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from .helpers import Service, metric_total, render, request, run

pytestmark = pytest.mark.slow

PACKAGE = "demo_service"
REQUESTS = 40
MAX_REQUESTS = 1000
SCRAPES = 6


@pytest.fixture
def short_tmp() -> Iterator[Path]:
    """A temporary directory with a short path: Sanic's manager puts a Unix socket in TMPDIR,
    and a socket's path has 107 bytes at most."""
    with tempfile.TemporaryDirectory() as path:
        yield Path(path)


def serving_processes(temporary: Path) -> set[str]:
    """The processes that counted a request, by the files prometheus-client wrote for them."""
    return {path.stem.rsplit("_", 1)[1] for path in temporary.glob("metrics-*/counter_*.db")}


# The three kinds of supervisor: granian (FastAPI), Sanic's own, aiohttp's.
@pytest.mark.parametrize("framework", ["fastapi", "sanic", "aiohttp"])
def test_a_scrape_counts_the_requests_of_every_process(
    tmp_path: Path, short_tmp: Path, framework: str
) -> None:
    project = render(
        tmp_path / "demo-service",
        framework=framework,
        database="none",
        cache="none",
        broker="none",
        tasks="none",
    )
    run(["uv", "sync", "-q"], project)
    # The launcher's own temporary directory for the processes' files, to see it removed.
    temporary = short_tmp
    env = {"WEB_CONCURRENCY": "2", "TMPDIR": str(temporary)}
    log = tmp_path / "service.log"  # a file: a pipe left unread would fill and stop the service
    with log.open("wb") as output, Service(project, PACKAGE, env, stdout=output) as service:
        # At least REQUESTS, and until both processes have answered some (the second may
        # start later than the first, which the readiness wait saw).
        for sent in range(1, MAX_REQUESTS + 1):
            assert request(f"{service.base}/api/items")[0] == 200
            if sent >= REQUESTS and len(serving_processes(temporary)) == 2:
                break
        assert len(serving_processes(temporary)) == 2, "not two processes counting in files"
        counted = set()
        for _ in range(SCRAPES):
            status, scrape = request(f"{service.base}/metrics")
            assert status == 200
            counted.add(metric_total(scrape.decode(), "http_requests_total"))
        service.stop(20)
    # Scrapes and liveness probes (the readiness wait above) are not counted.
    assert counted == {sent}
    assert list(temporary.iterdir()) == [], "the directory for the metrics is left behind"
