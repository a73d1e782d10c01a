"""A leader and two followers as separate processes on loopback UDP, each playing the tiny show
in its own engine (one follower renders only its tile of the canvas): the followers' pictures
for given show times are the leader's (the tile's, its part of it), a write at the leader
reaches them, a speed change glides alike, a follower killed and restarted rejoins, /health
says how each follows, and with the leader gone they hold their picture and say so."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import numpy as np
import pytest

from tests.sinks.show_files import write_show

ROOT = Path(__file__).resolve().parents[2]
REJOIN_S = 5.0  # the bound for a restarted follower
RIGHT_HALF = ("--tile", "1,0", "--tiles", "2,1")


def free_port(kind: int = socket.SOCK_DGRAM) -> int:
    with socket.socket(socket.AF_INET, kind) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def health(port: int) -> dict:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=5) as answer:
        return json.loads(answer.read())


class Node:
    """One `tests.sync.node` process, spoken to line by line."""

    def __init__(self, show: Path, *role: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.sync.node", str(show), *role],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.read() == {"loaded": True}

    def read(self) -> dict:
        line = self.process.stdout.readline()
        assert line, f"node exited with {self.process.wait()}"
        return json.loads(line)

    def ask(self, *words: object) -> dict:
        self.process.stdin.write(" ".join(map(str, words)) + "\n")
        self.process.stdin.flush()
        return self.read()

    def frames(self, path: Path, times: list[float]) -> np.ndarray:
        self.ask("frames", path, *times)
        return np.load(path)

    def wait_for(self, check, seconds: float, *at: float) -> dict:
        """The first state (values at show time `at`, default now) that passes `check`, polling
        for up to `seconds`."""
        deadline = time.monotonic() + seconds
        while True:
            state = self.ask("state", *at)
            if check(state) or time.monotonic() > deadline:
                return state
            time.sleep(0.05)

    def kill(self) -> None:
        self.process.kill()
        self.process.wait()

    def quit(self) -> None:
        if self.process.poll() is None:
            self.process.stdin.write("quit\n")
            self.process.stdin.flush()
            self.process.wait(10)


@pytest.fixture
def machines(tmp_path):
    show = write_show(tmp_path, period=3.0, canvas="16:9")  # 56x32 px
    ports = [free_port(), free_port()]
    pages = [free_port(socket.SOCK_STREAM) for _ in ports]
    # The first follower renders the whole canvas, the second its right half (one screen of two).
    tiles = [(), RIGHT_HALF]
    followers = [
        Node(show, "--follow", f"127.0.0.1:{port}", "--health", str(page), *tile)
        for port, page, tile in zip(ports, pages, tiles, strict=True)
    ]
    leader = Node(show, "--lead", ",".join(f"127.0.0.1:{port}" for port in ports))
    nodes = {"leader": leader, "followers": followers, "show": show, "ports": ports, "pages": pages}
    yield nodes
    for node in [nodes["leader"], *nodes["followers"]]:
        node.quit()


def assert_same_pictures(theirs: np.ndarray, mine: np.ndarray) -> None:
    """The same pictures, up to the last bit of the motion's phase: a follower's phase is
    extended from the leader's last anchor, the leader's from its own latest one, and float64
    rounding may differ there, which can move a rare pixel by one level of 255."""
    assert theirs.shape == mine.shape
    differ = np.abs(theirs.astype(np.int16) - mine.astype(np.int16))
    assert differ.max() <= 1 and np.count_nonzero(differ) <= differ.size // 1000


def screen(leaders: np.ndarray, follower: int) -> np.ndarray:
    """What follower `follower` shows of the leader's whole-canvas pictures: all of it, or (the
    tile follower) the right half."""
    return leaders if follower == 0 else leaders[:, :, leaders.shape[2] // 2 :]


def synced(state: dict) -> bool:
    return state["synced_after_s"] is not None


def test_followers_render_the_leaders_pictures_and_writes(machines, tmp_path):
    leader, followers = machines["leader"], machines["followers"]
    for follower in followers:
        assert synced(follower.wait_for(synced, 10.0))
    # Each follower's /health says it follows, whom, and how far off it was.
    for port, page in zip(machines["ports"], machines["pages"], strict=True):
        page = health(page)
        sync = page["sync"]
        assert page["state"] == "playing" and sync["state"] == "following" and sync["problem"] == ""
        assert sync["listen"] == f"127.0.0.1:{port}" and sync["leader"].startswith("127.0.0.1:")
        assert sync["last_packet_age_s"] >= 0 and isinstance(sync["show_time_offset_ms"], float)
    assert health(machines["pages"][1])["tile"] == {"position": [1, 0], "grid": [2, 1], "overlap": 0}
    assert leader.ask("set", "psi", 0.3) == {"taken": True}
    leader_state = leader.ask("state")
    later = leader_state["now"] + 1.0  # the bus's values there, psi's glide included
    expected = leader.ask("state", later)["values"]
    for follower in followers:
        state = follower.wait_for(lambda s: s["values"] == expected, 5.0, later)
        assert state["values"] == expected
        assert state["note"] == "" and not state["paused"]
        assert abs(state["now"] - follower.ask("state")["now"]) < 1.0  # its clock runs

    # Show times after the write: the followers' pictures are the leader's.
    times = [leader_state["now"] + dt for dt in (0.5, 1.25, 2.0)]
    mine = leader.frames(tmp_path / "leader.npy", times)
    assert mine.shape == (3, 32, 56, 3) and len({frame.tobytes() for frame in mine}) == 3  # it moves
    for n, follower in enumerate(followers):
        assert_same_pictures(follower.frames(tmp_path / f"f{n}.npy", times), screen(mine, n))

    # The write changed the picture: before it, at psi's default, it was another one.
    before = leader.frames(tmp_path / "before.npy", [leader_state["now"] - 1.0])
    assert before.tobytes() != mine[0].tobytes()

    # A follower killed and restarted rejoins from the next snapshot, write included.
    followers[1].kill()
    again = (
        "--follow",
        f"127.0.0.1:{machines['ports'][1]}",
        "--health",
        str(machines["pages"][1]),
        *RIGHT_HALF,
    )
    followers[1] = Node(machines["show"], *again)
    state = followers[1].wait_for(synced, REJOIN_S + 5.0, later)
    assert synced(state) and state["synced_after_s"] <= REJOIN_S
    assert state["values"] == expected
    assert_same_pictures(followers[1].frames(tmp_path / "again.npy", times), screen(mine, 1))

    # The speed changed mid-run on the leader (a fader): while it glides to 2.5 and after, the
    # followers' pictures are the leader's (each integrates the glide from its own anchor).
    assert leader.ask("set", "speed", 2.5) == {"taken": True}
    now = leader.ask("state")["now"]
    gliding = leader.ask("state", now + 0.5)["values"]["speed"]
    assert 1.0 < gliding < 2.5
    for follower in followers:
        state = follower.wait_for(lambda s: s["values"]["speed"] == gliding, 5.0, now + 0.5)
        assert state["values"]["speed"] == gliding
    times = [now + dt for dt in (0.25, 0.75, 3.0)]
    mine = leader.frames(tmp_path / "fast.npy", times)
    for n, follower in enumerate(followers):
        assert_same_pictures(follower.frames(tmp_path / f"fast{n}.npy", times), screen(mine, n))

    # The leader gone: the followers hold their picture (the clock stops) and say so, on the HUD
    # and on /health.
    leader.kill()
    for follower, page in zip(followers, machines["pages"], strict=True):
        state = follower.wait_for(lambda s: s["paused"] and s["note"], 10.0)
        assert state["paused"] and "no leader" in state["note"]
        assert follower.ask("state")["now"] == state["now"]
        page = health(page)
        assert page["state"] == "holding" and page["sync"]["state"] == "holding"
        assert page["sync"]["last_packet_age_s"] > 2.0 and "no leader" in page["sync"]["problem"]
