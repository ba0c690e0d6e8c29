"""asyncgen's speed claims, measured side by side (not a test; run it and read the table).

    python benchmarks/bench.py              # everything
    python benchmarks/bench.py cli new      # only the generator's own timings
    python benchmarks/bench.py http         # generated /health/live vs a bare FastAPI app

HTTP rounds pin the server to core 0 and wrk to core 1 (taskset), alternate the apps within
one run, and report the median of the rounds: ratios between apps are what to compare,
absolute numbers drift between machines. Needs wrk, taskset and uv on PATH.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

BARE_FASTAPI = """\
from fastapi import FastAPI

app = FastAPI()


@app.get("/health/live")
async def live() -> dict[str, str]:
    return {"status": "ok"}
"""


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


@contextmanager
def serving(command: list[str], cwd: Path, port: int, env: dict[str, str]) -> Iterator[None]:
    process = subprocess.Popen(
        ["taskset", "-c", "0", *command],
        cwd=cwd,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_http(port)
        yield
    finally:
        process.terminate()
        process.wait(timeout=30)


def wrk(url: str, seconds: int) -> tuple[float, float]:
    out = subprocess.run(
        ["taskset", "-c", "1", "wrk", "-t1", "-c64", f"-d{seconds}s", "--latency", url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)", out)
    assert p99 is not None, out
    scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}[p99.group(2)]
    return rps, float(p99.group(1)) * scale


def generated_project(work: Path, env: dict[str, str], *options: str) -> tuple[Path, str]:
    asyncgen("new", "bench-svc", "--yes", *options, cwd=work, env=env)
    project = work / "bench-svc"
    subprocess.run(["uv", "sync", "-q"], cwd=project, check=True)
    (project / "bare_app.py").write_text(BARE_FASTAPI)
    return project, "bench_svc"


def bench_http(work: Path, env: dict[str, str], rounds: int, seconds: int) -> None:
    project, package = generated_project(work, env, "--database", "sqlite")
    python = str(project / ".venv" / "bin" / "python")
    clean_env = {k: v for k, v in os.environ.items() if not k.endswith("_URL")}
    apps = {
        "bare FastAPI (uvicorn, uvloop, httptools, no access log)": lambda port: [
            python,
            "-m",
            "uvicorn",
            "bare_app:app",
            "--port",
            str(port),
            "--loop",
            "uvloop",
            "--http",
            "httptools",
            "--no-access-log",
            "--log-level",
            "warning",
        ],
        "generated service (python -m bench_svc)": lambda port: [python, "-m", package],
    }
    results: dict[str, list[tuple[float, float]]] = {name: [] for name in apps}
    for _ in range(rounds):
        for name, command in apps.items():
            port = free_port()
            run_env = clean_env | {"PORT": str(port), "LOG_LEVEL": "warning"}
            with serving(command(port), project, port, run_env):
                wrk(f"http://127.0.0.1:{port}/health/live", 2)  # warm-up
                results[name].append(wrk(f"http://127.0.0.1:{port}/health/live", seconds))
    print(f"\nGET /health/live, wrk -t1 -c64, {rounds} rounds of {seconds} s, median:")
    print("| app | requests/s | p99 ms |")
    print("|---|---:|---:|")
    medians = {}
    for name, samples in results.items():
        rps = statistics.median(s[0] for s in samples)
        p99 = statistics.median(s[1] for s in samples)
        medians[name] = rps
        print(f"| {name} | {rps:,.0f} | {p99:.1f} |")
    bare, generated = medians.values()
    print(f"ratio generated / bare: {generated / bare:.2f} (target >= 0.9)")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("parts", nargs="*", default=["cli", "new", "http"], choices=["cli", "new", "http"])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=8)
    args = parser.parse_args()
    for tool in ("asyncgen", "uv", "wrk", "taskset"):
        if shutil.which(tool) is None and (tool in ("asyncgen",) or "http" in args.parts):
            sys.exit(f"bench needs {tool} on PATH")
    with tempfile.TemporaryDirectory(prefix="asyncgen-bench-") as tmp:
        work = Path(tmp)
        env = os.environ | {"ASYNCGEN_HOME": str(work / "home")}
        if "cli" in args.parts:
            bench_cli(work, env)
        if "new" in args.parts:
            bench_new(work, env)
        if "http" in args.parts:
            bench_http(work, env, args.rounds, args.seconds)


if __name__ == "__main__":
    main()
