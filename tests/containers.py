"""A Docker engine for the tests, and the stand-in base images it builds for itself.

This machine reaches the package registries but no image registry, so the images a generated
Dockerfile or compose file names (`python:3.13-slim`, the uv image, ...) are built here from
Debian's packages and tagged with those names. Each is built once per engine: the tags stay,
and a lock keeps pytest-xdist workers from building the same one twice.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import SimpleNamespace

import pytest
from jinja2 import Environment, FileSystemLoader

from services import IN_CI

# The engine's own client. A newer `docker` first on PATH may lack buildx, and then refuses
# DOCKER_BUILDKIT=1; this one uses the engine's built-in BuildKit (cache mounts, COPY --from).
DOCKER = "/usr/bin/docker" if Path("/usr/bin/docker").exists() else (shutil.which("docker") or "docker")
DEBIAN_MIRROR = "http://deb.debian.org/debian"
CA_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")
TEMPLATES = Path(__file__).resolve().parents[1] / "templates"
LOCK = Path(tempfile.gettempdir()) / "asyncgen-stand-in-images.lock"


def docker_env() -> dict[str, str]:
    """The environment for `docker` and `docker-compose` commands: BuildKit, this client first."""
    path = f"{Path(DOCKER).parent}:{os.environ.get('PATH', '')}"
    return {**os.environ, "DOCKER_BUILDKIT": "1", "COMPOSE_DOCKER_CLI_BUILD": "1", "PATH": path}


def docker(*args: str, timeout: float = 600, check: bool = True) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [DOCKER, *args], env=docker_env(), capture_output=True, text=True, timeout=timeout, check=False
    )
    if check:
        assert result.returncode == 0, f"docker {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"
    return result


def require_engine() -> None:
    """Skip without a running Docker engine, except under CI=true (`.ci/run` starts one)."""
    try:
        reachable = docker("info", timeout=30, check=False).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        reachable = False
    if reachable:
        return
    message = "no Docker engine answers (`.ci/run` installs docker.io and starts dockerd)"
    if IN_CI:
        pytest.fail(f"{message} (CI=true: this test must run)")
    pytest.skip(message)


def has_image(tag: str) -> bool:
    return docker("image", "inspect", tag, check=False).returncode == 0


@contextmanager
def _build_lock(tag: str = "") -> Iterator[None]:
    """One build of an image at a time; builds of different images (`tag`) may run at once."""
    path = LOCK.with_name(f"{LOCK.stem}-{tag.replace('/', '_').replace(':', '_')}.lock") if tag else LOCK
    with path.open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def debian_root(suite: str, packages: list[str], dest: Path) -> Path:
    """A minimal Debian root with `packages`, and the host's CA bundle so it reaches registries."""
    include = [f"--include={','.join(packages)}"] if packages else []
    command = ["debootstrap", "--variant=minbase", *include, suite, str(dest), DEBIAN_MIRROR]
    subprocess.run(command, capture_output=True, text=True, timeout=900, check=True)
    bundle = dest / CA_BUNDLE.relative_to("/")
    bundle.parent.mkdir(parents=True, exist_ok=True)  # a root without ca-certificates has no folder
    shutil.copy(CA_BUNDLE, bundle)
    return dest


def import_root(root: Path, tag: str, *changes: str) -> None:
    """`docker import` a root folder as image `tag`, with Dockerfile-style `changes`."""
    flags = [arg for change in changes for arg in ("--change", change)]
    tar = subprocess.Popen(["tar", "-C", str(root), "-c", "."], stdout=subprocess.PIPE)
    with tar:  # closes our end of the pipe: a tar still writing after a failed import ends
        command = [DOCKER, "import", *flags, "-", tag]
        result = subprocess.run(command, stdin=tar.stdout, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            tar.kill()
    assert result.returncode == 0, f"docker import {tag} failed:\n{result.stderr}"


def base_images() -> None:
    """The images a generated Dockerfile starts from, at the versions `_versions.jinja` pins."""
    pinned = versions()
    python_image(f"python:{pinned.python}-slim")
    uv_image(f"ghcr.io/astral-sh/uv:{pinned.uv}")


def uv_image(tag: str) -> str:
    """Stand-in for astral-sh's distroless uv image: the uv binary asyncgen installs, at /uv."""
    from uv import find_uv_bin

    uv = find_uv_bin()
    with _build_lock():
        if has_image(tag):
            return tag
        with tempfile.TemporaryDirectory(prefix="stand-in-") as tmp:
            shutil.copy(uv, Path(tmp) / "uv")
            (Path(tmp) / "Dockerfile").write_text("FROM scratch\nCOPY uv /uv\n")
            docker("build", "-t", tag, tmp)
    return tag


def versions() -> SimpleNamespace:
    """What `templates/_versions.jinja` sets: `.python`, `.python_lowest`, `.uv`, `.postgres`, ..."""
    module = Environment(loader=FileSystemLoader(TEMPLATES)).get_template("_versions.jinja").module
    names = [name for name in dir(module) if not name.startswith("_")]
    return SimpleNamespace(**{name: getattr(module, name) for name in names})


def debian_image(tag: str, suite: str = "trixie") -> str:
    """Stand-in for the official Debian slim image: a minimal root of `suite`."""
    with _build_lock(tag):
        if not has_image(tag):
            with tempfile.TemporaryDirectory(prefix="stand-in-") as tmp:
                root = debian_root(suite, [], Path(tmp) / "root")
                for deb in (root / "var/cache/apt/archives").glob("*.deb"):
                    deb.unlink()  # as in the official image, which keeps no downloaded packages
                path = "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
                import_root(root, tag, path, 'CMD ["bash"]')
    return tag


# The Python image and the service images compose.yaml names, built as the official ones
# are (their Dockerfiles start from debian:trixie-slim), from Debian trixie's packages:
# one Debian root under all of them. Each honours what compose.yaml relies on from the
# official image (its environment variables, health-check command, data volume, every
# interface, exit 0 on its stop signal), and its entrypoint says which official behaviour
# it stands in for. The versions are Debian's, not the tags': Python 3.13, PostgreSQL 17,
# Redis 8.0, RabbitMQ 4.0 on Erlang 27.
STAND_INS = Path(__file__).resolve().parent / "stand-ins"


def _service_image(service: str, tag: str) -> str:
    debian_image("debian:trixie-slim")
    with _build_lock(tag):
        if not has_image(tag):
            docker("build", "-t", tag, str(STAND_INS / service), timeout=900)
    return tag


def python_image(tag: str) -> str:
    """Stand-in for the official slim Python image: Debian's Python on Debian slim."""
    return _service_image("python", tag)


def postgres_image(tag: str) -> str:
    return _service_image("postgres", tag)


def redis_image(tag: str) -> str:
    return _service_image("redis", tag)


def rabbitmq_image(tag: str) -> str:
    return _service_image("rabbitmq", tag)
