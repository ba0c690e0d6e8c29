"""What `asyncgen templates` lists: every framework of the matrix and the options it supports."""

from __future__ import annotations

from typing import Any

from asyncgen._validation import choices_of
from asyncgen.answers import INFRA_KEYS, TemplateAnswers
from asyncgen.recommend import FRAMEWORKS


def catalog() -> list[dict[str, Any]]:
    available = choices_of(TemplateAnswers, "framework")
    options = {key: list(choices_of(TemplateAnswers, key)) for key in INFRA_KEYS}
    return [
        {"framework": name, "available": name in available, "options": options if name in available else {}}
        for name in FRAMEWORKS
    ]
