"""What `asyncgen templates` lists: every framework and the options its template supports."""

from __future__ import annotations

from typing import Any

from asyncgen._validation import choices_of
from asyncgen.answers import INFRA_KEYS, TemplateAnswers
from asyncgen.frameworks import FRAMEWORKS


def catalog() -> list[dict[str, Any]]:
    options = {key: list(choices_of(TemplateAnswers, key)) for key in INFRA_KEYS}
    return [
        {
            "framework": framework.name,
            "title": framework.title,
            "server": framework.server,
            "options": options,
        }
        for framework in FRAMEWORKS
    ]
