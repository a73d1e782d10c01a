"""Shared by the benchmarks: the table they print, the JSON they write and the shows the live
ones play (their timing helpers are installation/timing.py)."""

from __future__ import annotations

import json
from pathlib import Path


def print_table(headers: list[str], rows: list[list[object]]) -> None:
    cells = [[str(c) for c in row] for row in rows]
    widths = [max(len(h), *(len(r[i]) for r in cells)) if cells else len(h) for i, h in enumerate(headers)]
    print("  ".join(h.rjust(w) for h, w in zip(headers, widths, strict=True)))
    for row in cells:
        print("  ".join(c.rjust(w) for c, w in zip(row, widths, strict=True)))


def write_json(result: dict, path: str) -> None:
    """The bench's result as JSON at `path`, and a line saying where it went."""
    Path(path).write_text(json.dumps(result, indent=2))
    print(f"\nwrote {path}")


def bench_show(name: str, midi: str, rest: str) -> str:
    """The text of a windowed show for a live bench, with `{model}` left to fill in: no OSC or
    OSCQuery port of its own, `midi` as its [midi] table, then the bench's own tables `rest`."""
    head = f"""
[show]
name = "{name}"
[model]
path = "{{model}}"
[display]
fullscreen = false
[osc]
port = 0
query_port = -1
[midi]
{midi}
"""
    return head + rest.lstrip("\n")
