from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import yaml

from asyncgen import __version__
from asyncgen.answers import TemplateAnswers
from asyncgen.errors import AsyncgenError, Interrupted, UsageError
from asyncgen.generate import Generation
from asyncgen.store import TemplateStore

from cli_helpers import run_cli, snapshot

ANSWERS = TemplateAnswers(project_name="demo-svc", framework="fastapi", database="sqlite")


def git_lines(repo: Path, *args: str) -> list[str]:
    out = subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, check=True).stdout
    return out.splitlines()


def test_project_is_a_git_repo_with_one_clean_commit(tmp_path: Path) -> None:
    project = Generation(ANSWERS, tmp_path / "demo-svc").run()
    assert git_lines(project, "rev-list", "--count", "HEAD") == ["1"]
    assert git_lines(project, "status", "--porcelain") == []
    recorded = yaml.safe_load((project / ".copier-answers.yml").read_text())
    assert recorded["_commit"] == f"v{__version__}"
    assert recorded["_src_path"] == TemplateStore.from_environment().src_path
    assert {key: recorded[key] for key in ANSWERS.model_dump()} == ANSWERS.model_dump()
    assert list(tmp_path.iterdir()) == [project], "no staging folder may be left behind"


def test_default_store_is_recorded_home_relative(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ASYNCGEN_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    project = Generation(ANSWERS, tmp_path / "out" / "demo-svc").run()
    recorded = yaml.safe_load((project / ".copier-answers.yml").read_text())
    assert recorded["_src_path"] == "~/.asyncgen/templates"
    assert (tmp_path / "home" / ".asyncgen" / "templates" / ".git").is_dir()
    assert "site-packages" not in recorded["_src_path"] and "/tmp" not in recorded["_src_path"]


def test_plain_copier_update_works_on_a_fresh_project(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ASYNCGEN_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    project = Generation(ANSWERS, tmp_path / "demo-svc").run()
    done = subprocess.run(
        ["copier", "update", "--defaults"], cwd=project, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    assert git_lines(project, "status", "--porcelain") == []


def test_empty_destination_is_used(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    project = Generation(ANSWERS, tmp_path / "empty").run()
    assert (project / ".copier-answers.yml").is_file()


def test_non_empty_destination_is_refused_untouched(tmp_path: Path) -> None:
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "keep.txt").write_text("mine")
    before = snapshot(tmp_path)
    with pytest.raises(UsageError, match="exists and is not empty"):
        Generation(ANSWERS, tmp_path / "busy").run()
    assert snapshot(tmp_path) == before


@pytest.mark.parametrize("failure", [KeyboardInterrupt, ValueError("boom")])
def test_failure_half_way_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, failure: BaseException
) -> None:
    import copier

    def half_render(src: str, dst: Path, **kwargs: object) -> None:
        Path(dst).mkdir(parents=True)
        (Path(dst) / "half.txt").write_text("half")
        raise failure

    monkeypatch.setattr(copier, "run_copy", half_render)
    root = tmp_path / "root"
    root.mkdir()
    before = snapshot(root)
    expected = Interrupted if failure is KeyboardInterrupt else AsyncgenError
    with pytest.raises(expected):
        Generation(ANSWERS, root / "nested" / "deeper" / "demo-svc").run()
    assert snapshot(root) == before


def test_ctrl_c_during_git_leaves_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import asyncgen.generate as generate

    def interrupted_commit(repo: Path, message: str) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(generate, "commit_all", interrupted_commit)
    with pytest.raises(KeyboardInterrupt):
        Generation(ANSWERS, tmp_path / "demo-svc").run()
    assert list(tmp_path.iterdir()) == []


def test_new_commits_the_decision_record_with_the_project(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "answers.yml").write_text("needs_di_plugins: true\ndatabase: none\ncache: none\n")
    outcome = run_cli(["new", "svc", "-y", "--answers", "answers.yml"], tmp_path, capsys)
    assert outcome.code == 0, outcome.err
    project = tmp_path / "svc"
    assert "docs/adr/0001-framework-and-stack.md" in git_lines(
        project, "show", "--name-only", "--format=", "HEAD"
    )
    assert git_lines(project, "status", "--porcelain") == []
    record = (project / "docs" / "adr" / "0001-framework-and-stack.md").read_text()
    assert record.startswith("# 1. Use Litestar with RabbitMQ and taskiq\n")
    assert "(`needs_di_plugins`) | Yes: structure matters | the team |" in record
    assert "| 1 | Litestar | 8 |" in record
    assert "| cache | `none` | nothing | the team |" in record
    assert "- `cache=none`: every read goes to the in-process item store" in record
    assert f"templates v{__version__}" in record
    assert "postgresql" not in record.lower()


def test_a_generation_without_a_plan_writes_no_record(tmp_path: Path) -> None:
    project = Generation(ANSWERS, tmp_path / "demo-svc").run()
    assert not (project / "docs").exists()


@pytest.mark.parametrize(
    "answers",
    [
        ANSWERS,
        TemplateAnswers(
            project_name="bare",
            framework="fastapi",
            database="none",
            cache="none",
            broker="none",
            tasks="none",
        ),
    ],
)
def test_preview_lists_exactly_the_files_run_writes(
    tmp_path: Path, asyncgen_home: Path, answers: TemplateAnswers
) -> None:
    from asyncgen.questionnaire import Questionnaire

    plan = Questionnaire(prompter=None).run(
        answers.project_name, answers.model_dump(exclude={"project_name"})
    )
    generation = Generation(plan.answers, tmp_path / "project", plan=plan)
    preview = generation.preview()
    assert "docs/adr/0001-framework-and-stack.md" in preview
    assert list(asyncgen_home.iterdir()) == [] and list(tmp_path.iterdir()) == []
    project = generation.run()
    written = sorted(
        path.relative_to(project).as_posix()
        for path in project.rglob("*")
        if path.is_file() and ".git" not in path.relative_to(project).parts
    )
    assert preview == written
    assert set(generation.own_files()) <= set(preview)
