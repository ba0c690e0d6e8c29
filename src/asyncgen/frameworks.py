"""The frameworks asyncgen knows: the one table every part of asyncgen reads.

The recommendation ranks them and each has its template folder (`templates/<name>/`, listed
in `templates/copier.yml`'s `framework` choices); a test keeps this table, copier.yml and
the folders equal. Adding a framework is a row here, its name in copier.yml, and its folder
of web code.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Framework:
    name: str
    title: str
    server: str  # the production server its projects run on (measured fastest for it here)
    gains: tuple[str, ...]  # what a team gets by choosing it (the decision record's consequences)
    costs: tuple[str, ...]  # what it gives up


# Catalogue order breaks ties in the ranking: the safer, more widely used choice first.
FRAMEWORKS: tuple[Framework, ...] = (
    Framework(
        "fastapi",
        "FastAPI",
        server="granian",
        gains=(
            "the largest ecosystem and hiring pool of the async Python frameworks",
            "validation, serialisation and OpenAPI docs generated from type hints",
        ),
        costs=(
            "a slower request path than the leaner frameworks (Starlette, BlackSheep, Sanic)",
            "dependency injection by function parameters only, no container",
        ),
    ),
    Framework(
        "litestar",
        "Litestar",
        server="granian",
        gains=(
            "layered dependency injection, controllers, plugins and DTOs for larger applications",
            "OpenAPI docs from type hints, msgspec serialisation",
        ),
        costs=("a smaller community and hiring pool than FastAPI's",),
    ),
    Framework(
        "sanic",
        "Sanic",
        server="sanic",
        gains=(
            "its own server, built for throughput: measured 1.4x the same app under granian here,"
            " with a manager process for more serving processes",
            "WebSockets built in, and streamed responses for Server-Sent Events",
        ),
        costs=(
            "OpenAPI through sanic-ext, described beside each route rather than generated from"
            " type hints; validation by the project's pydantic models, called in each handler",
            "its own server instead of the ASGI ecosystem's",
        ),
    ),
    Framework(
        "quart",
        "Quart",
        server="granian",
        gains=(
            "Flask's API, blueprints and idioms, made async: Flask code and Flask developers carry over",
            "validation and OpenAPI docs from pydantic models through quart-schema",
        ),
        costs=(
            "the slowest request path of the seven measured here",
            "Flask extensions do not carry over as they are: Flask-SQLAlchemy, Flask-Login and "
            "Flask-CORS give way to async counterparts",
        ),
    ),
    Framework(
        "starlette",
        "Starlette",
        server="granian",
        gains=("a thin ASGI toolkit: every part of the request cycle is the team's own",),
        costs=("validation and OpenAPI docs are not built in: the project wires them itself",),
    ),
    Framework(
        "blacksheep",
        "BlackSheep",
        server="granian",
        gains=(
            "ASP.NET Core's shape: controllers that rodi's container builds per request, their "
            "services given to their constructors, and bound request parameters",
            "built-in OpenAPI docs and Server-Sent Events, and one of the fastest request paths "
            "measured here",
        ),
        costs=(
            "a niche framework: a small community, which can complicate hiring",
            "validation through the project's own pydantic binders: BlackSheep's own answer any bad "
            "body with a 400 and check no limits on query or route values",
        ),
    ),
    Framework(
        "aiohttp",
        "aiohttp",
        server="aiohttp",
        gains=(
            "control of every aspect of the connection: its own HTTP server and client, not ASGI",
            "its own server (AppRunner on uvloop), native WebSockets, and Server-Sent Events"
            " through aiohttp-sse",
        ),
        costs=(
            "no validation or OpenAPI built in: handlers validate with the project's pydantic"
            " models, and the project builds its OpenAPI document from them",
            "lower-level code than a higher-level framework, which most teams are better served by",
            "not ASGI: ASGI servers and middleware do not apply",
        ),
    ),
)

BY_NAME: dict[str, Framework] = {framework.name: framework for framework in FRAMEWORKS}
NAMES: tuple[str, ...] = tuple(BY_NAME)
