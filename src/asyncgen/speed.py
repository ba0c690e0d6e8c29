"""How fast each framework's generated service measured, as ratios to the FastAPI one.

`python benchmarks/bench.py http --record src/asyncgen/measured.json` serves every
framework's generated service side by side in one run and keeps the medians in that file;
the recommendation's speed rules read them from here. Ratios, because absolute numbers
drift between machines and days while ratios from one run hold; and the generated
services, because they are what a team gets, where a bare app's speed is only a ceiling.
"""

from __future__ import annotations

import json
import statistics
from dataclasses import dataclass
from importlib import resources

BASELINE = "fastapi"
# What each figure measures, in the words the reasons quote.
ENDPOINTS = {"live": "/health/live", "cached": "cached read", "uncached": "uncached PostgreSQL read"}
HALF_LOAD = "uncached read at half load"


@dataclass(frozen=True)
class Figures:
    """One generated service in the run: requests/s and p99 latency per endpoint."""

    rps: dict[str, float]
    p99_ms: dict[str, float]
    uncached_p99_at_half_load_ms: float


@dataclass(frozen=True)
class Run:
    measured: str  # the day of the run
    method: str
    frameworks: dict[str, Figures]

    def throughput(self, framework: str) -> dict[str, float]:
        """Requests/s per endpoint (named as ENDPOINTS says), each as a ratio to FastAPI's."""
        ours, base = self.frameworks[framework], self.frameworks[BASELINE]
        return {label: ours.rps[kind] / base.rps[kind] for kind, label in ENDPOINTS.items()}

    def latency(self, framework: str) -> dict[str, float]:
        """p99 latency per endpoint at full load, and the uncached read's at half load, each as a
        ratio to FastAPI's (lower is faster)."""
        ours, base = self.frameworks[framework], self.frameworks[BASELINE]
        ratios = {label: ours.p99_ms[kind] / base.p99_ms[kind] for kind, label in ENDPOINTS.items()}
        ratios[HALF_LOAD] = ours.uncached_p99_at_half_load_ms / base.uncached_p99_at_half_load_ms
        return ratios


def overall(ratios: dict[str, float]) -> float:
    """One ratio for several: their geometric mean, as no endpoint outweighs another."""
    return statistics.geometric_mean(ratios.values())


def parse(document: dict[str, object]) -> Run:
    frameworks = document["frameworks"]
    assert isinstance(frameworks, dict)
    return Run(
        measured=str(document["measured"]),
        method=str(document["method"]),
        frameworks={
            name: Figures(
                rps={kind: float(rows[kind]["rps"]) for kind in ENDPOINTS},
                p99_ms={kind: float(rows[kind]["p99_ms"]) for kind in ENDPOINTS},
                uncached_p99_at_half_load_ms=float(rows["uncached_p99_at_half_load_ms"]),
            )
            for name, rows in frameworks.items()
        },
    )


def recorded_run() -> Run:
    """The run asyncgen ships (src/asyncgen/measured.json)."""
    text = resources.files("asyncgen").joinpath("measured.json").read_text(encoding="utf-8")
    return parse(json.loads(text))
