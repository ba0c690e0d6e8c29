"""What a team needs from its service: the answers the recommendation is computed from."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

Architecture = Literal["microservice", "monolith"]
Priority = Literal["productivity", "throughput", "latency"]
TeamBackground = Literal["none", "flask", "django", "dotnet", "fastapi"]
TeamExperience = Literal["junior", "mixed", "senior"]


class Requirements(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    architecture: Architecture = "microservice"
    priority: Priority = "productivity"
    team_background: TeamBackground = "none"
    team_experience: TeamExperience = "mixed"
    hiring_matters: bool = False  # the team will grow: hiring and community health count
    api_docs: bool = True
    realtime: bool = False
    migrating_from_flask: bool = False
    needs_di_plugins: bool = False
    low_level_control: bool = False
    connection_control: bool = False  # manage every aspect of the connection (proxy, crawler)
