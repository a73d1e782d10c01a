"""`run.py bench --web` end to end on the tiny checkpoint: a page really opens and receives."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.sinks.show_files import tiny_checkpoint

ROOT = Path(__file__).resolve().parents[2]


def test_bench_web_compares_the_loop_with_and_without_a_page(x_display, tmp_path):
    model, out = tiny_checkpoint(tmp_path), tmp_path / "web.json"
    command = [
        str(model),
        "--web",
        "--web-seconds",
        "1.5",
        "--web-settle",
        "1",
        "--web-rounds",
        "2",
        "--loop-backend",
        "torch",
    ]
    done = subprocess.run(
        [sys.executable, str(ROOT / "run.py"), "bench", *command, "--json", str(out)],
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(out.read_text())
    assert len(result["page_open"]) == len(result["page_closed"]) == 2  # --web-rounds 2
    opened = result["page_open"]
    assert all(p["previews_per_s"] > 0 for p in opened) and sum(p["thumbnails_per_s"] for p in opened) > 0
    assert all(p["rendered_fps"] > 0 for p in result["page_closed"] + opened)
    assert set(opened[0]["thread_cpu_share"]) == {"web server", "preview", "explorer"}
    assert "rendered fps lost with the page open" in done.stdout
