"""`run.py check SHOW` through a real subprocess: a summary and exit 0, or one line and exit 2."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def check(path: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(ROOT / "run.py"), "check", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
    )


def test_valid_show(tmp_path):
    result = check(ROOT / "shows" / "midi_performance.toml")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("ok: ")
    assert "8 keyframes (lerp), 32 beats per period" in result.stdout


def test_invalid_show(tmp_path):
    show = tmp_path / "bad.toml"
    show.write_text('[show]\nname = "bad"\n[display]\nfit = "zoom"\n')
    result = check(show)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr == (
        f'error: {show}:4: display.fit: expected one of "fit", "fill", "stretch", got "zoom"\n'
    )
