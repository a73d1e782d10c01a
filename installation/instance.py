"""One running copy per show, and per port: a second `run.py play` or `gallery` of a running
show stops at once with "already running (pid N)" instead of opening a second window on top.

Each claim is an advisory lock (flock) on a small file in the user's runtime folder holding the
owner's pid. The kernel drops the lock when the process ends, however it ends, so a crash
never leaves a stale claim behind. Ports are claimed too: two shows that listen on the same
port would take each other's messages.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from installation.errors import UserError
from installation.show.sections import Show


def lock_directory() -> Path:
    """$XDG_RUNTIME_DIR/installation (a per-user tmpfs under systemd), else a per-user temp folder."""
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    if runtime and os.path.isdir(runtime):
        return Path(runtime) / "installation"
    return Path(tempfile.gettempdir()) / f"installation-{os.getuid()}"


def claims(show: Show, *, gallery: bool = False, controls: bool = True) -> list[tuple[str, str]]:
    """(lock key, what it stands for) for everything `show` holds while it runs: the show file
    and each fixed port it listens on (the health page only under `run.py gallery`; the OSC
    ports only with its `controls`, which a sync follower runs without)."""
    found = [(f"show {Path(show.path).resolve()}", "")]
    if controls and show.osc.enabled and show.osc.port:
        found.append((f"udp {show.osc.port}", f"OSC port {show.osc.port}"))
        if show.osc.query_port > 0:
            found.append((f"tcp {show.osc.query_port}", f"OSCQuery port {show.osc.query_port}"))
    if gallery and show.health.enabled and show.health.port:
        found.append((f"tcp {show.health.port}", f"health port {show.health.port}"))
    return found


def _claim(directory: Path, key: str, what: str) -> int:
    name = hashlib.sha1(key.encode()).hexdigest()[:16] + ".lock"
    fd = os.open(directory / name, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        owner = os.pread(fd, 32, 0).decode(errors="replace").strip() or "?"
        os.close(fd)
        held = f"{what} is taken: another show is" if what else "this show is"
        raise UserError(f"{held} already running (pid {owner}); stop it first") from None
    os.ftruncate(fd, 0)
    os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
    return fd


@contextlib.contextmanager
def single_instance(show: Show, *, gallery: bool = False, controls: bool = True) -> Iterator[None]:
    """Hold `claims(show)` for the duration, or raise UserError naming the process holding one."""
    directory = lock_directory()
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    held: list[int] = []
    try:
        for key, what in claims(show, gallery=gallery, controls=controls):
            held.append(_claim(directory, key, what))
        yield
    finally:
        for fd in held:
            os.close(fd)
