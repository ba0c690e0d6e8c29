"""What the command line gives a person at a shell: --version, completion, status lines for slow steps."""

from __future__ import annotations

import fcntl
import os
import re
import shutil
import struct
import subprocess
import sys
import termios
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

import pytest
import shellingham

from asyncgen import __version__
from asyncgen.answers import TemplateAnswers
from asyncgen.generate import Generation
from asyncgen.update import change_answers

from cli_helpers import run_cli

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
NEW = ["new", "svc", "--yes", "--database", "sqlite"]
STEPS_OF_NEW = [
    "Preparing the template store",
    f"Rendering svc from templates v{__version__}",
    "Committing the project to a new git repository",
]


def installed_asyncgen() -> str:
    """The console script of the asyncgen that runs these tests."""
    script = shutil.which("asyncgen", path=str(Path(sys.executable).parent))
    assert script, "asyncgen is not installed in this environment: pip install -e '.[test]'"
    return script


class Recorder:
    """A progress step that remembers what it was told, in order, with nesting checked."""

    def __init__(self) -> None:
        self.steps: list[str] = []
        self.open = 0

    def __call__(self, what: str) -> AbstractContextManager[object]:
        @contextmanager
        def span() -> Iterator[None]:
            assert self.open == 0, f"{what!r} started inside another step"
            self.steps.append(what)
            self.open += 1
            try:
                yield
            finally:
                self.open -= 1

        return span()


def test_version_prints_only_the_version(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    outcome = run_cli(["--version"], tmp_path, capsys)
    assert (outcome.code, outcome.out, outcome.err) == (0, f"{__version__}\n", "")


def test_help_and_version_import_none_of_the_heavy_libraries(tmp_path: Path) -> None:
    # What keeps `asyncgen --help` well under 0.3 s: its wall time is too noisy to assert here.
    check = (
        "import sys\n"
        "from asyncgen.cli import main\n"
        "for args in (['--help'], ['--version']):\n"
        "    sys.argv = ['asyncgen', *args]\n"
        "    try:\n"
        "        main()\n"
        "    except SystemExit as exc:\n"
        "        assert exc.code == 0, exc.code\n"
        "heavy = {'copier', 'questionary', 'prompt_toolkit', 'pydantic', 'rich', 'jinja2', 'yaml'}\n"
        "print(sorted(heavy & {name.split('.')[0] for name in sys.modules}), file=sys.stderr)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", check], cwd=tmp_path, capture_output=True, text=True, check=True
    )
    assert done.stderr == "[]\n"


@pytest.mark.parametrize(
    ("shell", "script", "script_says", "rc", "rc_says"),
    [
        (
            "bash",
            ".bash_completions/asyncgen.sh",
            "_ASYNCGEN_COMPLETE=complete_bash",
            ".bashrc",
            "source '{home}/.bash_completions/asyncgen.sh'",
        ),
        ("zsh", ".zfunc/_asyncgen", "#compdef asyncgen", ".zshrc", "fpath+=~/.zfunc"),
    ],
)
def test_install_completion_writes_the_script_and_the_rc_line(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    shell: str,
    script: str,
    script_says: str,
    rc: str,
    rc_says: str,
) -> None:
    home = tmp_path / "home"
    monkeypatch.setenv("HOME", str(home))
    # typer installs for the shell it detects (through shellingham): be run from `shell`.
    monkeypatch.setattr(shellingham, "detect_shell", lambda: (shell, f"/bin/{shell}"))
    outcome = run_cli(["--install-completion"], tmp_path, capsys)
    assert outcome.code == 0, outcome.out + outcome.err
    assert f"{shell} completion installed in {home / script}" in outcome.out
    installed = (home / script).read_text()
    assert script_says in installed
    assert "asyncgen" in installed
    assert rc_says.format(home=home) in (home / rc).read_text()


def test_bash_completion_completes_commands_in_a_real_bash(tmp_path: Path) -> None:
    home = tmp_path / "home"
    asyncgen = installed_asyncgen()
    env = os.environ | {"HOME": str(home), "PATH": f"{Path(asyncgen).parent}{os.pathsep}{os.environ['PATH']}"}
    # `; exit` keeps bash from exec'ing asyncgen, so bash stays its parent, the shell typer detects.
    installed = subprocess.run(
        ["bash", "-c", "asyncgen --install-completion; exit $?"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
    )
    assert installed.returncode == 0, installed.stdout + installed.stderr
    assert "bash completion installed" in installed.stdout
    completing = subprocess.run(
        [
            "bash",
            "-c",
            'source "$HOME/.bash_completions/asyncgen.sh"; '
            "COMP_WORDS=(asyncgen re); COMP_CWORD=1; _asyncgen_completion asyncgen; "
            'echo "${COMPREPLY[@]}"',
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
    )
    assert completing.returncode == 0, completing.stderr
    assert completing.stdout.split() == ["recommend"]


def test_generation_names_each_slow_step(tmp_path: Path) -> None:
    recorder = Recorder()
    answers = TemplateAnswers(project_name="svc", framework="fastapi", database="sqlite")
    Generation(answers, tmp_path / "svc", step=recorder).run()
    assert recorder.steps == STEPS_OF_NEW


@pytest.mark.slow
def test_changing_answers_names_each_slow_step(tmp_path: Path) -> None:
    answers = TemplateAnswers(project_name="svc", framework="fastapi", database="sqlite")
    project = Generation(answers, tmp_path / "svc").run()
    recorder = Recorder()
    change_answers(project, ["cache=none"], step=recorder)
    assert recorder.steps == ["Preparing the template store", f"Re-rendering {project} with copier"]


def test_piped_output_has_no_status_lines(tmp_path: Path) -> None:
    # Even where FORCE_COLOR makes rich treat the pipe as a terminal.
    env = os.environ | {"FORCE_COLOR": "1"}
    done = subprocess.run([installed_asyncgen(), *NEW], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    for step in STEPS_OF_NEW:
        assert step not in done.stdout + done.stderr
    assert "Created svc" in done.stdout


def test_a_terminal_shows_each_step_as_a_status_line(tmp_path: Path) -> None:
    controller, terminal = os.openpty()
    fcntl.ioctl(terminal, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 120, 0, 0))
    env = {k: v for k, v in os.environ.items() if k not in {"NO_COLOR", "FORCE_COLOR", "TTY_INTERACTIVE"}}
    try:
        running = subprocess.Popen(
            [installed_asyncgen(), *NEW],
            cwd=tmp_path,
            env=env | {"TERM": "xterm-256color"},
            stdin=terminal,
            stdout=terminal,
            stderr=terminal,
        )
    finally:
        os.close(terminal)
    screen = b""
    try:
        while chunk := os.read(controller, 65536):
            screen += chunk
    except OSError:  # EIO: the terminal's last writer has gone
        pass
    finally:
        os.close(controller)
    assert running.wait(timeout=60) == 0, screen.decode(errors="replace")
    shown = ANSI.sub("", screen.decode(errors="replace"))
    for step in STEPS_OF_NEW:
        assert f"{step}..." in shown, shown
    assert "Created svc" in shown
