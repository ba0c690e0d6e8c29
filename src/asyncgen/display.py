"""How rankings and outcomes look on the terminal (rich)."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from asyncgen.recommend import Recommendation


def ranking_table(ranking: list[Recommendation]) -> Table:
    table = Table(title="Recommended frameworks, best first", show_lines=True)
    table.add_column("#", justify="right")
    table.add_column("framework")
    table.add_column("score", justify="right")
    table.add_column("why")
    for place, rec in enumerate(ranking, start=1):
        name = rec.framework if rec.available else f"{rec.framework}\n(not yet available)"
        why = "\n".join(rec.reasons) or "no requirement favours it"
        table.add_row(str(place), name, str(rec.score), why)
    return table


def print_ranking(console: Console, ranking: list[Recommendation]) -> None:
    console.print(ranking_table(ranking))
