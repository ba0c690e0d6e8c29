from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from asyncgen import __version__
from asyncgen.store import Release, TemplateStore, packaged_templates

TAG = f"v{__version__}"


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, check=True).stdout.strip()


def test_ready_tags_this_version_once(tmp_path: Path) -> None:
    store = TemplateStore(str(tmp_path / "home"))
    assert store.ready() == TAG
    first = git(store.path, "rev-parse", TAG)
    assert store.ready() == TAG
    assert git(store.path, "rev-parse", TAG) == first
    assert git(store.path, "tag", "--sort=version:refname").splitlines()[-1] == TAG
    assert git(store.path, "status", "--porcelain") == ""


def test_tag_holds_the_packaged_templates(tmp_path: Path) -> None:
    store = TemplateStore(str(tmp_path / "home"))
    store.ready()
    files = set(git(store.path, "ls-tree", "-r", "--name-only", TAG).splitlines())
    assert "copier.yml" in files
    assert any(name.startswith("fastapi/") for name in files)
    assert not any("__pycache__" in name for name in files)


def test_edited_templates_under_the_same_version_move_the_tag(tmp_path: Path) -> None:
    source = tmp_path / "templates"
    shutil.copytree(packaged_templates(), source)
    store = TemplateStore(str(tmp_path / "home"))
    store.ready(Release(source, "0.1.0"))
    before = git(store.path, "rev-parse", "v0.1.0^{tree}")
    (source / "copier.yml").write_text((source / "copier.yml").read_text() + "\n# edited\n")
    store.ready(Release(source, "0.1.0"))
    assert git(store.path, "rev-parse", "v0.1.0^{tree}") != before


def test_src_path_keeps_the_tilde() -> None:
    assert TemplateStore().src_path == "~/.asyncgen/templates"
    assert TemplateStore().path == Path.home() / ".asyncgen" / "templates"


def test_concurrent_runs_share_one_store(tmp_path: Path) -> None:
    import subprocess
    import sys

    home = tmp_path / "home"
    code = f"from asyncgen.store import TemplateStore; print(TemplateStore({str(home)!r}).ready())"
    runs = [
        subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True) for _ in range(4)
    ]
    outputs = [run.communicate()[0].strip() for run in runs]
    assert [run.returncode for run in runs] == [0, 0, 0, 0]
    assert outputs == [TAG] * 4
    store = TemplateStore(str(home))
    assert git(store.path, "tag", "--sort=version:refname").splitlines()[-1] == TAG
    assert git(store.path, "status", "--porcelain") == ""
