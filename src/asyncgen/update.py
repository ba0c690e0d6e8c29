"""Bring a generated project to the newest template version, or change its answers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from asyncgen._git import conflicted_files, git, is_clean
from asyncgen.answers import INFRA_KEYS, TemplateAnswers, transport_problem
from asyncgen.errors import AsyncgenError, ConflictsError, Interrupted, UsageError
from asyncgen.progress import Step, quiet
from asyncgen.store import Release, TemplateStore


def update_project(
    directory: Path,
    data: dict[str, Any] | None = None,
    store: TemplateStore | None = None,
    release: Release | None = None,
    step: Step = quiet,
) -> None:
    """`copier update` with the store made ready first; `data` changes answers in place."""
    _check_updatable(directory)
    with step("Preparing the template store"):
        (store or TemplateStore.from_environment()).ready(release)
    from copier import VcsRef, run_update
    from copier.errors import CopierAnswersInterrupt, CopierError

    try:
        with step(f"Re-rendering {directory} with copier" if data else f"Updating {directory} with copier"):
            run_update(
                directory,
                data=data or {},
                # Changing answers re-renders the version the project is on; updating takes the newest.
                vcs_ref=VcsRef.CURRENT if data else None,
                defaults=True,
                overwrite=True,
                conflict="inline",
                quiet=True,
                unsafe=False,
            )
    except (KeyboardInterrupt, CopierAnswersInterrupt):
        raise Interrupted() from None
    except (CopierError, ValueError) as exc:
        raise AsyncgenError(f"update failed: {exc}") from None
    conflicts = conflicted_files(directory)
    if conflicts:
        raise ConflictsError(conflicts)


def _check_updatable(directory: Path) -> None:
    if not (directory / ".copier-answers.yml").is_file():
        raise UsageError(f"{directory} is not a generated project (no .copier-answers.yml)")
    if git("rev-parse", "--is-inside-work-tree", cwd=directory, check=False) != "true":
        raise UsageError(f"{directory} is not a git repository; copier update needs one")
    conflicts = conflicted_files(directory)
    if conflicts:
        raise ConflictsError(conflicts)
    if not is_clean(directory):
        raise UsageError(f"{directory} has uncommitted changes: commit or stash them first")


def change_answers(
    directory: Path,
    changes: list[str],
    store: TemplateStore | None = None,
    release: Release | None = None,
    step: Step = quiet,
) -> None:
    """`asyncgen add KEY=VALUE...`: re-render the project with changed answers, edits kept."""
    from asyncgen.questionnaire import ANSWER_KEYS, split_given

    if not changes:
        raise UsageError("nothing to change: give KEY=VALUE, e.g. broker=nats")
    data: dict[str, Any] = {}
    for change in changes:
        key, sep, value = change.partition("=")
        if not sep or not key or not value:
            raise UsageError(f"{change!r} is not KEY=VALUE (e.g. broker=nats)")
        if key not in ANSWER_KEYS:
            raise UsageError(f"{key!r} cannot be changed (changeable: {', '.join(ANSWER_KEYS)})")
        data[key] = value
    split_given(data)  # validates every value, the framework's availability included
    combined = {**_recorded_answers(directory), **data}
    problem = transport_problem(combined["tasks"], combined["broker"], combined["cache"])
    if problem:
        raise UsageError(problem)
    update_project(directory, data=data, store=store, release=release, step=step)


def _recorded_answers(directory: Path) -> dict[str, Any]:
    import yaml

    try:
        recorded = yaml.safe_load((directory / ".copier-answers.yml").read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError):
        raise UsageError(
            f"{directory} is not a generated project (no readable .copier-answers.yml)"
        ) from None
    defaults = {key: TemplateAnswers.model_fields[key].default for key in INFRA_KEYS}
    return {**defaults, **{key: recorded[key] for key in INFRA_KEYS if key in recorded}}
