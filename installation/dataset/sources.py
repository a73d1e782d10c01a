"""Command-line sources (folders, images, videos) -> the list of files to process, in order."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from installation.errors import UserError

# HEIC is listed although OpenCV cannot decode it: such files are reported, not ignored.
IMAGE_EXTENSIONS = frozenset(
    {
        ".jpg",
        ".jpeg",
        ".jpe",
        ".jfif",
        ".png",
        ".bmp",
        ".dib",
        ".webp",
        ".tif",
        ".tiff",
        ".gif",
        ".pbm",
        ".pgm",
        ".ppm",
        ".pnm",
        ".jp2",
        ".avif",
        ".heic",
        ".heif",
    }
)
VIDEO_EXTENSIONS = frozenset(
    {
        ".mp4",
        ".mov",
        ".m4v",
        ".avi",
        ".mkv",
        ".webm",
        ".mpg",
        ".mpeg",
        ".wmv",
        ".flv",
        ".3gp",
    }
)


@dataclass(frozen=True)
class Source:
    path: Path  # absolute
    kind: str  # "image" or "video"
    folder: str  # the folder it came from, as shown in the report's share table
    label: str | None = None  # class name: the first-level sub-folder under its SRC folder


@dataclass(frozen=True)
class Skipped:
    path: str
    reason: str


def shown(path: Path) -> str:
    """A path as the report shows it: relative to the working folder when inside it."""
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def collect(paths: Sequence[Path], labels_from_folders: bool) -> tuple[list[Source], list[Skipped]]:
    """Expand SRC arguments: folders recursively in sorted order, files as given.

    Hidden files and folders (dot names: .git, .DS_Store, macOS '._' companions) are not
    looked at. Files with other extensions are listed as skipped, so that the report accounts
    for every file in a folder.
    """
    sources: list[Source] = []
    skipped: list[Skipped] = []
    seen: set[Path] = set()

    def add(path: Path, kind: str | None, label: str | None) -> None:
        if path in seen:
            return
        seen.add(path)
        if kind is None:
            skipped.append(Skipped(shown(path), f"not an image or video ({path.suffix or 'no extension'})"))
        elif labels_from_folders and label is None:
            skipped.append(Skipped(shown(path), "not inside a class sub-folder (--labels-from-folders)"))
        else:
            sources.append(Source(path, kind, shown(path.parent), label))

    for given in paths:
        path = Path(given).expanduser().absolute()
        if path.is_dir():
            for file, label in _walk(path):
                add(file, _kind(file), label)
        elif path.is_file():
            # A file named on the command line is meant to be read, whatever its extension.
            add(path, _kind(path) or "image", None)
        else:
            raise UserError(f"source not found: {given}")
    return sources, skipped


def _kind(path: Path) -> str | None:
    suffix = path.suffix.lower()
    if suffix in IMAGE_EXTENSIONS:
        return "image"
    if suffix in VIDEO_EXTENSIONS:
        return "video"
    return None


def _walk(root: Path) -> list[tuple[Path, str | None]]:
    found = []
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        relative = Path(folder).relative_to(root)
        label = relative.parts[0] if relative.parts else None
        found.extend((Path(folder) / name, label) for name in sorted(files) if not name.startswith("."))
    return found
