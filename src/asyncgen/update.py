"""Bring a generated project to the newest template version, or change its answers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from asyncgen import __version__
from asyncgen._git import conflicted_files, git, is_clean
from asyncgen._validation import validate_given
from asyncgen.answers import INFRA_KEYS, TemplateAnswers, transport_problem, yaml_problem
from asyncgen.errors import AsyncgenError, ConflictsError, Interrupted, UsageError
from asyncgen.progress import Step, quiet
from asyncgen.store import Release, TemplateStore

ANSWERS_FILE = ".copier-answers.yml"
# What copier needs to find the template again, and the one answer without a default.
_REQUIRED = ("_src_path", "_commit", "project_name")
_EXAMPLES = {"_src_path": TemplateStore().src_path, "_commit": f"v{__version__}"}
_RESTORE = "restore it from git (`git log -p -- .copier-answers.yml`)"


def update_project(
    directory: Path,
    data: dict[str, Any] | None = None,
    store: TemplateStore | None = None,
    release: Release | None = None,
    step: Step = quiet,
) -> None:
    """`copier update` with the store made ready first; `data` changes answers in place."""
    recorded = _check_updatable(directory)
    store = store or TemplateStore.from_environment()
    with step("Preparing the template store"):
        store.ready(release)
    _check_version_known(directory, recorded, store)
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


def _check_updatable(directory: Path) -> dict[str, Any]:
    """Refuse, before anything is written, a project copier could not update; return its answers."""
    recorded = recorded_answers(directory)
    if git("rev-parse", "--is-inside-work-tree", cwd=directory, check=False) != "true":
        raise UsageError(f"{directory} is not a git repository; copier update needs one")
    conflicts = conflicted_files(directory)
    if conflicts:
        raise ConflictsError(conflicts)
    if not is_clean(directory):
        raise UsageError(f"{directory} has uncommitted changes: commit or stash them first")
    return recorded


def _check_version_known(directory: Path, recorded: dict[str, Any], store: TemplateStore) -> None:
    """A project from the store must be on a version the store has (copier: "Unknown revision")."""
    if Path(recorded["_src_path"]).expanduser() != store.path or store.has(recorded["_commit"]):
        return
    raise UsageError(
        f"{directory / ANSWERS_FILE}: _commit {recorded['_commit']!r} is not a template version this "
        f"asyncgen has (newest: v{__version__}); if a newer asyncgen made the project, upgrade: "
        "pip install -U asyncgen"
    )


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
    before = recorded_answers(directory)
    combined = {**before, **data}
    problem = transport_problem(combined["tasks"], combined["broker"], combined["cache"])
    if problem:
        raise UsageError(problem)
    from asyncgen.decision import add_change_record

    command = f"asyncgen add {' '.join(changes)}"
    try:
        update_project(directory, data=data, store=store, release=release, step=step)
    except ConflictsError:
        add_change_record(directory, before, data, command)  # the answers did change
        raise
    add_change_record(directory, before, data, command)


def recorded_answers(directory: Path) -> dict[str, Any]:
    """What `.copier-answers.yml` records (`_src_path`, `_commit`, answers), with defaults filled in.

    copier reads the file unchecked: an empty file or a list ends in a traceback, a missing
    `_commit` in "Template not found". Each problem is one line here, before copier runs.
    """
    import yaml

    path = directory / ANSWERS_FILE
    if not path.is_file():
        raise UsageError(f"{directory} is not a generated project (no {ANSWERS_FILE})")
    try:
        recorded = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise UsageError(f"{path} is not UTF-8 text; {_RESTORE}") from None
    except yaml.YAMLError as exc:
        raise UsageError(f"{path} is not valid YAML ({yaml_problem(exc)}); {_RESTORE}") from None
    if recorded is None:
        raise UsageError(f"{path} is empty; {_RESTORE}")
    if not isinstance(recorded, dict):
        raise UsageError(f"{path} holds a {type(recorded).__name__}, not a mapping of answers; {_RESTORE}")
    recorded = {str(key): value for key, value in recorded.items()}
    missing = [key for key in _REQUIRED if recorded.get(key) in (None, "")]
    if missing:
        raise UsageError(f"{path} does not record {' or '.join(missing)}; {_RESTORE}")
    for key in ("_src_path", "_commit"):
        if not isinstance(recorded[key], str):
            raise UsageError(f"{path}: {key} must be text, e.g. {_EXAMPLES[key]} (got {recorded[key]!r})")
    answers = {key: value for key, value in recorded.items() if not key.startswith("_")}
    try:
        validate_given(TemplateAnswers, answers)
    except UsageError as exc:
        raise UsageError(f"{path}: {exc.message}") from None
    combined = {**{key: TemplateAnswers.model_fields[key].default for key in INFRA_KEYS}, **recorded}
    # copier re-renders the recorded version first, even to change answers: it must be valid.
    problem = transport_problem(combined["tasks"], combined["broker"], combined["cache"])
    if problem:
        raise UsageError(f"{path}: {problem}")
    return combined
