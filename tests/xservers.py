"""Display numbers for the X servers that tests start themselves."""

from __future__ import annotations

from pathlib import Path


def free_display(first: int = 100, count: int = 100) -> int:
    """A display number from `first` on that no X server holds (no socket, no lock file)."""
    for number in range(first, first + count):
        if not Path(f"/tmp/.X11-unix/X{number}").exists() and not Path(f"/tmp/.X{number}-lock").exists():
            return number
    raise RuntimeError(f"no free X display number in {first}-{first + count - 1}")
