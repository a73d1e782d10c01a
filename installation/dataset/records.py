"""What processing one source produced: kept in the work folder, read back on resume."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from installation.dataset.colorstats import ColorStats


@dataclass
class Output:
    """One square picture made from a source (an image, or one video frame)."""

    png: str  # file name in the work folder
    pixels: str  # hash of the pixels: identical outputs are exact duplicates
    phash: int
    phash_mirror: int
    color: ColorStats
    seconds: float | None = None  # position in the video


@dataclass
class SourceRecord:
    width: int | None = None  # upright source size (a video's frame size)
    height: int | None = None
    file: str | None = None  # hash of the file's bytes
    skip: str | None = None  # why nothing was used; None when outputs were made
    outputs: list[Output] = field(default_factory=list)
    reused: bool = False  # read from the work folder of an earlier, interrupted run

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        del data["reused"]
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SourceRecord:
        outputs = [Output(**{**o, "color": ColorStats(**o["color"])}) for o in data.pop("outputs")]
        return cls(**data, outputs=outputs)
