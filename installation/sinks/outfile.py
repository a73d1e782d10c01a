"""Where an offline render writes its video: checked before any work, written under a partial
name and renamed only when complete, so an existing file is never half-overwritten and a
stopped render leaves no truncated video behind. Independent of the writer behind it."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from installation.errors import UserError

VIDEO_SUFFIXES = (".mp4", ".m4v")  # the writer makes MP4 containers


def check_video_out(path: Path, overwrite: bool) -> None:
    """UserError unless `path` can take a new video."""
    if path.suffix.lower() not in VIDEO_SUFFIXES:
        given = f"ends with {path.suffix!r}" if path.suffix else "has no extension"
        raise UserError(f"--out {path}: {given}; give a video file name ({', '.join(VIDEO_SUFFIXES)})")
    folder = path.parent
    if not folder.is_dir():
        raise UserError(f"--out {path}: the folder {folder} does not exist")
    if not os.access(folder, os.W_OK):
        raise UserError(f"--out {path}: the folder {folder} is not writable")
    if path.is_dir():
        raise UserError(f"--out {path} is a folder")
    if path.exists() and not overwrite:
        raise UserError(f"--out {path} already exists (add --overwrite to replace it)")


def check_video_size(size: tuple[int, int]) -> None:
    """Video codecs store whole 2x2 blocks of colour: an odd side would be cropped."""
    width, height = size
    if width % 2 or height % 2:
        even = f"{width + width % 2}x{height + height % 2}"
        raise UserError(f"--size {width}x{height}: a video needs an even width and height (e.g. {even})")


def partial_path(path: Path) -> Path:
    """walk.mp4 -> walk.partial.mp4: the extension stays, since writers choose the container by it."""
    return path.with_name(f"{path.stem}.partial{path.suffix}")


@contextmanager
def written_whole(path: Path) -> Iterator[Path]:
    """Yield the partial file to write `path` through; it becomes `path` when the block ends
    normally and is removed when it does not (an error, Ctrl-C)."""
    partial = partial_path(path)
    try:
        yield partial
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    os.replace(partial, path)
