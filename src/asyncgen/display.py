"""How rankings and outcomes look on the terminal (rich)."""

from __future__ import annotations

from rich.console import Console, Group
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from asyncgen.recommend import Recommendation


def ranking_table(ranking: list[Recommendation]) -> Group:
    """The ranking; each reason points to its source (seed or measured), listed under the table."""
    sources: list[str] = []  # footnotes, numbered in order of first use
    table = Table(title="Recommended frameworks, best first", show_lines=True)
    table.add_column("#", justify="right")
    table.add_column("framework")
    table.add_column("score", justify="right")
    table.add_column("why")
    for place, rec in enumerate(ranking, start=1):
        name = rec.framework if rec.available else f"{rec.framework}\n(not yet available)"
        lines = []
        for reason, source in zip(rec.reasons, rec.sources, strict=True):
            if source not in sources:
                sources.append(source)
            lines.append(f"{escape(reason)} [dim]\\[{sources.index(source) + 1}][/dim]")
        table.add_row(str(place), name, str(rec.score), "\n".join(lines) or "no requirement favours it")
    notes = [Text(f"[{number}] {source}", style="dim") for number, source in enumerate(sources, 1)]
    return Group(table, *notes)


def print_ranking(console: Console, ranking: list[Recommendation]) -> None:
    console.print(ranking_table(ranking))
