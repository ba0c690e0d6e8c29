"""The seed's decision matrix as data, and a pure scoring of it.

Every rule says which answer it reacts to, the points it gives each framework and why, in
words a person can check. `rank` adds them up; nothing here does I/O.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from asyncgen.frameworks import NAMES
from asyncgen.requirements import Requirements


@dataclass(frozen=True)
class Rule:
    key: str
    value: Any  # the answer that triggers the rule; None: always applies
    points: dict[str, int]
    reason: str


RULES: tuple[Rule, ...] = (
    Rule(
        "*", None, {"fastapi": 2}, "the default for a new API: largest ecosystem and hiring pool, type-driven"
    ),
    # What matters most
    Rule(
        "priority",
        "productivity",
        {"fastapi": 2, "litestar": 1, "quart": 1},
        "productivity first: type hints drive validation, serialisation and docs",
    ),
    Rule(
        "priority",
        "throughput",
        {"sanic": 6},
        "raw throughput first: own multi-worker server built for speed "
        "(34k req/s on one core here, 2.4x FastAPI)",
    ),
    Rule(
        "priority",
        "throughput",
        {"aiohttp": 4, "blacksheep": 3, "starlette": 3, "litestar": 2},
        "raw throughput first: a lean request path, 1.4x to 2.9x the requests/s of FastAPI here",
    ),
    Rule(
        "priority",
        "throughput",
        {"quart": -2},
        "raw throughput first: the slowest here (7.5k req/s, half of FastAPI)",
    ),
    Rule(
        "priority",
        "latency",
        {"sanic": 4, "starlette": 4, "blacksheep": 4, "litestar": 3},
        "latency first: p99 under 4 ms at 64 connections here",
    ),
    Rule("priority", "latency", {"quart": -2}, "latency first: p99 of 34 ms at 64 connections here"),
    # Architecture
    Rule(
        "architecture",
        "microservice",
        {"fastapi": 1, "sanic": 1, "starlette": 1, "aiohttp": 1},
        "microservice: small footprint, one focused API",
    ),
    Rule(
        "architecture",
        "monolith",
        {"litestar": 2, "fastapi": 1},
        "monolith: layered app structure with routers, controllers and dependency injection",
    ),
    # Team background
    Rule("team_background", "flask", {"quart": 6}, "Flask team: the same API and idioms, now async"),
    Rule(
        "team_background",
        "django",
        {"litestar": 2, "fastapi": 1},
        "Django team: batteries included, class-based controllers, ORM integration",
    ),
    Rule(
        "team_background",
        "dotnet",
        {"blacksheep": 6, "litestar": 1},
        ".NET team: ASP.NET-style controllers and constructor dependency injection",
    ),
    Rule(
        "team_background",
        "fastapi",
        {"fastapi": 3, "litestar": 1},
        "FastAPI team: known tools, or the closest model to them",
    ),
    # API docs and type-driven development
    Rule(
        "api_docs",
        True,
        {"fastapi": 2, "litestar": 2, "blacksheep": 2},
        "API docs: OpenAPI and interactive docs generated from type hints, built in",
    ),
    Rule(
        "api_docs",
        True,
        {"sanic": 1, "quart": 1},
        "API docs: OpenAPI through an official extension (sanic-ext, quart-schema)",
    ),
    Rule(
        "api_docs",
        True,
        {"starlette": -1, "aiohttp": -1},
        "API docs: no OpenAPI or validation built in, hand-written",
    ),
    # Real-time
    Rule("realtime", True, {"aiohttp": 4}, "real-time: WebSocket server and client in the one library"),
    Rule(
        "realtime",
        True,
        {"fastapi": 1, "litestar": 1, "sanic": 1, "quart": 1, "starlette": 1},
        "real-time: WebSockets built in and Server-Sent Events supported",
    ),
    # Migration and architecture needs
    Rule(
        "migrating_from_flask",
        True,
        {"quart": 8},
        "Flask code base: ports by adding async/await; Flask's API, blueprints and extensions",
    ),
    Rule(
        "needs_di_plugins",
        True,
        {"litestar": 6},
        "DI, plugins, complex architecture: layered DI, plugin system, DTOs, SQLAlchemy repository support",
    ),
    Rule(
        "needs_di_plugins",
        True,
        {"blacksheep": 3, "fastapi": 1},
        "DI: a real dependency injection container (rodi) or Depends()",
    ),
    Rule(
        "low_level_control",
        True,
        {"starlette": 8},
        "low-level control: a thin ASGI toolkit, every part of the request cycle is yours",
    ),
    Rule(
        "low_level_control",
        True,
        {"aiohttp": 4, "sanic": 1},
        "low-level control: own HTTP server with direct access to the request cycle",
    ),
)


@dataclass(frozen=True)
class Recommendation:
    framework: str
    score: int
    reasons: tuple[str, ...]
    available: bool

    def as_dict(self) -> dict[str, Any]:
        return {
            "framework": self.framework,
            "score": self.score,
            "reasons": list(self.reasons),
            "available": self.available,
        }


def _applies(rule: Rule, requirements: Requirements) -> bool:
    return rule.value is None or getattr(requirements, rule.key) == rule.value


def rank(requirements: Requirements, available: tuple[str, ...]) -> list[Recommendation]:
    """Every framework of the matrix, best first; `available` marks those with a template."""
    scores = dict.fromkeys(NAMES, 0)
    reasons: dict[str, list[str]] = {name: [] for name in NAMES}
    for rule in RULES:
        if not _applies(rule, requirements):
            continue
        for name, points in rule.points.items():
            scores[name] += points
            reasons[name].append(f"{points:+d} {rule.reason}")
    ranking = [Recommendation(name, scores[name], tuple(reasons[name]), name in available) for name in NAMES]
    # sorted() is stable, so ties keep catalogue order.
    return sorted(ranking, key=lambda rec: -rec.score)


def best_available(ranking: list[Recommendation]) -> Recommendation:
    return next(rec for rec in ranking if rec.available)
