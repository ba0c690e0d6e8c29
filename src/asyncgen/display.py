"""How rankings and outcomes look on the terminal (rich), and the preview's JSON."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Console, Group
from rich.markup import escape
from rich.table import Table
from rich.text import Text
from rich.tree import Tree

from asyncgen.recommend import Recommendation

if TYPE_CHECKING:
    from asyncgen.questionnaire import Plan


def ranking_table(ranking: list[Recommendation]) -> Group:
    """The ranking; each reason points to its source (seed or measured), listed under the table."""
    sources: list[str] = []  # footnotes, numbered in order of first use
    table = Table(title="Recommended frameworks, best first", show_lines=True)
    table.add_column("#", justify="right")
    table.add_column("framework")
    table.add_column("score", justify="right")
    table.add_column("why")
    for place, rec in enumerate(ranking, start=1):
        lines = []
        for reason, source in zip(rec.reasons, rec.sources, strict=True):
            if source not in sources:
                sources.append(source)
            lines.append(f"{escape(reason)} [dim]\\[{sources.index(source) + 1}][/dim]")
        table.add_row(
            str(place), rec.framework, str(rec.score), "\n".join(lines) or "no requirement favours it"
        )
    notes = [Text(f"[{number}] {source}", style="dim") for number, source in enumerate(sources, 1)]
    return Group(table, *notes)


def print_ranking(console: Console, ranking: list[Recommendation]) -> None:
    console.print(ranking_table(ranking))


def file_tree(root: Path, files: list[str]) -> Tree:
    """Relative paths as an indented tree under `root`, folders first."""
    nested: dict[str, Any] = {}
    for path in files:
        node = nested
        for part in path.split("/"):
            node = node.setdefault(part, {})
    tree = Tree(Text(f"{root}/"))

    def add(branch: Tree, node: dict[str, Any]) -> None:
        for name, children in sorted(node.items(), key=lambda item: (not item[1], item[0])):
            add(branch.add(Text(f"{name}/" if children else name)), children)

    add(tree, nested)
    return tree


def print_preview(console: Console, plan: Plan, destination: Path, files: list[str]) -> None:
    """What `new --dry-run` shows: the answers, the ranking, the files."""
    console.print(Text(f"Dry run: asyncgen new would create {destination} with"))
    for key, value in plan.answers.model_dump().items():
        console.print(Text(f"  {key}={value}"))
    given = plan.requirements.model_dump().items()
    console.print(Text(f"ranked for {', '.join(f'{key}={_plain(value)}' for key, value in given)}:"))
    print_ranking(console, plan.ranking)
    console.print(Text(f"framework: {plan.answers.framework} (chosen)"))
    console.print(Text(f"{len(files)} files:"))
    console.print(file_tree(destination, files))
    console.print("Nothing was written (dry run).")


def preview_document(plan: Plan, destination: Path, files: list[str]) -> dict[str, Any]:
    """The same preview for tools (`new --dry-run --json`)."""
    return {
        "project": {
            "name": plan.answers.project_name,
            "package": plan.answers.package_name,
            "destination": str(destination),
        },
        "answers": plan.answers.model_dump(),
        "requirements": plan.requirements.model_dump(),
        "ranking": [rec.as_dict() for rec in plan.ranking],
        "files": files,
    }


def _plain(value: object) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)
