"""Show-file section `[[outputs]]`: frames sent to other software (NDI, a network stream, a
virtual camera, Syphon, Spout), each at its own size and frame rate (see installation/sinks/)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from installation.errors import UserError
from installation.show.schema import Choice, Integer, Kind, Number, SchemaError, Text, setting

OUTPUT_KINDS = ("ndi", "stream", "vcam", "syphon", "spout")


@dataclass(frozen=True)
class Size(Kind):
    """A size in pixels, "WIDTHxHEIGHT"; read as (width, height)."""

    def describe(self) -> str:
        return 'a size "WIDTHxHEIGHT" such as "1280x720"'

    def convert(self, value: Any, base: Path) -> tuple[int, int]:
        from installation.display.layout import parse_size

        if not isinstance(value, str):
            raise self.mismatch(value)
        try:
            return parse_size(value)
        except UserError as error:
            raise ValueError(str(error)) from None

    def format(self, value: tuple[int, int] | None) -> str:
        return f'"{value[0]}x{value[1]}"' if value else '""'


@dataclass(frozen=True)
class OutputSettings:
    """One output. `target`: the NDI or Syphon/Spout name, the stream URL, the camera device."""

    kind: str = setting("ndi", Choice(OUTPUT_KINDS), "where the frames go")
    target: str = setting(
        "",
        Text(),
        'NDI / Syphon / Spout source name, stream URL ("udp://127.0.0.1:5000", "tcp://HOST:PORT"), '
        'or camera device ("/dev/video2"; empty: the first free one)',
    )
    size: tuple[int, int] | None = setting(None, Size(), "frame size sent (default: the model's resolution)")
    fps: float = setting(30.0, Number(0.1, 240), "frames sent per second")
    fit: str = setting("fit", Choice(("fit", "fill", "stretch")), "how frames are placed on that size")
    queue: int = setting(16, Integer(1, 64), "frames waiting at most; the oldest is dropped (and counted)")

    def __post_init__(self) -> None:
        from installation.sinks.outputs import checked, spec_of

        try:
            checked(spec_of(self))
        except UserError as error:
            raise SchemaError(("target",), str(error)) from None
