"""The seed's decision matrix as data, and a pure scoring of it.

Every rule says which answer it reacts to, the points it gives each framework and why, in
words a person can check, and what it encodes: a sentence of the seed article or a
measurement of ours. `rank` adds them up; nothing here does I/O.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from asyncgen import speed
from asyncgen.frameworks import BY_NAME, NAMES
from asyncgen.requirements import Requirements


@dataclass(frozen=True)
class Rule:
    key: str
    value: Any  # the answer that triggers the rule; None: always applies
    points: dict[str, int]
    reason: str
    source: str  # "seed: <the seed article's sentence, paraphrased>" or "measured: <what, where>"


# What the seed article says, paraphrased once; several rules encode the same sentence.
SEED_FASTAPI = (
    "seed: FastAPI is the default for a new API: the largest ecosystem, type-driven, automatic docs"
)
SEED_SANIC = (
    "seed: Sanic leads where raw, benchmark-proven throughput is the first KPI, "
    "e.g. market-data WebSocket streams with thousands of concurrent feeds"
)
SEED_QUART = "seed: Quart for Flask code bases, which port by adding async/await, and for Flask teams"
SEED_LITESTAR = "seed: Litestar for DI, plugins and complex architectures (CQRS, large business apps)"
SEED_STARLETTE = "seed: Starlette for bespoke, low-level control of the request cycle"
SEED_BLACKSHEEP = (
    "seed: BlackSheep, modelled on ASP.NET Core, for developers from .NET "
    "or who want a formalised structure with DI"
)
SEED_AIOHTTP = (
    "seed: aiohttp when you must manage every aspect of the connection (proxies, crawlers, "
    "gateways): its own HTTP client and server"
)
SEED_AIOHTTP_OTHERWISE = (
    "seed: otherwise, most developers will be better served by a higher-level framework than aiohttp"
)
SEED_JUNIOR = (
    "seed: for a junior team, FastAPI's type-driven paradigm is an upskilling opportunity, "
    "but it needs support"
)
SEED_HIRING = (
    "seed: hiring and community health count, a niche framework may complicate hiring; "
    "FastAPI has the largest ecosystem"
)
# Ours: what FACTS.md records of each framework, checked here, and the generated services'
# speed (asyncgen.speed).
CHECKED = "measured: checked here on"


# A ratio to the generated FastAPI service -> points: the first tier the ratio reaches.
THROUGHPUT_TIERS = ((3.0, 5), (2.0, 4), (1.5, 3), (1.15, 2))  # requests/s: higher is better
SLOW_THROUGHPUT = (0.8, -2)
LATENCY_TIERS = ((0.5, 4), (0.7, 3), (0.9, 2))  # p99: lower is better
SLOW_LATENCY = (1.25, -2)


def _throughput_points(ratio: float) -> int:
    if ratio <= SLOW_THROUGHPUT[0]:
        return SLOW_THROUGHPUT[1]
    return next((points for bound, points in THROUGHPUT_TIERS if ratio >= bound), 0)


def _latency_points(ratio: float) -> int:
    if ratio >= SLOW_LATENCY[0]:
        return SLOW_LATENCY[1]
    return next((points for bound, points in LATENCY_TIERS if ratio <= bound), 0)


def _figures(ratios: dict[str, float]) -> str:
    return ", ".join(f"{endpoint} {ratio:.2f}x" for endpoint, ratio in ratios.items())


# Per priority: the run's ratios for it, their points, and what the reason and source say.
SPEED_PRIORITIES = (
    (
        "throughput",
        speed.Run.throughput,
        _throughput_points,
        "raw throughput first: its generated service served {:.2f}x FastAPI's requests/s",
        "requests/s",
    ),
    (
        "latency",
        speed.Run.latency,
        _latency_points,
        "latency first: its generated service's p99 measured {:.2f}x FastAPI's",
        "p99",
    ),
)


def speed_rules(run: speed.Run) -> tuple[Rule, ...]:
    """A throughput and a latency rule per framework, from the run's ratios to FastAPI.

    The reason quotes the framework's own figure, the source each endpoint's; a framework
    that scores no points on a priority (FastAPI, the baseline, always) gets no rule for it.
    Throughput's rules come first, then latency's, each in the run's order.
    """
    measured = f"measured: the generated services side by side (bench.py http, {run.measured})"
    rules = []
    for priority, ratios_of, points_for, reason, figure in SPEED_PRIORITIES:
        for name in run.frameworks:
            ratios = ratios_of(run, name)
            overall = speed.overall(ratios)
            if name != speed.BASELINE and (points := points_for(overall)):
                title = BY_NAME[name].title
                source = f"{measured}: {title}'s {figure} to FastAPI's: {_figures(ratios)}"
                rules.append(Rule("priority", priority, {name: points}, reason.format(overall), source))
    return tuple(rules)


SPEED_RULES = speed_rules(speed.recorded_run())

RULES: tuple[Rule, ...] = (
    Rule(
        "*", None, {"fastapi": 2}, "the default for a new API: largest ecosystem, type-driven", SEED_FASTAPI
    ),
    # What matters most
    Rule(
        "priority",
        "productivity",
        {"fastapi": 3},
        "productivity first: type hints drive validation, serialisation and docs",
        SEED_FASTAPI,
    ),
    Rule(
        "priority",
        "throughput",
        {"sanic": 5},
        "raw throughput first: the pick for benchmark-proven throughput, its own server built for speed",
        SEED_SANIC,
    ),
    *SPEED_RULES,
    # Architecture
    Rule(
        "architecture",
        "monolith",
        {"litestar": 2},
        "monolith: structure for a large business application",
        SEED_LITESTAR,
    ),
    # The team
    Rule(
        "team_background", "flask", {"quart": 7}, "Flask team: the same API and idioms, now async", SEED_QUART
    ),
    Rule(
        "team_background",
        "dotnet",
        {"blacksheep": 6},
        ".NET team: ASP.NET Core's controllers and constructor injection",
        SEED_BLACKSHEEP,
    ),
    Rule(
        "team_experience",
        "junior",
        {"fastapi": 3},
        "junior team: type hints guide code and docs, an upskilling path that needs support",
        SEED_JUNIOR,
    ),
    Rule(
        "hiring_matters",
        True,
        {"fastapi": 3},
        "hiring matters: the largest community to hire from",
        SEED_HIRING,
    ),
    # API docs and type-driven development
    Rule(
        "api_docs",
        True,
        {"fastapi": 2},
        "API docs: OpenAPI and interactive docs generated from type hints",
        SEED_FASTAPI,
    ),
    Rule(
        "api_docs",
        True,
        {"litestar": 2, "blacksheep": 2},
        "API docs: OpenAPI docs generated from type hints, built in",
        f"{CHECKED} Litestar 2.25 and BlackSheep 2.6: OpenAPI built in (FACTS.md)",
    ),
    Rule(
        "api_docs",
        True,
        {"sanic": 1, "quart": 1},
        "API docs: OpenAPI through an extension (sanic-ext, quart-schema)",
        f"{CHECKED} Sanic 25.12 and Quart 0.22: OpenAPI and validation from sanic-ext, "
        "quart-schema (FACTS.md)",
    ),
    Rule(
        "api_docs",
        True,
        {"starlette": -1, "aiohttp": -1},
        "API docs: no OpenAPI or validation built in, the project wires them",
        f"{CHECKED} Starlette 1.x and aiohttp 3.14: no validation or OpenAPI built in (FACTS.md)",
    ),
    # Real-time
    Rule(
        "realtime",
        True,
        {"sanic": 3},
        "real-time: WebSocket streams to thousands of concurrent clients",
        SEED_SANIC,
    ),
    Rule(
        "realtime",
        True,
        {"fastapi": 1, "litestar": 1, "blacksheep": 1},
        "real-time: Server-Sent Events built in",
        f"{CHECKED} FastAPI 0.165, Litestar 2.25 and BlackSheep 2.6: SSE built in (FACTS.md)",
    ),
    # Migration, structure and control
    Rule(
        "migrating_from_flask",
        True,
        {"quart": 8},
        "Flask code base: ports by adding async/await; Flask's API and blueprints",
        SEED_QUART,
    ),
    Rule(
        "needs_di_plugins",
        True,
        {"litestar": 6},
        "DI, plugins, complex architecture: layered DI, a plugin system, DTOs",
        SEED_LITESTAR,
    ),
    Rule(
        "needs_di_plugins",
        True,
        {"blacksheep": 3},
        "DI: a dependency injection container (rodi) and a formalised structure",
        SEED_BLACKSHEEP,
    ),
    Rule(
        "low_level_control",
        True,
        {"starlette": 9},
        "low-level control: a thin ASGI toolkit, every part of the request cycle is yours",
        SEED_STARLETTE,
    ),
    Rule(
        "low_level_control",
        True,
        {"aiohttp": 2},
        "low-level control: its own HTTP server, below ASGI",
        SEED_AIOHTTP,
    ),
    Rule(
        "connection_control",
        True,
        {"aiohttp": 10},
        "connection control: its own HTTP client and server, every aspect of the connection is yours",
        SEED_AIOHTTP,
    ),
    Rule(
        "connection_control",
        False,
        {"aiohttp": -2},
        "no connection control needed: a higher-level framework serves better",
        SEED_AIOHTTP_OTHERWISE,
    ),
)


@dataclass(frozen=True)
class Recommendation:
    framework: str
    score: int
    reasons: tuple[str, ...]
    sources: tuple[str, ...] = ()  # what each reason encodes, in the same order

    def as_dict(self) -> dict[str, Any]:
        return {
            "framework": self.framework,
            "score": self.score,
            "reasons": list(self.reasons),
            "sources": list(self.sources),
        }


def _applies(rule: Rule, requirements: Requirements) -> bool:
    return rule.value is None or getattr(requirements, rule.key) == rule.value


def rank(requirements: Requirements) -> list[Recommendation]:
    """Every framework of the matrix, best first."""
    fired: dict[str, list[tuple[int, Rule]]] = {name: [] for name in NAMES}
    for rule in RULES:
        if _applies(rule, requirements):
            for name, points in rule.points.items():
                fired[name].append((points, rule))
    ranking = [
        Recommendation(
            name,
            sum(points for points, _ in fired[name]),
            tuple(f"{points:+d} {rule.reason}" for points, rule in fired[name]),
            tuple(rule.source for _, rule in fired[name]),
        )
        for name in NAMES
    ]
    # sorted() is stable, so ties keep catalogue order.
    return sorted(ranking, key=lambda rec: -rec.score)
