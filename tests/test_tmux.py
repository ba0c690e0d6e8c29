"""The real `asyncgen new` in a real terminal (tmux), driven by keystrokes."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from services import require_tool

pytestmark = pytest.mark.slow


@pytest.fixture(autouse=True)
def _tmux_installed() -> None:
    require_tool("tmux")


class Terminal:
    def __init__(self, socket: str) -> None:
        self.socket = socket

    def tmux(self, *args: str) -> str:
        return subprocess.run(
            ["tmux", "-L", self.socket, *args], capture_output=True, text=True, check=True
        ).stdout

    def start(self, command: str, cwd: Path) -> None:
        self.tmux("new-session", "-d", "-x", "120", "-y", "50", "-c", str(cwd), command)

    def screen(self) -> str:
        return self.tmux("capture-pane", "-p", "-S", "-200")

    def wait_for(self, text: str, timeout: float = 15.0) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            screen = self.screen()
            if text in screen:
                return screen
            time.sleep(0.1)
        raise AssertionError(f"{text!r} never appeared; screen:\n{self.screen()}")

    def keys(self, *keys: str) -> None:
        self.tmux("send-keys", *keys)


@pytest.fixture
def terminal() -> Iterator[Terminal]:
    term = Terminal(f"asyncgen-test-{uuid.uuid4().hex[:8]}")
    yield term
    subprocess.run(["tmux", "-L", term.socket, "kill-server"], capture_output=True, check=False)


def command(args: str, rc_file: Path) -> str:
    home = shlex.quote(os.environ["ASYNCGEN_HOME"])
    run = f"ASYNCGEN_HOME={home} {shlex.quote(sys.executable)} -m asyncgen {args}"
    # Keep the pane open after the command ends, so its last screen can be read.
    return f"sh -c '{run}; echo $? > {rc_file}; sleep 30'"


def wait_rc(rc_file: Path, timeout: float = 30.0) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if rc_file.is_file() and rc_file.read_text().strip():
            return int(rc_file.read_text())
        time.sleep(0.1)
    raise AssertionError("the command never finished")


def test_questionnaire_in_a_real_terminal(terminal: Terminal, tmp_path: Path) -> None:
    rc_file = tmp_path / "rc"
    terminal.start(command("new tmux-svc", rc_file), tmp_path)
    terminal.wait_for("What are you building?")
    terminal.keys("Enter")
    terminal.wait_for("What matters most?")
    terminal.keys("Enter")
    terminal.wait_for("What does the team know best?")
    terminal.keys("Down", "Down", "Down", "Enter")  # .NET
    for prompt in (
        "How experienced is the team?",
        "Will you hire for this service",
        "automatic API docs",
        "real-time updates",
        "migrating an existing Flask",
        "DI, plugins",
        "fine-grained control",
        "every aspect of its connections",
    ):
        terminal.wait_for(prompt)
        terminal.keys("Enter")
    screen = terminal.wait_for("Which framework?")
    assert "Recommended frameworks, best first" in screen
    assert re.search(r"│ 1 │ blacksheep", screen), screen
    terminal.keys("Enter")
    terminal.wait_for("Database?")
    terminal.keys("Down", "Down", "Enter")  # sqlite
    for prompt in ("Cache?", "Message broker?", "Background task worker?", "Authentication on writes?"):
        terminal.wait_for(prompt)
        terminal.keys("Enter")
    assert wait_rc(rc_file) == 0, terminal.screen()
    assert "Created tmux-svc" in terminal.screen()
    answers = (tmp_path / "tmux-svc" / ".copier-answers.yml").read_text()
    assert "database: sqlite" in answers and "framework: blacksheep" in answers


def test_ctrl_c_writes_nothing(terminal: Terminal, tmp_path: Path) -> None:
    rc_file = tmp_path / "rc"
    terminal.start(command("new tmux-svc", rc_file), tmp_path)
    terminal.wait_for("What are you building?")
    terminal.keys("Enter")
    terminal.wait_for("What matters most?")
    terminal.keys("C-c")
    assert wait_rc(rc_file) == 130
    assert "interrupted: nothing was written" in terminal.screen()
    assert sorted(path.name for path in tmp_path.iterdir()) == ["rc"]
