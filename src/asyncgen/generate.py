"""One generation run: render the template into a staging folder, commit, move into place.

Nothing appears at the destination unless every step succeeded, and a failure or Ctrl-C
removes everything the run created.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from asyncgen._git import commit_all, git
from asyncgen.answers import TemplateAnswers
from asyncgen.decision import FIRST_RECORD, write_first_record
from asyncgen.errors import AsyncgenError, Interrupted, UsageError
from asyncgen.progress import Step, quiet
from asyncgen.store import Release, TemplateStore

if TYPE_CHECKING:
    from asyncgen.questionnaire import Plan


def check_destination(destination: Path) -> None:
    """Refuse a destination that would mix a new project with existing files."""
    if destination.is_file() or (destination.is_dir() and any(destination.iterdir())):
        raise UsageError(f"destination {destination} exists and is not empty")
    if destination.exists() and not destination.is_dir():
        raise UsageError(f"destination {destination} exists and is not a directory")


@dataclass
class Generation:
    answers: TemplateAnswers
    destination: Path
    store: TemplateStore = field(default_factory=TemplateStore.from_environment)
    release: Release | None = None  # None: the templates packaged with this asyncgen
    plan: Plan | None = None  # the questionnaire's outcome: the project's first decision record
    step: Step = quiet  # names each slow step; the CLI shows it on a terminal

    def run(self) -> Path:
        check_destination(self.destination)
        with self.step("Preparing the template store"):
            tag = self.store.ready(self.release)
        created_parents = _missing_parents(self.destination)
        self.destination.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".asyncgen-", dir=self.destination.parent))
        try:
            project = staging / self.destination.name
            with self.step(f"Rendering {self.answers.project_name} from templates {tag}"):
                self._render(project, tag)
            if self.plan is not None:
                write_first_record(project, self.plan, tag)
            with self.step("Committing the project to a new git repository"):
                git("init", "-q", "-b", "main", cwd=project)
                commit_all(project, f"Generate {self.answers.project_name} from asyncgen templates {tag}")
            if self.destination.is_dir():
                self.destination.rmdir()  # empty, checked above
            os.replace(project, self.destination)
        except BaseException:
            for parent in created_parents:
                shutil.rmtree(parent, ignore_errors=True)
            raise
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        return self.destination

    def own_files(self) -> list[str]:
        """Files asyncgen writes into the project itself after copier renders it.

        Relative to the project; `preview` lists them, `run` must write exactly these.
        """
        return [] if self.plan is None else [FIRST_RECORD.as_posix()]

    def preview(self) -> list[str]:
        """Every file `run` would write, relative to the project and sorted; writes nothing.

        Reads the release's template folder in place: the template store is not touched.
        """
        from copier.errors import CopierError

        from asyncgen._preview import rendered_files

        check_destination(self.destination)
        source = (self.release or Release.packaged()).source
        try:
            rendered = rendered_files(source, self.answers.model_dump(), self.destination)
        except (CopierError, ValueError) as exc:
            raise AsyncgenError(f"rendering failed: {exc}") from None
        return sorted({*rendered, *self.own_files()})

    def _render(self, project: Path, tag: str) -> None:
        from copier import run_copy
        from copier.errors import CopierAnswersInterrupt, CopierError

        try:
            run_copy(
                self.store.src_path,
                project,
                data=self.answers.model_dump(),
                vcs_ref=tag,
                defaults=True,
                quiet=True,
                unsafe=False,
                cleanup_on_error=True,
            )
        except (KeyboardInterrupt, CopierAnswersInterrupt):
            raise Interrupted() from None
        except (CopierError, ValueError) as exc:
            raise AsyncgenError(f"rendering failed: {exc}") from None


def _missing_parents(path: Path) -> list[Path]:
    """The outermost ancestor of `path` that does not exist yet (to remove on failure)."""
    missing = [parent for parent in path.parents if not parent.exists()]
    return missing[-1:]
