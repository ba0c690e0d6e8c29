"""The test helpers themselves, where a mistake would leave processes behind."""

import os
import sys
import time
from pathlib import Path

from .helpers import Service

# A stand-in for a server that starts worker processes (Sanic, granian): it answers
# /health/live and has a child that would outlive it.
FAKE_SERVER = """
import http.server, os, subprocess, sys
child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
with open("child.pid", "w") as file:
    file.write(str(child.pid))

class Live(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200)
        self.end_headers()

http.server.HTTPServer(("127.0.0.1", int(os.environ["PORT"])), Live).serve_forever()
"""


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"  # a zombie has exited, whoever reaps it


def test_kill_ends_the_processes_the_service_started(tmp_path: Path) -> None:
    (tmp_path / ".venv" / "bin").mkdir(parents=True)
    (tmp_path / ".venv" / "bin" / "python").symlink_to(sys.executable)
    (tmp_path / "fake_server").mkdir()
    (tmp_path / "fake_server" / "__main__.py").write_text(FAKE_SERVER)
    with Service(tmp_path, "fake_server"):
        child = int((tmp_path / "child.pid").read_text())
        assert alive(child)
    deadline = time.monotonic() + 5
    while alive(child):
        if time.monotonic() > deadline:
            os.kill(child, 9)
            raise AssertionError("the server's child outlived Service.kill()")
        time.sleep(0.05)
