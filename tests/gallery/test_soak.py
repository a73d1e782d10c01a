"""A short soak through `run.py bench --soak`: after warm-up, memory, threads and open files stay put."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.gallery.helpers import ROOT, child_env

SECONDS = 15
GROWTH_BOUND_MB = 8.0  # RSS growth allowed between the first and last samples after warm-up


def test_short_soak_holds_memory_flat(tmp_path) -> None:
    out = tmp_path / "soak.json"
    done = subprocess.run(
        [sys.executable, str(ROOT / "run.py"), "bench", "--soak", str(SECONDS), "--json", str(out)],
        cwd=ROOT,
        env=child_env(),
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    result = json.loads(out.read_text())
    assert result["frames"] > 0 and result["samples"][-1]["t"] >= SECONDS
    assert result["growth_mb"] < GROWTH_BOUND_MB, result
    assert result["threads"][0] == result["threads"][1] and result["fds"][0] == result["fds"][1]
    assert result["osc_sent"] > 1000 and result["osc_refused"] > 50  # they arrived: the garbage was refused
