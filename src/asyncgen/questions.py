"""Every question asyncgen can ask, as data: key, prompt, and the choices with their labels."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Question:
    key: str
    prompt: str
    choices: tuple[tuple[str, object], ...]  # (label shown, value stored)


def _yes_no(key: str, prompt: str, yes: str, no: str) -> Question:
    return Question(key, prompt, ((f"Yes: {yes}", True), (f"No: {no}", False)))


REQUIREMENT_QUESTIONS: tuple[Question, ...] = (
    Question(
        "architecture",
        "What are you building?",
        (
            ("A microservice: one focused API", "microservice"),
            ("A monolith: a larger application with many domains", "monolith"),
        ),
    ),
    Question(
        "priority",
        "What matters most?",
        (
            ("Developer productivity", "productivity"),
            ("Raw throughput (requests per second)", "throughput"),
            ("Latency (tail response times)", "latency"),
        ),
    ),
    Question(
        "team_background",
        "What does the team know best?",
        (
            ("Nothing in particular", "none"),
            ("Flask", "flask"),
            ("Django", "django"),
            (".NET / ASP.NET", "dotnet"),
            ("FastAPI", "fastapi"),
        ),
    ),
    Question(
        "team_experience",
        "How experienced is the team?",
        (
            ("Mostly junior developers", "junior"),
            ("A mix of junior and senior", "mixed"),
            ("Mostly senior developers", "senior"),
        ),
    ),
    _yes_no(
        "hiring_matters",
        "Will you hire for this service (community size matters)?",
        "hiring matters",
        "the team is set",
    ),
    _yes_no(
        "api_docs",
        "Do you want automatic API docs and type-driven development?",
        "OpenAPI and validation from type hints",
        "docs are not a priority",
    ),
    _yes_no(
        "realtime",
        "Do you need real-time updates (WebSockets, Server-Sent Events)?",
        "push to clients",
        "request/response is enough",
    ),
    _yes_no(
        "migrating_from_flask",
        "Are you migrating an existing Flask code base?",
        "port Flask code",
        "starting fresh",
    ),
    _yes_no(
        "needs_di_plugins",
        "Do you need DI, plugins or a complex architecture (CQRS, large business app)?",
        "structure matters",
        "keep it simple",
    ),
    _yes_no(
        "low_level_control",
        "Do you need fine-grained control of the request cycle (gateway, bespoke middleware)?",
        "low-level control",
        "a framework's defaults are fine",
    ),
    _yes_no(
        "connection_control",
        "Must the service manage every aspect of its connections (proxy, crawler)?",
        "its own HTTP client and server",
        "a framework handles them",
    ),
)

INFRA_QUESTIONS: tuple[Question, ...] = (
    Question(
        "database",
        "Database?",
        (
            ("PostgreSQL (asyncpg)", "postgresql"),
            ("MySQL / MariaDB (asyncmy)", "mysql"),
            ("SQLite (aiosqlite)", "sqlite"),
            ("None", "none"),
        ),
    ),
    Question("cache", "Cache?", (("Redis (redis.asyncio)", "redis"), ("None", "none"))),
    Question(
        "broker",
        "Message broker?",
        (
            ("RabbitMQ (aio-pika)", "rabbitmq"),
            ("NATS JetStream (nats-py)", "nats"),
            ("Kafka (aiokafka)", "kafka"),
            ("None", "none"),
        ),
    ),
    Question(
        "tasks",
        "Background task worker?",
        (
            ("taskiq (async-native)", "taskiq"),
            ("Dramatiq", "dramatiq"),
            ("Celery", "celery"),
            ("None", "none"),
        ),
    ),
    Question(
        "auth",
        "Authentication on writes?",
        (
            ("None: writes are open", "none"),
            ("JWT bearer tokens (an OIDC issuer's, verified with PyJWT)", "jwt"),
            ("API keys (X-API-Key, stored as SHA-256 digests)", "apikey"),
        ),
    ),
)
