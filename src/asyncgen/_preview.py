"""The files copier would render, found without writing anything anywhere.

copier has no public way to list a render's files: `run_copy(..., pretend=True)` only
prints them (coloured, on stderr), and before that it probes a plain template folder by
running `git init` in a temporary directory. So this drives copier's `Worker` (internal in
copier 9, pinned below 10 in pyproject.toml) over the template folder in place:

- the template is a plain folder, never a git repository: no clone, no probe, no temp dir;
- `_render_allowed`, the one place copier decides about each destination path, records the
  path and says no, so even the file contents copier renders in memory are never written;
- `pretend=True` on top, so folders are not created either.

tests/test_generate.py checks that the list equals what a real generation writes.
"""

from __future__ import annotations

from dataclasses import field
from functools import cached_property
from pathlib import Path
from typing import Any

from copier._main import Worker
from copier._template import Template
from pydantic import ConfigDict
from pydantic.dataclasses import dataclass


class _Folder(Template):
    """A template read in place as a plain folder."""

    vcs = None


@dataclass(config=ConfigDict(extra="forbid"))
class _Preview(Worker):
    planned: list[str] = field(default_factory=list)

    @cached_property
    def template(self) -> Template:
        return _Folder(url=str(self.src_path))

    def _render_allowed(self, dst_relpath: Path, *args: Any, **kwargs: Any) -> bool:
        if not kwargs.get("is_dir"):
            self.planned.append(dst_relpath.as_posix())
        return False


def rendered_files(source: Path, data: dict[str, Any], destination: Path) -> list[str]:
    """The files copier would write for `data`, relative to the project, sorted."""
    preview = _Preview(
        src_path=str(source),
        dst_path=destination,
        data=data,
        defaults=True,
        quiet=True,
        pretend=True,
        unsafe=False,
        cleanup_on_error=False,
    )
    with preview:
        preview.run_copy()
    return sorted(preview.planned)
