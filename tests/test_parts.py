"""A test that needs a missing part skips locally, naming it, and fails under CI=true."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

NEEDS_A_PART = """
from tests.parts import require_part

def test_needs_the_synthesizer():
    require_part("the synthesizer", "apt-get install synthesizer")
"""


def run_pytest(folder: Path, ci: str | None) -> subprocess.CompletedProcess:
    (folder / "test_needs.py").write_text(NEEDS_A_PART)
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    env["PYTHONPATH"] = str(ROOT)
    if ci is not None:
        env["CI"] = ci
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-rs", "-p", "no:cacheprovider", str(folder)],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize("ci", [None, "false", ""])
def test_a_missing_part_skips_with_its_reason_outside_ci(tmp_path, ci):
    done = run_pytest(tmp_path, ci)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 skipped" in done.stdout
    assert "the synthesizer missing: apt-get install synthesizer" in done.stdout


@pytest.mark.parametrize("ci", ["true", "1"])
def test_a_missing_part_fails_the_run_under_ci(tmp_path, ci):
    done = run_pytest(tmp_path, ci)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "1 failed" in done.stdout and "skipped" not in done.stdout
    assert "the synthesizer missing: apt-get install synthesizer (CI=true" in done.stdout
