"""The command line: each command parses, calls the library, prints. Nothing else lives here.

Heavy imports (copier, questionary, pydantic models) happen inside the commands, so that
`asyncgen --help` stays fast.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from asyncgen import __version__
from asyncgen.errors import AsyncgenError, Interrupted, UsageError
from asyncgen.frameworks import NAMES
from asyncgen.progress import Step, quiet

app = typer.Typer(
    help="Recommend an async Python framework and generate a production-ready service.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # plain help: rendering it with rich costs 0.1 s of imports
)

AnswersOption = Annotated[
    Path | None, typer.Option("--answers", help="YAML or JSON answers to replay (same keys as the flags).")
]


def _print_version(value: bool) -> None:
    if value:
        print(__version__)
        raise typer.Exit()


@app.callback()
def _options(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_print_version, is_eager=True, help="Print the version and exit."),
    ] = False,
) -> None:
    pass


def _console(stderr: bool = False) -> Any:
    from rich.console import Console

    return Console(stderr=stderr, highlight=False, soft_wrap=True)


@app.command()
def new(
    name: Annotated[
        str,
        typer.Argument(
            metavar="NAME",
            help="Project name, e.g. my-service (package: my_service); MyService or my_service "
            "become my-service.",
        ),
    ],
    dest: Annotated[
        Path | None, typer.Option(help="Where to write the project [default: ./NAME, normalised].")
    ] = None,
    framework: Annotated[str | None, typer.Option(help=f"{', '.join(NAMES)}.")] = None,
    database: Annotated[str | None, typer.Option(help="postgresql, mysql, sqlite, none.")] = None,
    cache: Annotated[str | None, typer.Option(help="redis, none.")] = None,
    broker: Annotated[str | None, typer.Option(help="rabbitmq, nats, kafka, none.")] = None,
    tasks: Annotated[str | None, typer.Option(help="taskiq, dramatiq, celery, none.")] = None,
    auth: Annotated[str | None, typer.Option(help="none, jwt, apikey.")] = None,
    answers: AnswersOption = None,
    yes: Annotated[
        bool, typer.Option("--yes", "-y", help="Never prompt: defaults and the recommendation.")
    ] = False,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show the answers, the ranking and the files; write nothing.")
    ] = False,
    json_output: Annotated[bool, typer.Option("--json", help="With --dry-run: print it as JSON.")] = False,
) -> None:
    """Answer the questionnaire and generate a service."""
    from asyncgen._validation import validate_given
    from asyncgen.answers import TemplateAnswers, normalise_project_name, package_of
    from asyncgen.generate import Generation, check_destination
    from asyncgen.questionnaire import Questionnaire, questions_left

    if json_output and not dry_run:
        raise UsageError("--json needs --dry-run (it prints the preview as JSON)")
    project_name = normalise_project_name(name)
    validate_given(TemplateAnswers, {"project_name": project_name})
    destination = dest or Path(project_name)
    check_destination(destination)
    flags = {
        "framework": framework,
        "database": database,
        "cache": cache,
        "broker": broker,
        "tasks": tasks,
        "auth": auth,
    }
    given = _given(answers, flags)
    console = _console(stderr=json_output)  # with --json, stdout holds nothing but the JSON
    questionnaire = Questionnaire(
        prompter=_prompter(yes, given, questions_left),
        say=console.print,
        show_ranking=lambda ranking: _show_ranking(console, ranking),
    )
    if project_name != name:
        console.print(f"project name: {project_name} (package {package_of(project_name)})")
    plan = questionnaire.run(project_name, given)
    generation = Generation(plan.answers, destination, plan=plan, step=_steps(console))
    if dry_run:
        _show_preview(console, plan, destination, generation.preview(), json_output)
        return
    project = generation.run()
    console.print(f"Created {project} ({_summary(plan.answers)}). Next:")
    console.print(
        f"  cd {project} && uv sync && uv run pytest && uv run python -m {plan.answers.package_name}"
    )


@app.command()
def recommend(
    answers: AnswersOption = None,
    json_output: Annotated[bool, typer.Option("--json", help="Print the ranking as JSON.")] = False,
) -> None:
    """Rank the frameworks for your requirements, with the reasons for each score.

    Asks the requirement questions, unless --answers or --json is given.
    """
    from asyncgen.questionnaire import Questionnaire, requirement_questions_left

    given = _given(answers, {})
    # An answers file or --json is a complete profile: its missing keys take their defaults.
    replaying = json_output or answers is not None
    asking = None if replaying else _prompter(False, given, requirement_questions_left)
    ranking = Questionnaire(prompter=asking).ranking(given)
    if json_output:
        import json

        print(json.dumps([rec.as_dict() for rec in ranking], indent=2))
    else:
        _show_ranking(_console(), ranking)


@app.command()
def templates(
    json_output: Annotated[bool, typer.Option("--json", help="Print as JSON.")] = False,
) -> None:
    """List the frameworks and the options each template supports."""
    from asyncgen.catalog import catalog

    entries = catalog()  # a listing: it writes nothing, the template store included
    if json_output:
        import json

        print(json.dumps(entries, indent=2))
        return
    from rich.table import Table

    table = Table(title="Templates")
    # The names stay whole on a narrow terminal; the lists of options wrap.
    table.add_column("framework", no_wrap=True)
    table.add_column("server", no_wrap=True)
    for column in ("database", "cache", "broker", "tasks", "auth"):
        table.add_column(column)
    for entry in entries:
        options = entry["options"]
        table.add_row(
            entry["framework"],
            entry["server"],
            *(", ".join(options[key]) for key in ("database", "cache", "broker", "tasks", "auth")),
        )
    _console().print(table)


@app.command()
def update(
    directory: Annotated[Path, typer.Argument(help="The generated project.")] = Path("."),
) -> None:
    """Update a generated project to this asyncgen's templates (plain `copier update`)."""
    from asyncgen.update import update_project

    console = _console()
    update_project(directory, step=_steps(console))
    console.print(f"Updated {directory}: review with `git diff`, then commit.")


@app.command()
def add(
    arguments: Annotated[
        list[str],
        typer.Argument(
            metavar="KEY=VALUE... [DIR]", help="Answers to change, e.g. broker=nats; then the project."
        ),
    ],
) -> None:
    """Change answers of an existing project (e.g. `asyncgen add broker=nats cache=none`)."""
    from asyncgen.update import change_answers

    changes = [argument for argument in arguments if "=" in argument]
    rest = [argument for argument in arguments if "=" not in argument]
    if len(rest) > 1 or (rest and arguments[-1] != rest[0]):
        raise UsageError(f"expected KEY=VALUE... [DIR], got {' '.join(arguments)!r}")
    directory = Path(rest[0]) if rest else Path(".")
    console = _console()
    change_answers(directory, changes, step=_steps(console))
    console.print(f"Changed {', '.join(changes)} in {directory}: review with `git diff`, then commit.")


def _steps(console: Any) -> Step:
    """A status line naming each slow step on a terminal; nothing at all when output is piped."""
    isatty = getattr(console.file, "isatty", None)
    if not (console.is_interactive and isatty and isatty()):
        return quiet
    return lambda what: console.status(f"{what}...")


def _given(answers_file: Path | None, flags: dict[str, str | None]) -> dict[str, Any]:
    """Answers file first, flags over it."""
    from asyncgen.answers import read_answers_file

    given = read_answers_file(answers_file) if answers_file else {}
    given.update({key: value for key, value in flags.items() if value is not None})
    return given


def _prompter(yes: bool, given: dict[str, Any], left: Any) -> Any:
    from asyncgen.errors import NoTerminalError
    from asyncgen.questionnaire import Prompter

    if yes or not left(given):
        return None
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        raise NoTerminalError()
    return Prompter()


def _show_ranking(console: Any, ranking: Any) -> None:
    from asyncgen.display import print_ranking

    print_ranking(console, ranking)


def _show_preview(console: Any, plan: Any, destination: Path, files: list[str], json_output: bool) -> None:
    from asyncgen.display import preview_document, print_preview

    if json_output:
        import json

        print(json.dumps(preview_document(plan, destination, files), indent=2))
    else:
        print_preview(console, plan, destination, files)


def _summary(answers: Any) -> str:
    return ", ".join(f"{key}={value}" for key, value in answers.model_dump().items() if key != "project_name")


def main() -> None:
    """Entry point: the one place that turns errors into a line on stderr and an exit code."""
    from typer.exceptions import Abort, TyperException

    try:
        code = app(standalone_mode=False)
    except TyperException as exc:  # command-line syntax: typer's own usage message
        show = getattr(exc, "show", None)
        show() if show else print(f"Error: {exc.message}", file=sys.stderr)
        sys.exit(exc.exit_code)
    except (Abort, KeyboardInterrupt):
        _fail(Interrupted())
    except AsyncgenError as exc:
        _fail(exc)
    if code == Interrupted.exit_code:  # typer turns a stray Ctrl-C into this code
        _fail(Interrupted())
    sys.exit(code if isinstance(code, int) else 0)


def _fail(exc: AsyncgenError) -> None:
    print(f"asyncgen: error: {exc.message}", file=sys.stderr)
    sys.exit(exc.exit_code)
