"""The template store: a local git repository holding one tag per asyncgen version.

copier records the store's path as `_src_path` and the tag as `_commit`, so a plain
`copier update` in a generated project finds every template version offline. The store
lives in the user's home (`~/.asyncgen/templates`, recorded with the `~` so it resolves for
whoever runs the update) and is made ready, from the templates packaged with this asyncgen
version, by every command that generates or updates a project (`new`, `update`, `add`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from asyncgen import __version__
from asyncgen._git import git
from asyncgen.errors import AsyncgenError, StoreError

HOME_ENV = "ASYNCGEN_HOME"
DEFAULT_HOME = "~/.asyncgen"
_IGNORED = "__pycache__/\n*.py[co]\n"
LOCK_TIMEOUT = 60.0  # seconds to wait for another run to finish with the store


def packaged_templates() -> Path:
    """The templates of this asyncgen: inside the wheel, or beside `src/` in a checkout."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "templates", here.parents[1] / "templates"):
        if (candidate / "copier.yml").is_file():
            return candidate
    raise AsyncgenError(
        f"this asyncgen installation is broken: its templates are missing ({here / 'templates'} "
        "has no copier.yml); reinstall it, e.g. `pip install --force-reinstall asyncgen`"
    )


def packaged_history() -> Path:
    """Every earlier release's templates, one tag each, shipped as a git bundle."""
    return Path(__file__).resolve().parent / "history.bundle"


@dataclass(frozen=True)
class Release:
    """A version of the templates: where its files are and the version they belong to."""

    source: Path
    version: str

    @classmethod
    def packaged(cls) -> Release:
        return cls(packaged_templates(), __version__)

    @property
    def tag(self) -> str:
        return f"v{self.version}"


@dataclass(frozen=True)
class TemplateStore:
    home: str = DEFAULT_HOME

    @classmethod
    def from_environment(cls) -> TemplateStore:
        return cls(os.environ.get(HOME_ENV) or DEFAULT_HOME)

    @property
    def src_path(self) -> str:
        """The path copier records: keeps a leading `~` so it is valid for every user."""
        return f"{self.home.rstrip('/')}/templates"

    @property
    def path(self) -> Path:
        return Path(self.src_path).expanduser()

    @property
    def lock_path(self) -> Path:
        return self.path.parent / "templates.lock"

    def ready(self, release: Release | None = None) -> str:
        """Make sure the store holds the release (default: this asyncgen's); return its tag.

        Every way this can fail is a StoreError naming the path, with nothing written.
        """
        from filelock import FileLock, Timeout

        release = release or Release.packaged()
        self._check_room()
        self._make_folder(self.path.parent)
        try:
            with FileLock(str(self.lock_path), timeout=LOCK_TIMEOUT):
                self._make_folder(self.path)
                self._init()
                self._fetch_history(packaged_history())
                return self._tag(release.source, release.tag)
        except Timeout:
            raise StoreError(
                f"the template store is busy: waited {LOCK_TIMEOUT:g} s for {self.lock_path}, "
                "which another asyncgen run holds; let it finish, then run this again"
            ) from None
        except OSError as exc:
            raise self._unwritable(exc) from None

    def _check_room(self) -> None:
        """Refuse, before writing anything, a store path that a file stands in the way of."""
        existing = next(path for path in (self.path, *self.path.parents) if path.exists())
        if existing.is_dir():
            return
        if existing == self.path:
            raise StoreError(
                f"the template store {self.path} exists and is not a folder: "
                f"move it away, or set {HOME_ENV} to another folder"
            )
        raise StoreError(
            f"cannot create the template store {self.path}: {existing} is not a folder; "
            f"set {HOME_ENV} to a folder you can write"
        )

    def _make_folder(self, folder: Path) -> None:
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise self._unwritable(exc) from None

    def _unwritable(self, exc: OSError) -> StoreError:
        where = f" ({exc.filename})" if exc.filename and Path(exc.filename) != self.path else ""
        return StoreError(
            f"cannot write the template store {self.path}{where}: {exc.strerror or exc}; "
            f"set {HOME_ENV} to a folder you can write"
        )

    def has(self, ref: str) -> bool:
        """Whether the store holds this template version (as copier records it: v0.1.0)."""
        return bool(git("rev-parse", "-q", "--verify", f"{ref}^{{commit}}", cwd=self.path, check=False))

    def _init(self) -> None:
        if (self.path / ".git").is_dir():
            return
        git("init", "-q", cwd=self.path)
        (self.path / ".git" / "info" / "exclude").write_text(_IGNORED, encoding="utf-8")

    def _fetch_history(self, bundle: Path) -> None:
        """Bring in the shipped releases, so projects made by any earlier version can update."""
        if not bundle.is_file():
            return
        marker = self.path / ".git" / "asyncgen-history"
        stamp = f"{bundle.stat().st_size}:{bundle.stat().st_mtime_ns}"
        if marker.is_file() and marker.read_text() == stamp:
            return
        # Released history wins over a tag a development checkout may have moved.
        git("fetch", "-q", str(bundle), "+refs/tags/*:refs/tags/*", cwd=self.path)
        marker.write_text(stamp)

    def export_history(self, bundle: Path) -> None:
        """Write every tag of the store to a bundle (the release script ships it)."""
        git("bundle", "create", "-q", str(bundle), "--tags", cwd=self.path)

    def _tag(self, source: Path, tag: str) -> str:
        tree = self._tree_of(source)
        current = git("rev-parse", "-q", "--verify", f"refs/tags/{tag}^{{tree}}", cwd=self.path, check=False)
        if current == tree:
            return tag
        # A release's tag never changes; only a development checkout edits templates under an
        # unchanged version, and then the newest edit wins.
        commit = git(
            "-c",
            "user.name=asyncgen",
            "-c",
            "user.email=asyncgen@localhost",
            "commit-tree",
            tree,
            "-m",
            f"asyncgen {tag}",
            cwd=self.path,
        )
        git("tag", "-f", tag, commit, cwd=self.path)
        return tag

    def _tree_of(self, source: Path) -> str:
        """Hash `source` as a git tree, through an index of our own so the store stays clean."""
        git_dir = self.path / ".git"
        env = {"GIT_INDEX_FILE": str(git_dir / "asyncgen-index"), "GIT_WORK_TREE": str(source)}
        git("--git-dir", str(git_dir), "add", "-A", ".", cwd=source, env=env)
        return git("--git-dir", str(git_dir), "write-tree", cwd=source, env=env)
