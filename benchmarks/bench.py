"""asyncgen's speed claims, measured side by side (not a test; run it and read the table).

    python benchmarks/bench.py              # everything
    python benchmarks/bench.py cli new      # only the generator's own timings
    python benchmarks/bench.py http         # each framework's generated service vs its bare app
    python benchmarks/bench.py http --frameworks fastapi,litestar
    python benchmarks/bench.py http --record benchmarks/http.json   # also keep the medians as data
    python benchmarks/bench.py servers      # the generated FastAPI service on uvicorn vs granian
    python benchmarks/bench.py processes --record src/asyncgen/measured.json   # 1 vs 2 processes
    python benchmarks/bench.py ops          # release 0.8.0 vs now with tracing, metrics, ... on
    python benchmarks/bench.py ops --stdout pipe   # the same, the servers' stdout a pipe as in a container
    python benchmarks/bench.py spans        # the most a read keeps of 0.8.0's, every request traced
    python benchmarks/bench.py release --against 0.14.0   # a shipped release's service vs the templates'
    python benchmarks/bench.py release --against 0.17.0 --operations   # the same, operations on
    python benchmarks/bench.py pages        # page 1 vs page 999,000 deep, keyset and offset
    python benchmarks/bench.py pages --rows 20000 --depth 19000   # a quick check

HTTP rounds pin the server to core 0 and wrk to core 1 (taskset; `processes` pins neither, as
two serving processes need both cores), alternate the apps within one run, and report the
median of the rounds: ratios between apps are what to compare, absolute numbers drift
between machines. Unpaced wrk measures capacity; the uncached read is
then measured again with its 64 connections paced (paced.lua) to shares of that capacity,
which is the latency a client sees under that load. Needs wrk, taskset and uv on PATH.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from functools import partial
from pathlib import Path

CONNECTIONS = 64
PACED_LUA = Path(__file__).with_name("paced.lua")
TEMPLATES = Path(__file__).resolve().parents[1] / "templates"
# What each production server adds to a framework's dependencies (templates/<framework>/framework.jinja).
SERVER_DEPENDENCIES = {
    "uvicorn": ["uvicorn>=0.34", "uvloop>=0.21; sys_platform != 'win32'", "httptools>=0.6"],
    "granian": ["granian[uvloop]>=2.8"],
}

# The practical ceiling of each framework: a bare app with only the liveness route, served
# by the same server (and options) as the framework's generated service.
BARE_APPS = {
    "fastapi": """\
from fastapi import FastAPI

app = FastAPI()


@app.get("/health/live")
async def live() -> dict[str, str]:
    return {"status": "ok"}
""",
    "litestar": """\
from litestar import Litestar, get


@get("/health/live")
async def live() -> dict[str, str]:
    return {"status": "ok"}


app = Litestar([live])
""",
    # Plain Sanic: sanic-ext, installed with the generated service, would extend it by itself.
    "sanic": """\
from sanic import Request, Sanic
from sanic.response import HTTPResponse, json

app = Sanic("bare_app")
app.config.AUTO_EXTEND = False


@app.get("/health/live")
async def live(request: Request) -> HTTPResponse:
    return json({"status": "ok"})
""",
    "quart": """\
from quart import Quart

app = Quart(__name__)


@app.get("/health/live")
async def live() -> dict[str, str]:
    return {"status": "ok"}
""",
    "starlette": """\
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route


async def live(request: Request) -> JSONResponse:
    return JSONResponse({"status": "ok"})


app = Starlette(routes=[Route("/health/live", live)])
""",
    "blacksheep": """\
from blacksheep import Application, Response, json

app = Application()


@app.router.get("/health/live")
async def live() -> Response:
    return json({"status": "ok"})
""",
    "aiohttp": """\
from aiohttp import web


async def live(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


app = web.Application()
app.router.add_get("/health/live", live)
""",
}


def server_command(server: str, python: str, port: int) -> list[str]:
    """How the bare app runs on `server`: the options the generated entries use."""
    if server == "uvicorn":
        return [
            python,
            "-m",
            "uvicorn",
            "bare_app:app",
            "--loop",
            "uvloop",
            "--http",
            "httptools",
            "--port",
            str(port),
            "--no-access-log",
            "--log-level",
            "warning",
        ]
    if server == "granian":
        return [
            python,
            "-m",
            "granian",
            "--interface",
            "asgi",
            "--loop",
            "uvloop",
            "--port",
            str(port),
            "--no-access-log",
            "--log-level",
            "warning",
            "bare_app:app",
        ]
    if server == "sanic":
        # One process, as the generated entry runs with WEB_CONCURRENCY unset.
        return [
            python,
            "-m",
            "sanic",
            "bare_app:app",
            "--single-process",
            "--port",
            str(port),
            "--no-access-logs",
            "--no-motd",
        ]
    if server == "aiohttp":
        # web.run_app on uvloop without access log or banner, as the generated entry runs it.
        serve = (
            "import uvloop; from aiohttp import web; from bare_app import app; "
            f"web.run_app(app, port={port}, access_log=None, print=None, loop=uvloop.new_event_loop())"
        )
        return [python, "-c", serve]
    raise ValueError(f"no bare-app command for server {server}")


def run_module(python: str, package: str, port: int) -> list[str]:
    """The generated service's own entry; it reads PORT from the environment."""
    return [python, "-m", package]


def median_seconds(run: Callable[[], None], times: int) -> float:
    samples = []
    for _ in range(times):
        start = time.perf_counter()
        run()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def asyncgen(*args: str, cwd: Path, env: dict[str, str]) -> None:
    subprocess.run(["asyncgen", *args], cwd=cwd, env=env, check=True, capture_output=True)


def bench_cli(work: Path, env: dict[str, str]) -> None:
    seconds = median_seconds(lambda: asyncgen("--help", cwd=work, env=env), 10)
    print(f"asyncgen --help: {seconds:.3f} s (median of 10; target < 0.3 s)")


def bench_new(work: Path, env: dict[str, str]) -> None:
    asyncgen("new", "warm-up", "--yes", cwd=work, env=env)  # the store is made once per version
    counter = iter(range(100))
    seconds = median_seconds(lambda: asyncgen("new", f"svc-{next(counter)}", "--yes", cwd=work, env=env), 5)
    print(f"asyncgen new --yes (render + git, no install): {seconds:.3f} s (median of 5; target < 2 s)")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_http(port: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing listens on {port}")


# Where the servers' stdout goes (--stdout): /dev/null, or a pipe read on wrk's core, as a
# container's stdout is read by its engine's log driver. Each write to a pipe wakes its
# reader, which /dev/null never does: the log lines cost more there.
STDOUT = "devnull"

# The two reads every part serves: the liveness probe, and a read the cache answers.
READS = ("live", "cached")


def served_env(log_level: str) -> dict[str, str]:
    """This environment without its service URLs (each service gets its own), at `log_level`."""
    return {k: v for k, v in os.environ.items() if not k.endswith("_URL")} | {"LOG_LEVEL": log_level}


@contextmanager
def serving(
    command: list[str], cwd: Path, port: int, env: dict[str, str], cores: str | None = "0"
) -> Iterator[subprocess.Popen[bytes]]:
    """The server, on `cores` (None: wherever the system puts it)."""
    reader = (
        subprocess.Popen(["taskset", "-c", "1", "cat"], stdin=subprocess.PIPE, stdout=subprocess.DEVNULL)
        if STDOUT == "pipe"
        else None
    )
    process = subprocess.Popen(
        [*(["taskset", "-c", cores] if cores else []), *command],
        cwd=cwd,
        env=env,
        stdout=reader.stdin if reader else subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # its own process group, so what it started can be killed with it
    )
    if reader:
        reader.stdin.close()  # type: ignore[union-attr]  # the server holds the pipe's write end now
    try:
        wait_http(port)
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        if reader:
            reader.wait()


def wrk(url: str, seconds: int, rate: float | None = None, cores: str | None = "1") -> tuple[float, float]:
    """(requests/s, p99 ms) over CONNECTIONS connections; `rate` paces them to about that load."""
    paced = ["-s", str(PACED_LUA)] if rate else []
    pinned = ["taskset", "-c", cores] if cores else []
    out = subprocess.run(
        [*pinned, "wrk", "-t1", f"-c{CONNECTIONS}", f"-d{seconds}s", "--latency", *paced, url],
        capture_output=True,
        text=True,
        check=True,
        env=os.environ | ({"RATE": str(rate), "CONNECTIONS": str(CONNECTIONS)} if rate else {}),
    ).stdout
    # Error answers (a 429, a 500) are fast: counted as served, they would flatter the server.
    if failed := re.search(r"Non-2xx or 3xx responses: (\d+)", out):
        raise SystemExit(f"wrk {url}: {failed.group(1)} answers were errors\n{out}")
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)", out)
    assert p99 is not None, out
    scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}[p99.group(2)]
    return rps, float(p99.group(1)) * scale


def venv_python(project: Path) -> Path:
    return project / ".venv" / "bin" / "python"


def generated_project(work: Path, env: dict[str, str], name: str, *options: str) -> Path:
    asyncgen("new", name, "--yes", "--broker", "none", "--tasks", "none", *options, cwd=work, env=env)
    project = work / name
    subprocess.run(["uv", "sync", "-q"], cwd=project, check=True)
    return project


def postgres_database(project: Path, name: str) -> str:
    """A fresh PostgreSQL database with the project's migrations applied; returns its URL."""
    python = str(venv_python(project))
    admin = (
        "import asyncio, asyncpg\n"
        "async def main():\n"
        "    conn = await asyncpg.connect('postgresql://postgres@127.0.0.1:5432/test')\n"
        f"    await conn.execute('DROP DATABASE IF EXISTS {name}')\n"
        f"    await conn.execute('CREATE DATABASE {name}')\n"
        "    await conn.close()\n"
        "asyncio.run(main())\n"
    )
    subprocess.run([python, "-c", admin], check=True)
    url = f"postgresql+asyncpg://postgres@127.0.0.1:5432/{name}"
    migrate_env = os.environ | {"DATABASE_URL": url}
    subprocess.run(
        [python, "-m", "alembic", "upgrade", "head"],
        cwd=project,
        env=migrate_env,
        check=True,
        capture_output=True,
    )
    return url


# A service to serve: its project, the command serving it, its environment.
Service = tuple[Path, list[str], dict[str, str]]


def served_service(
    project: Path, database: str, redis_db: int, extra: dict[str, str] | None = None
) -> Service:
    """The project's service on a fresh PostgreSQL database named `database` and Redis database
    `redis_db`, its environment `extra` besides."""
    return (
        project,
        [str(venv_python(project)), "-m", project.name.replace("-", "_")],
        (extra or {})
        | {
            "DATABASE_URL": postgres_database(project, database),
            "REDIS_URL": f"redis://127.0.0.1:6379/{redis_db}",
        },
    )


def create_item(port: int, headers: dict[str, str] | None = None) -> int:
    import json
    import urllib.request

    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/api/items",
        data=b'{"name": "bench", "price": 1}',
        method="POST",
        headers={"content-type": "application/json", **(headers or {})},
    )
    with urllib.request.urlopen(request, timeout=5) as response:
        return int(json.loads(response.read())["id"])


# project, command(port), extra environment, path (None: create an item and read it back)
Target = tuple[Path, Callable[[int], list[str]], dict[str, str], str | None]


def measure(
    target: Target, env: dict[str, str], seconds: int, rate: float | None = None
) -> tuple[float, float]:
    project, command, extra, path = target
    port = free_port()
    with serving(command(port), project, port, env | extra | {"PORT": str(port)}):
        url = f"http://127.0.0.1:{port}{path or f'/api/items/{create_item(port)}'}"
        wrk(url, 2)  # warm-up: pools filled, cache populated
        return wrk(url, seconds, rate)


def median_row(samples: list[tuple[float, float]]) -> tuple[float, float]:
    return statistics.median(s[0] for s in samples), statistics.median(s[1] for s in samples)


def bench_http(
    work: Path,
    env: dict[str, str],
    frameworks: list[str],
    rounds: int,
    seconds: int,
    live: bool,
    record: Path | None = None,
) -> None:
    """Per framework: its bare app, and its generated service's liveness and item reads."""
    from asyncgen.frameworks import BY_NAME

    clean_env = served_env("warning")
    targets: dict[tuple[str, str], Target] = {}
    for index, framework in enumerate(frameworks):
        name = f"{framework}-svc"
        options = ["--framework", framework, "--database", "postgresql" if live else "sqlite"]
        project = generated_project(work, env, name, *options)
        (project / "bare_app.py").write_text(BARE_APPS[framework])
        python = str(venv_python(project))
        package = name.replace("-", "_")
        server = BY_NAME[framework].server
        targets[framework, "bare"] = (project, partial(server_command, server, python), {}, "/health/live")
        service = partial(run_module, python, package)
        targets[framework, "live"] = (project, service, {}, "/health/live")
        if live:
            database = {"DATABASE_URL": postgres_database(project, f"bench_{framework}")}
            targets[framework, "cached"] = (
                project,
                service,
                # A Redis database per framework: their item ids overlap.
                database | {"REDIS_URL": f"redis://127.0.0.1:6379/{8 + index}"},
                None,
            )
            # A project without the cache option: with it, an unset REDIS_URL still caches in process.
            bare_reads = generated_project(work, env, f"{framework}-nocache", *options, "--cache", "none")
            targets[framework, "uncached"] = (
                bare_reads,
                partial(run_module, str(venv_python(bare_reads)), f"{framework}_nocache"),
                {"DATABASE_URL": postgres_database(bare_reads, f"bench_{framework}_nocache")},
                None,
            )
    results: dict[tuple[str, str], list[tuple[float, float]]] = {key: [] for key in targets}
    for _ in range(rounds):
        for key, target in targets.items():
            results[key].append(measure(target, clean_env, seconds))
    medians: dict[str, dict[str, tuple[float, float]]] = {framework: {} for framework in frameworks}
    for (framework, kind), samples in results.items():
        medians[framework][kind] = median_row(samples)
    paced = {
        framework: bench_paced(
            targets[framework, "uncached"], clean_env, results[framework, "uncached"], rounds, seconds
        )
        for framework in (frameworks if live else [])
    }
    print(
        f"\nwrk -c{CONNECTIONS}, server on core 0, wrk on core 1, median of {rounds} x {seconds} s;"
        " ratios to the bare app of the same framework on the same server:"
    )
    print(
        "| framework (server) | bare `/health/live` | generated `/health/live` | cached read (Redis) "
        "| uncached read (PostgreSQL) | uncached p99 at half load |"
    )
    print("|---|---:|---:|---:|---:|---:|")
    for framework, rows in medians.items():
        bare, _ = rows["bare"]
        cells = [f"{bare:,.0f} rps"]
        for kind in ("live", "cached", "uncached"):
            if kind not in rows:
                cells.append("-")
                continue
            rps, p99 = rows[kind]
            cells.append(f"{rps:,.0f} rps ({rps / bare:.2f}x), p99 {p99:.1f} ms")
        cells.append(f"{paced[framework]:.1f} ms" if framework in paced else "-")
        print(f"| {framework} ({BY_NAME[framework].server}) | " + " | ".join(cells) + " |")
    print("targets: generated /health/live >= 0.9x; cached read >= 0.6x; uncached p99 at half load < 20 ms")
    if "fastapi" in frameworks:
        print_against_fastapi(medians)
    if record:
        update_record(record, recorded(medians, paced, rounds, seconds))


def print_against_fastapi(medians: dict[str, dict[str, tuple[float, float]]]) -> None:
    """The generated services side by side: what a team choosing between them gets."""
    from asyncgen.frameworks import BY_NAME

    print("\nthe generated services, each as a ratio to the generated FastAPI service in this run:")
    print("| framework (server) | `/health/live` | cached read (Redis) | uncached read (PostgreSQL) |")
    print("|---|---:|---:|---:|")
    for framework, rows in medians.items():
        cells = []
        for kind in ("live", "cached", "uncached"):
            if kind not in rows:
                cells.append("-")
                continue
            (rps, p99), (base_rps, base_p99) = rows[kind], medians["fastapi"][kind]
            cells.append(f"{rps:,.0f} rps ({rps / base_rps:.2f}x), p99 {p99:.1f} ms ({p99 / base_p99:.2f}x)")
        print(f"| {framework} ({BY_NAME[framework].server}) | " + " | ".join(cells) + " |")


def half_load(paced: dict[str, float], framework: str) -> dict[str, float]:
    return {"uncached_p99_at_half_load_ms": round(paced[framework], 1)} if framework in paced else {}


def recorded(
    medians: dict[str, dict[str, tuple[float, float]]], paced: dict[str, float], rounds: int, seconds: int
) -> dict[str, object]:
    """The run as data, for whatever reads measured figures (the recommendation's speed rules)."""
    return {
        "measured": time.strftime("%Y-%m-%d"),
        "method": f"wrk -c{CONNECTIONS}, server on core 0, wrk on core 1, median of {rounds} x {seconds} s",
        "frameworks": {
            framework: {
                **{kind: {"rps": round(rps), "p99_ms": round(p99, 1)} for kind, (rps, p99) in rows.items()},
                **half_load(paced, framework),
            }
            for framework, rows in medians.items()
        },
    }


def update_record(record: Path, run: dict[str, object]) -> None:
    """Writes the HTTP run, keeping the processes run recorded there (bench_processes)."""
    kept = json.loads(record.read_text()).get("processes") if record.exists() else None
    record.write_text(json.dumps(run | ({"processes": kept} if kept else {}), indent=2) + "\n")
    print(f"recorded in {record}")


PROCESS_COUNTS = (1, 2)


def wait_serving(server: subprocess.Popen[bytes], port: int, count: int, timeout: float = 60) -> None:
    """Until `count` of the server's processes answer: wrk's connections, all opened at once,
    would otherwise all go to a process that started first."""
    import http.client

    import psutil

    def serving() -> int:
        main = psutil.Process(server.pid)
        return sum(
            any(
                c.laddr.port == port and c.status == psutil.CONN_ESTABLISHED for c in p.net_connections("tcp")
            )
            for p in [main, *main.children(recursive=True)]
        )

    held: list[http.client.HTTPConnection] = []
    deadline = time.monotonic() + timeout
    try:
        while serving() < count:
            if time.monotonic() > deadline:
                raise RuntimeError(f"fewer than {count} processes serve on {port}")
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            held.append(connection)  # open, so the process that answered shows
            try:
                connection.request("GET", "/health/live")
                connection.getresponse().read()
            except OSError:  # a process still starting: the next connection may find another
                pass
            time.sleep(0.05)
    finally:
        for connection in held:
            connection.close()


def bench_processes(
    work: Path,
    env: dict[str, str],
    frameworks: list[str],
    rounds: int,
    seconds: int,
    record: Path | None = None,
) -> None:
    """Per framework: its generated service in 1 and in 2 serving processes (WEB_CONCURRENCY).

    The server and wrk are not pinned here: 2 processes need both cores, which wrk shares,
    so the factor is what this 2-core machine gives, below what 2 free cores would.
    """
    from asyncgen.frameworks import BY_NAME

    clean_env = served_env("warning")
    services: dict[str, Service] = {}
    for index, framework in enumerate(frameworks):
        name = f"{framework}-procs"
        project = generated_project(work, env, name, "--framework", framework, "--database", "postgresql")
        services[framework] = served_service(project, f"bench_procs_{framework}", 8 + index)
    samples: dict[tuple[str, str, int], list[float]] = {}
    for _ in range(rounds):
        for framework, (project, command, extra) in services.items():
            for processes in PROCESS_COUNTS:
                port = free_port()
                server_env = clean_env | extra | {"PORT": str(port), "WEB_CONCURRENCY": str(processes)}
                with serving(command, project, port, server_env, cores=None) as server:
                    wait_serving(server, port, processes)
                    base = f"http://127.0.0.1:{port}"
                    urls = {"live": f"{base}/health/live", "cached": f"{base}/api/items/{create_item(port)}"}
                    for kind in READS:
                        wrk(urls[kind], 2, cores=None)  # warm-up: pools filled, cache populated
                        rps, _ = wrk(urls[kind], seconds, cores=None)
                        samples.setdefault((framework, kind, processes), []).append(rps)
                        print(f"{framework} {kind} {processes} process(es): {rps:,.0f} rps", flush=True)
    print(
        f"\nWEB_CONCURRENCY 1 and 2, wrk -c{CONNECTIONS}, server and wrk sharing both cores, "
        f"median of {rounds} x {seconds} s (per-round factors in brackets):"
    )
    print(
        "| framework (server) | `/health/live`, 1 / 2 processes | factor "
        "| cached read, 1 / 2 processes | factor |"
    )
    print("|---|---:|---:|---:|---:|")
    medians: dict[str, dict[str, dict[str, float]]] = {}
    for framework in frameworks:
        cells = []
        for kind in READS:
            one, two = samples[framework, kind, 1], samples[framework, kind, 2]
            rows = medians.setdefault(framework, {})
            rows[kind] = {str(n): statistics.median(samples[framework, kind, n]) for n in PROCESS_COUNTS}
            factor = rows[kind]["2"] / rows[kind]["1"]
            per_round = ", ".join(f"{b / a:.2f}" for a, b in zip(one, two, strict=True))
            cells += [f"{rows[kind]['1']:,.0f} / {rows[kind]['2']:,.0f} rps", f"{factor:.2f}x ({per_round})"]
        print(f"| {framework} ({BY_NAME[framework].server}) | " + " | ".join(cells) + " |")
    if record:
        run = {
            "measured": time.strftime("%Y-%m-%d"),
            "method": (
                f"WEB_CONCURRENCY 1 and 2, wrk -c{CONNECTIONS}, server and wrk sharing both cores, "
                f"median of {rounds} x {seconds} s"
            ),
            "frameworks": {
                framework: {kind: {n: round(rps) for n, rps in by.items()} for kind, by in rows.items()}
                for framework, rows in medians.items()
            },
        }
        kept = json.loads(record.read_text()) if record.exists() else {}
        record.write_text(json.dumps({**kept, "processes": run}, indent=2) + "\n")
        print(f"recorded in {record} (processes)")


# The release before the operations features (request ids, access log, tracing, metrics, rate
# limits, authentication): what `ops` compares the current templates with.
BEFORE_OPERATIONS = "0.8.0"
# Head sampling at one request in a hundred, as a busy service would trace (its README).
SAMPLED = {"OTEL_TRACES_SAMPLER": "parentbased_traceidratio", "OTEL_TRACES_SAMPLER_ARG": "0.01"}
BENCH_KEY = "bench-key-for-writes"
# A stand-in OTLP/HTTP collector: takes every export, keeps nothing. Hand-written (a few
# lines of http.server) because a real collector is a container image, and none is reachable.
COLLECTOR = """
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

class Collector(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass

ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Collector).serve_forever()
"""


@contextmanager
def collecting() -> Iterator[str]:
    """The stand-in collector on wrk's core, for the block; yields its OTLP endpoint."""
    port = free_port()
    collector = subprocess.Popen(
        ["taskset", "-c", "1", sys.executable, "-c", COLLECTOR, str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_http(port)
        yield f"http://127.0.0.1:{port}"
    finally:
        collector.terminate()
        collector.wait()


def released_project(work: Path, env: dict[str, str], version: str, name: str, **answers: str) -> Path:
    """A project rendered from a shipped release's templates, out of the store's history."""
    import io
    import tarfile

    from copier import run_copy

    from asyncgen.store import TemplateStore

    store = TemplateStore(env["ASYNCGEN_HOME"])
    store.ready()
    source = work / f"templates-{version}"
    if not source.exists():
        archive = subprocess.run(
            ["git", "archive", f"v{version}"], cwd=store.path, capture_output=True, check=True
        ).stdout
        with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
            tar.extractall(source, filter="data")
    project = work / name
    data = {"project_name": name, "broker": "none", "tasks": "none", **answers}
    run_copy(str(source), str(project), data=data, defaults=True, quiet=True, unsafe=True)
    subprocess.run(["git", "init", "-q"], cwd=project, check=True)
    subprocess.run(["uv", "sync", "-q"], cwd=project, check=True)
    return project


def operations_env(endpoint: str) -> dict[str, str]:
    """A current service's environment with every operations feature on: each request traced
    to the collector at `endpoint`, writes limited, BENCH_KEY accepted (with `auth=apikey`)."""
    return {
        "OTEL_EXPORTER_OTLP_ENDPOINT": endpoint,
        "RATE_LIMIT": "600/minute",
        "API_KEYS": hashlib.sha256(BENCH_KEY.encode()).hexdigest(),
    }


@contextmanager
def scraped_every(seconds: float, url: str) -> Iterator[None]:
    """GET `url` every `seconds` in a thread for the block, as Prometheus would."""
    import threading
    import urllib.request

    stop = threading.Event()

    def scrape() -> None:
        while not stop.wait(seconds):
            with urllib.request.urlopen(url, timeout=5) as response:
                response.read()

    thread = threading.Thread(target=scrape, daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


def live_and_cached_reads(
    services: dict[tuple[str, str], Service],
    env: dict[str, str],
    rounds: int,
    seconds: int,
    headers: Callable[[str], dict[str, str] | None] = lambda variant: None,
    scraped: Callable[[str], bool] = lambda variant: False,
    reads: tuple[str, ...] = READS,
) -> dict[tuple[str, str, str], list[float]]:
    """Requests/s of each (framework, variant)'s `reads` (`live`: `/health/live`, `cached`: the
    cached read), by (framework, read, variant): the services alternate within each round. An
    item is created with `headers(variant)`; `/metrics` is scraped every second where
    `scraped(variant)`."""
    samples: dict[tuple[str, str, str], list[float]] = {}
    for _ in range(rounds):
        for (framework, variant), (project, command, extra) in services.items():
            port = free_port()
            with serving(command, project, port, env | extra | {"PORT": str(port)}):
                base = f"http://127.0.0.1:{port}"
                item = create_item(port, headers(variant))
                urls = {"live": f"{base}/health/live", "cached": f"{base}/api/items/{item}"}
                with scraped_every(1.0, f"{base}/metrics") if scraped(variant) else nullcontext():
                    for read in reads:
                        wrk(urls[read], 2)  # warm-up: pools filled, cache populated
                        rps, _ = wrk(urls[read], seconds)
                        samples.setdefault((framework, read, variant), []).append(rps)
                        print(f"{framework} {variant} {read}: {rps:,.0f} rps", flush=True)
    return samples


def bench_ops(work: Path, env: dict[str, str], frameworks: list[str], rounds: int, seconds: int) -> None:
    """Per framework: the cost of the operations features, all on, against the release before them.

    Both services run on PostgreSQL and Redis at LOG_LEVEL=INFO. The current one adds
    `auth=apikey` (reads stay open), RATE_LIMIT (writes only), its access log line per request,
    every request traced and exported to a stand-in OTLP collector, and /metrics scraped
    every second. The same service also runs traced at one request in a hundred (`sampled`),
    traced but sampling nothing (`unsampled`: what a dropped request costs), without tracing
    (`untraced`), and without tracing or access line (`unlogged`): where the cost is.
    """
    from asyncgen.frameworks import BY_NAME

    clean_env = served_env("info")
    services: dict[tuple[str, str], Service] = {}
    with collecting() as endpoint:
        operations = operations_env(endpoint)
        for index, framework in enumerate(frameworks):
            answers = {"framework": framework, "database": "postgresql", "cache": "redis"}
            before = released_project(work, env, BEFORE_OPERATIONS, f"{framework}-before", **answers)
            after = generated_project(
                work,
                env,
                f"{framework}-after",
                *(
                    option
                    for key, value in (answers | {"auth": "apikey"}).items()
                    for option in (f"--{key}", value)
                ),
            )
            for variant, project, extra in (("before", before, {}), ("after", after, operations)):
                services[framework, variant] = served_service(
                    project,
                    f"bench_ops_{framework}_{variant}",
                    # A Redis database per project: their item ids overlap.
                    1 + 2 * index + (variant == "after"),
                    extra,
                )
            # The same service with everything but tracing: what tracing costs; traced but
            # recording nothing: what the instrumentations cost before any span is exported;
            # untraced and without its access line: what the line costs.
            project, command, extra = services[framework, "after"]
            untraced = {key: value for key, value in extra.items() if not key.startswith("OTEL_")}
            services[framework, "untraced"] = (project, command, untraced)
            services[framework, "sampled"] = (project, command, extra | SAMPLED)
            services[framework, "unsampled"] = (
                project,
                command,
                extra | {"OTEL_TRACES_SAMPLER": "always_off"},
            )
            services[framework, "unlogged"] = (project, command, untraced | {"LOG_LEVEL": "warning"})
        samples = live_and_cached_reads(
            services,
            clean_env,
            rounds,
            seconds,
            # 0.8.0 has neither API keys nor /metrics.
            headers=lambda variant: {"X-API-Key": BENCH_KEY} if variant != "before" else None,
            scraped=lambda variant: variant != "before",
        )
    print(
        f"\nrelease {BEFORE_OPERATIONS} vs now with every operations feature on, wrk -c{CONNECTIONS}, "
        f"server on core 0, wrk on core 1, stdout {STDOUT}, median of {rounds} x {seconds} s:"
    )
    others = ("sampled", "unsampled", "untraced", "unlogged")
    print(
        "| framework (server) | `/health/live`, before / now | factor | "
        + " | ".join(others)
        + " | cached read, before / now | factor | "
        + " | ".join(others)
        + " |"
    )
    print("|---|" + "---:|" * 2 * (2 + len(others)))
    for framework in frameworks:
        cells = []
        for kind in READS:
            before_rps, after_rps, *other_rps = (
                statistics.median(samples[framework, kind, variant])
                for variant in ("before", "after", *others)
            )
            cells += [
                f"{before_rps:,.0f} / {after_rps:,.0f} rps",
                f"{after_rps / before_rps:.2f}x",
                *(f"{rps / before_rps:.2f}x" for rps in other_rps),
            ]
        print(f"| {framework} ({BY_NAME[framework].server}) | " + " | ".join(cells) + " |")
    print("targets: /health/live >= 0.9x, cached read >= 0.8x")
    print(
        "sampled: traced, one request in 100 (parentbased_traceidratio 0.01); "
        "unsampled: traced, OTEL_TRACES_SAMPLER=always_off; untraced: no OTEL_*; "
        "unlogged: untraced at LOG_LEVEL=warning (no access line)"
    )


# In a generated project's environment: what a server span costs a request, in process. An
# ASGI app answering prebuilt bytes, alone, inside the least a span takes with the SDK (started
# with the attributes the ASGI instrumentation sets, ended with the status), and inside the
# ASGI instrumentation itself; the spans exported in batches to the collector at argv[1],
# each round's batches flushed within the round; and the SDK's span once more, its batches
# dropped (making the span without its OTLP encoding). Timed in the process's CPU time, the
# export thread's included and the wait for the collector's answer not: the core's time a
# request takes, as 1/rps is a served request's. Prints microseconds a request, per round,
# as JSON.
SPAN_COST = """
import asyncio, json, sys, time
from opentelemetry import context, propagate, trace
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.instrumentation.asgi import OpenTelemetryMiddleware
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult

class Dropped(SpanExporter):
    def export(self, spans):
        return SpanExportResult.SUCCESS

provider = TracerProvider()
provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=sys.argv[1] + "/v1/traces")))
unexported = TracerProvider()
unexported.add_span_processor(BatchSpanProcessor(Dropped()))
REQUESTS, ROUNDS = int(sys.argv[2]), int(sys.argv[3])

async def app(scope, receive, send):
    headers = [(b"content-type", b"application/json")]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": b'{"id":1,"name":"x","price":1.0}'})

class Headers:
    def get(self, carrier, key):
        name = key.encode()
        return [v.decode("latin-1") for k, v in carrier if k == name] or None

    def keys(self, carrier):
        return [k.decode("latin-1") for k, _ in carrier]

def in_span(tracer):
    async def span(scope, receive, send):
        parent = propagate.extract(scope["headers"], getter=Headers())
        attributes = {
            "http.scheme": scope["scheme"], "http.host": "127.0.0.1:8000", "net.host.port": 8000,
            "http.flavor": scope["http_version"], "http.target": scope["path"],
            "http.url": "http://127.0.0.1:8000" + scope["path"], "http.method": scope["method"],
            "http.server_name": "127.0.0.1:8000", "http.user_agent": "wrk", "net.peer.ip": "127.0.0.1",
            "net.peer.port": 5555, "http.route": "/api/items/{item_id}",
        }
        server = tracer.start_span("GET /api/items/{item_id}", parent, trace.SpanKind.SERVER, attributes)
        token = context.attach(trace.set_span_in_context(server))
        status = 500

        async def sent(message):
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await app(scope, receive, sent)
        finally:
            server.set_attribute("http.status_code", status)
            server.end()
            context.detach(token)

    return span

instrumented = OpenTelemetryMiddleware(app, tracer_provider=provider, exclude_spans=["receive", "send"])
SCOPE = {
    "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET",
    "scheme": "http", "path": "/api/items/1", "raw_path": b"/api/items/1", "query_string": b"",
    "root_path": "", "headers": [(b"host", b"127.0.0.1:8000"), (b"user-agent", b"wrk")],
    "client": ("127.0.0.1", 5555), "server": ("127.0.0.1", 8000),
}

async def receive():
    return {"type": "http.request", "body": b"", "more_body": False}

async def send(message):
    pass

async def main():
    # Each with the provider its spans go to (the app alone makes none): a round flushes only
    # its own, so an empty provider's flush is not in its time.
    variants = {
        "app": (app, None),
        "span": (in_span(provider.get_tracer("span-cost")), provider),
        "unexported": (in_span(unexported.get_tracer("span-cost")), unexported),
        "asgi": (instrumented, provider),
    }
    timings = {name: [] for name in variants}
    for name, (served, _) in variants.items():  # warm-up
        for _ in range(500):
            await served(dict(SCOPE), receive, send)
    provider.force_flush()
    unexported.force_flush()
    for _ in range(ROUNDS):
        for name, (served, spans_to) in variants.items():
            started = time.process_time()
            for _ in range(REQUESTS):
                await served(dict(SCOPE), receive, send)
            if spans_to:
                spans_to.force_flush()
            timings[name].append((time.process_time() - started) / REQUESTS * 1e6)
    print(json.dumps(timings))

asyncio.run(main())
"""
# SPAN_COST's requests a timing, and timings a variant in each of `spans`' rounds.
SPAN_REQUESTS = 3000
SPAN_ROUNDS = 3


def bench_spans(work: Path, env: dict[str, str], frameworks: list[str], rounds: int, seconds: int) -> None:
    """Per framework: the best factor a cached read can keep against release 0.8.0's when every
    request is traced, whatever the service does around the span.

    Release 0.8.0's cached read is served as in `ops` (PostgreSQL, Redis, LOG_LEVEL=INFO): on
    one core, 1/rps is the core's time a request takes. A server span's own cost is measured
    in process on the same core in the same rounds (SPAN_COST): the least the SDK takes, and
    what the ASGI instrumentation takes. Added to the request's time, each gives the factor no
    service tracing every request can exceed.
    """
    from asyncgen.frameworks import BY_NAME

    services: dict[tuple[str, str], Service] = {}
    for index, framework in enumerate(frameworks):
        answers = {"framework": framework, "database": "postgresql", "cache": "redis"}
        project = released_project(work, env, BEFORE_OPERATIONS, f"{framework}-before", **answers)
        services[framework, "before"] = served_service(project, f"bench_spans_{framework}", 1 + index)
    # Any current project's environment has the SDK, the exporter and the ASGI instrumentation.
    now = generated_project(work, env, "spans-now", "--framework", "blacksheep")
    span_cost = [str(venv_python(now)), "-c", SPAN_COST]
    costs: dict[str, list[float]] = {}
    samples: dict[tuple[str, str, str], list[float]] = {}
    with collecting() as endpoint:
        for _ in range(rounds):
            measured = subprocess.run(
                ["taskset", "-c", "0", *span_cost, endpoint, str(SPAN_REQUESTS), str(SPAN_ROUNDS)],
                capture_output=True,
                text=True,
                check=True,
            )
            for variant, timings in json.loads(measured.stdout).items():
                costs.setdefault(variant, []).extend(timings)
                print(f"in process, {variant}: " + ", ".join(f"{t:.1f} us" for t in timings), flush=True)
            # Only the cached read: the factors are against its time.
            cached = live_and_cached_reads(services, served_env("info"), 1, seconds, reads=("cached",))
            for key, rps in cached.items():
                samples.setdefault(key, []).extend(rps)
    app, span, unexported, asgi = (
        statistics.median(costs[variant]) for variant in ("app", "span", "unexported", "asgi")
    )
    least, instrumented = span - app, asgi - app
    print(
        f"\nin process, core 0, median of {SPAN_ROUNDS * rounds} x {SPAN_REQUESTS} requests: "
        f"an ASGI app alone {app:.1f} us, "
        f"inside an SDK span {span:.1f} us ({unexported:.1f} us not exported), "
        f"inside the ASGI instrumentation {asgi:.1f} us; "
        f"release {BEFORE_OPERATIONS}'s cached read served, wrk -c{CONNECTIONS}, server on core 0, "
        f"stdout {STDOUT}, median of {rounds} x {seconds} s:"
    )
    print(
        f"| framework (server) | {BEFORE_OPERATIONS} cached read | a request | "
        f"+ an SDK span ({least:.1f} us) | + the ASGI instrumentation's ({instrumented:.1f} us) |"
    )
    print("|---|---:|---:|---:|---:|")
    for framework in frameworks:
        rps = statistics.median(samples[framework, "cached", "before"])
        took = 1e6 / rps
        print(
            f"| {framework} ({BY_NAME[framework].server}) | {rps:,.0f} rps | {took:.1f} us | "
            f"at best {took / (took + least):.2f}x | at best {took / (took + instrumented):.2f}x |"
        )
    print("target with every request traced: cached read >= 0.8x")


def bench_release(
    work: Path,
    env: dict[str, str],
    frameworks: list[str],
    rounds: int,
    seconds: int,
    version: str,
    operations: bool = False,
) -> None:
    """Per framework: the service the current templates make against a shipped release's.

    The same answers for both (PostgreSQL, Redis, no broker or tasks), LOG_LEVEL=INFO,
    untraced: what a template change since `version` did to a served request. With
    `operations`, both run as `ops` runs its busy service: `auth=apikey`, RATE_LIMIT, traced at
    one request in a hundred to the stand-in collector, /metrics scraped every second.
    """
    from asyncgen.frameworks import BY_NAME

    clean_env = served_env("info")
    services: dict[tuple[str, str], Service] = {}
    with collecting() if operations else nullcontext("") as endpoint:
        answers = {"database": "postgresql", "cache": "redis"}
        extra: dict[str, str] = {}
        if operations:
            answers["auth"] = "apikey"
            extra = operations_env(endpoint) | SAMPLED
        for index, framework in enumerate(frameworks):
            chosen = {"framework": framework, **answers}
            projects = {
                "release": released_project(work, env, version, f"{framework}-release", **chosen),
                "now": generated_project(
                    work,
                    env,
                    f"{framework}-now",
                    *(option for key, value in chosen.items() for option in (f"--{key}", value)),
                ),
            }
            for variant, project in projects.items():
                services[framework, variant] = served_service(
                    project,
                    f"bench_release_{framework}_{variant}",
                    # A Redis database per project: their item ids overlap.
                    1 + 2 * index + (variant == "now"),
                    extra,
                )
        samples = live_and_cached_reads(
            services,
            clean_env,
            rounds,
            seconds,
            headers=lambda variant: {"X-API-Key": BENCH_KEY} if operations else None,
            scraped=lambda variant: operations,
        )
    setting = "auth=apikey, RATE_LIMIT, traced 1 in 100, /metrics scraped" if operations else "untraced"
    print(
        f"\nrelease {version} vs the current templates, wrk -c{CONNECTIONS}, server on core 0, "
        f"wrk on core 1, stdout {STDOUT}, LOG_LEVEL=INFO, {setting}, "
        f"median of {rounds} x {seconds} s:"
    )
    columns = [
        "framework (server)",
        "`/health/live`, release / now",
        "factor",
        "cached read, release / now",
        "factor",
    ]
    print("| " + " | ".join(columns) + " |")
    print("|---|---:|---:|---:|---:|")
    for framework in frameworks:
        cells = []
        for kind in READS:
            release_rps, now_rps = (
                statistics.median(samples[framework, kind, variant]) for variant in ("release", "now")
            )
            cells += [f"{release_rps:,.0f} / {now_rps:,.0f} rps", f"{now_rps / release_rps:.2f}x"]
        print(f"| {framework} ({BY_NAME[framework].server}) | " + " | ".join(cells) + " |")


def template_with_server(dst: Path, framework: str, server: str) -> Path:
    """A copy of templates/ whose `framework` is served by `server`; returns its root."""
    shutil.copytree(TEMPLATES, dst, ignore=shutil.ignore_patterns("__pycache__"))
    spec = dst / framework / "framework.jinja"
    text = spec.read_text()
    servers_packages = ("uvicorn", "uvloop", "httptools", "granian")
    own = [
        line.strip().rstrip(",")
        for line in text.split("set dependencies = [", 1)[1].split("]", 1)[0].splitlines()
        if line.strip() and not line.strip().strip("\"'").startswith(servers_packages)
    ]
    dependencies = ",\n".join(f"    {dep}" for dep in [*own, *map(repr, SERVER_DEPENDENCIES[server])])
    title = re.search(r"{%- set title = .* %}\n", text)
    assert title, f"{spec} names no title"
    spec.write_text(
        f'{title[0]}{{%- set server = "{server}" %}}\n{{%- set dependencies = [\n{dependencies},\n] -%}}\n'
    )
    return dst


def bench_servers(work: Path, rounds: int, seconds: int) -> None:
    """The generated FastAPI service on each production server, targets alternating per round."""
    from copier import run_copy

    env = served_env("warning")
    answers = {"project_name": "server-svc", "framework": "fastapi", "database": "sqlite", "cache": "redis"}
    targets: dict[str, Target] = {}
    for server in SERVER_DEPENDENCIES:
        template = template_with_server(work / f"templates-{server}", "fastapi", server)
        project = work / f"svc-{server}"
        run_copy(
            str(template),
            str(project),
            data=answers | {"broker": "none", "tasks": "none"},
            defaults=True,
            quiet=True,
        )
        subprocess.run(["uv", "sync", "-q"], cwd=project, check=True)
        command = [str(venv_python(project)), "-m", "server_svc"]
        database = {"DATABASE_URL": f"sqlite+aiosqlite:///{project}/bench.db"}
        redis = {"REDIS_URL": "redis://127.0.0.1:6379/9"}
        targets[f"{server} /health/live"] = (project, lambda port, c=command: c, database, "/health/live")
        targets[f"{server} GET /api/items/{{id}} cache hit"] = (
            project,
            lambda port, c=command: c,
            database | redis,
            None,
        )
    results: dict[str, list[tuple[float, float]]] = {name: [] for name in targets}
    for _ in range(rounds):
        for name, target in targets.items():
            results[name].append(measure(target, env, seconds))
    print(f"\nFastAPI service per server, wrk -c{CONNECTIONS}, median of {rounds} x {seconds} s:")
    print("| target | requests/s | p99 ms | granian / uvicorn (per round) |")
    print("|---|---:|---:|---:|")
    for name, samples in results.items():
        rps, p99 = median_row(samples)
        ratio = ""
        if name.startswith("granian"):
            uvicorn_samples = results[name.replace("granian", "uvicorn", 1)]
            ratios = [g[0] / u[0] for g, u in zip(samples, uvicorn_samples, strict=True)]
            ratio = f"{statistics.median(ratios):.2f}x ({', '.join(f'{r:.2f}' for r in ratios)})"
        print(f"| {name} | {rps:,.0f} | {p99:.1f} | {ratio} |")


def bench_paced(
    target: Target, env: dict[str, str], unpaced: list[tuple[float, float]], rounds: int, seconds: int
) -> float:
    """p99 (ms) of the uncached read with the connections paced to half of its capacity.

    Unpaced, wrk keeps every connection's request in flight, so latency is connections /
    throughput whatever the service does: that measures capacity. A paced run measures the
    latency a client sees at a given load.
    """
    capacity, _ = median_row(unpaced)
    samples = [measure(target, env, seconds, rate=capacity / 2) for _ in range(rounds)]
    return median_row(samples)[1]


# Fills the items table with `rows` items in one statement per chunk, through the project's
# own models, on whichever database DATABASE_URL names.
FILL = """
import asyncio, os, sys
from datetime import UTC, datetime
from sqlalchemy import insert
from {package}.db import Database, ItemRow

async def main() -> None:
    database = Database(os.environ["DATABASE_URL"])
    await database.create_tables()
    now, rows = datetime.now(UTC).replace(microsecond=0), int(sys.argv[1])
    for start in range(0, rows, 10_000):
        chunk = [{{"name": f"item-{{n}}", "price": 1.0, "created_at": now}}
                 for n in range(start, min(rows, start + 10_000))]
        async with database.transaction() as session:
            await session.execute(insert(ItemRow), chunk)
    await database.close()

asyncio.run(main())
"""


def mariadb_database(project: Path, name: str) -> str:
    python = str(venv_python(project))
    admin = (
        "import asyncio, asyncmy\n"
        "async def main():\n"
        "    conn = await asyncmy.connect(host='127.0.0.1', user='root')\n"
        "    async with conn.cursor() as cursor:\n"
        "        try:\n"
        f"            await cursor.execute('DROP DATABASE {name}')\n"
        "        except Exception:\n"
        "            pass  # none yet\n"
        f"        await cursor.execute('CREATE DATABASE {name}')\n"
        "    conn.close()\n"
        "asyncio.run(main())\n"
    )
    subprocess.run([python, "-c", admin], check=True)
    return f"mysql+asyncmy://root@127.0.0.1:3306/{name}"


def page_ms(port: int, query: str, times: int = 7) -> float:
    """Median milliseconds of `GET /api/items?query` (50 items), after one warm-up request."""
    import urllib.request

    url = f"http://127.0.0.1:{port}/api/items?{query}"

    def get() -> None:
        with urllib.request.urlopen(url, timeout=30) as response:
            assert len(response.read()) > 2, url  # a page, not an empty list

    get()
    return median_seconds(get, times) * 1000


def bench_pages(work: Path, env: dict[str, str], rows: int, depth: int) -> None:
    """Page 1 and a page `depth` items deep, keyset (cursor) and offset, on each database.

    One BlackSheep service (the fastest framework here, so the database's share shows) on a
    table of `rows` items; the keyset page's cursor is the one the service hands out for it.
    """
    project = generated_project(
        work, env, "pages-bench", "--framework", "blacksheep", "--database", "postgresql", "--cache", "none"
    )
    python = str(venv_python(project))
    subprocess.run(["uv", "pip", "install", "-q", "--python", python, "asyncmy"], check=True)
    cursor = subprocess.run(
        [python, "-c", f"from pages_bench.items.paging import encode_cursor; print(encode_cursor({depth}))"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    databases = {
        "postgresql": lambda: postgres_database(project, "asyncgen_pages"),
        "mariadb": lambda: mariadb_database(project, "asyncgen_pages"),
        "sqlite": lambda: f"sqlite+aiosqlite:///{work / 'pages.db'}",
    }
    print(f"\n## Pages: {rows:,} items, 50 a page, median of 7 requests (ms)\n")
    print("| database | keyset page 1 | keyset deep | deep/first | offset page 1 | offset deep |")
    print("|---|---:|---:|---:|---:|---:|")
    for database, make in databases.items():
        url = make()
        run_env = env | {"DATABASE_URL": url}
        subprocess.run([python, "-c", FILL.format(package="pages_bench"), str(rows)], env=run_env, check=True)
        port = free_port()
        with serving(run_module(python, "pages_bench", port), project, port, run_env | {"PORT": str(port)}):
            first = page_ms(port, "limit=50")
            deep = page_ms(port, f"limit=50&cursor={cursor}")
            offset_first = page_ms(port, "limit=50&offset=0")
            offset_deep = page_ms(port, f"limit=50&offset={depth}")
        print(
            f"| {database} | {first:.1f} | {deep:.1f} | {deep / first:.2f}x"
            f" | {offset_first:.1f} | {offset_deep:.1f} |"
        )


PARTS = ("cli", "new", "http", "servers", "processes", "ops", "spans", "release", "pages")
# The parts that serve requests to wrk.
SERVING = {"http", "servers", "processes", "ops", "spans", "release"}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "parts",
        nargs="*",
        help=f"{', '.join(PARTS)} (default: cli, new, http)",
    )
    parser.add_argument("--against", default="", help="release: the shipped version to compare with")
    parser.add_argument(
        "--operations",
        action="store_true",
        help="release: both services with every operations feature on, traced 1 in 100",
    )
    parser.add_argument("--rows", type=int, default=1_000_000, help="pages: the table's size")
    parser.add_argument("--depth", type=int, default=999_000, help="pages: the deep page's start")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--no-live", action="store_true", help="skip the PostgreSQL/Redis targets")
    parser.add_argument("--frameworks", default="", help="comma-separated (default: all seven)")
    parser.add_argument("--record", type=Path, help="also write the HTTP medians to this JSON file")
    parser.add_argument(
        "--stdout",
        choices=("devnull", "pipe"),
        default="devnull",
        help="the servers' stdout: /dev/null, or a pipe read on wrk's core, as in a container",
    )
    args = parser.parse_args()
    global STDOUT
    STDOUT = args.stdout
    args.parts = args.parts or ["cli", "new", "http"]
    if unknown := set(args.parts) - {*PARTS}:
        parser.error(f"unknown part(s): {', '.join(sorted(unknown))}")
    if "release" in args.parts and not args.against:
        parser.error("release needs --against VERSION, a shipped release (e.g. 0.14.0)")
    for tool in ("asyncgen", "uv", "wrk", "taskset"):
        if shutil.which(tool) is None and (tool in ("asyncgen",) or SERVING & set(args.parts)):
            sys.exit(f"bench needs {tool} on PATH")
    with tempfile.TemporaryDirectory(prefix="asyncgen-bench-") as tmp:
        work = Path(tmp)
        env = os.environ | {"ASYNCGEN_HOME": str(work / "home")}
        if "cli" in args.parts:
            bench_cli(work, env)
        if "new" in args.parts:
            bench_new(work, env)
        from asyncgen.frameworks import NAMES

        frameworks = args.frameworks.split(",") if args.frameworks else list(NAMES)
        if "http" in args.parts:
            live = not args.no_live
            bench_http(work, env, frameworks, args.rounds, args.seconds, live, args.record)
        if "processes" in args.parts:
            bench_processes(work, env, frameworks, args.rounds, args.seconds, args.record)
        if "ops" in args.parts:
            bench_ops(work, env, frameworks, args.rounds, args.seconds)
        if "spans" in args.parts:
            bench_spans(work, env, frameworks, args.rounds, args.seconds)
        if "release" in args.parts:
            bench_release(work, env, frameworks, args.rounds, args.seconds, args.against, args.operations)
        if "servers" in args.parts:
            bench_servers(work, args.rounds, args.seconds)
        if "pages" in args.parts:
            bench_pages(work, env, args.rows, args.depth)


if __name__ == "__main__":
    main()
