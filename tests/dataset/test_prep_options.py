"""Settings: colors, validation, the progress line, and the CLI's wiring of them."""

from __future__ import annotations

import io

import pytest

from installation.cli import build_parser
from installation.dataset.options import PrepOptions, parse_color
from installation.dataset.progress import Progress
from installation.errors import UserError


@pytest.mark.parametrize(
    ("text", "bgr"),
    [
        ("white", (255, 255, 255)),
        ("#ff8000", (0, 128, 255)),
        ("FF8000", (0, 128, 255)),
        ("#f80", (0, 136, 255)),
        ("10, 20, 30", (30, 20, 10)),
    ],
)
def test_colors_are_parsed_as_rgb_and_stored_as_bgr(text: str, bgr: tuple[int, int, int]) -> None:
    assert parse_color(text) == bgr


@pytest.mark.parametrize("text", ["purplish", "#12345", "300,0,0"])
def test_bad_colors_are_user_errors(text: str) -> None:
    with pytest.raises(UserError):
        parse_color(text)


@pytest.mark.parametrize(
    "changes",
    [
        {"size": 300},
        {"size": 8},
        {"size": 8192},
        {"crop": "zoom"},
        {"min_size": 0},
        {"video_every": 0},
        {"dedupe": 65},
    ],
)
def test_bad_settings_are_user_errors(changes: dict) -> None:
    with pytest.raises(UserError):
        PrepOptions(**changes)


@pytest.mark.parametrize("size", [16, 128, 2048, 4096])
def test_any_power_of_two_is_a_size(size: int) -> None:
    assert PrepOptions(size=size).size == size


def test_min_size_defaults_to_half_the_output() -> None:
    assert PrepOptions(size=1024).smallest_side == 512
    assert PrepOptions(size=1024, min_size=64).smallest_side == 64


def test_progress_writes_one_line_when_not_a_terminal() -> None:
    stream = io.StringIO()
    progress = Progress(4, "prep", stream)
    for _ in range(4):
        progress.advance()
    assert stream.getvalue() == ""
    progress.close()
    line = stream.getvalue()
    assert line.startswith("prep [") and " 4/4 " in line and line.endswith("\n")


def test_cli_knows_prep_and_bench_prep() -> None:
    parser, modules = build_parser()
    assert {"prep", "bench-prep"} <= set(modules)
    args = parser.parse_args(["prep", "a", "b", "--out", "x.zip", "--size", "512", "--xflip"])
    assert args.sources == [type(args.out)("a"), type(args.out)("b")] and args.xflip
    assert args.crop == "center" and args.dedupe == 6 and args.min_size is None
