"""The data set on disk, in the layout of NVIDIA's stylegan2-ada-pytorch dataset_tool.py.

PNG files named 00000/img00000000.png, a sub-folder for each thousand, with dataset.json at
the root holding {"labels": null} or {"labels": [["00000/img00000000.png", 3], ...]}; as an
uncompressed zip or as a folder. The training notebooks read either unchanged.
"""

from __future__ import annotations

import json
import os
import shutil
import zipfile
from collections.abc import Sequence
from pathlib import Path


def archive_name(index: int) -> str:
    return f"{index // 1000:05d}/img{index:08d}.png"


def is_zip(path: Path) -> bool:
    return path.suffix.lower() == ".zip"


def write_dataset(target: Path, pictures: Sequence[Path], labels: Sequence[int] | None, as_zip: bool) -> None:
    """Write `pictures` (PNG files, in data set order) to `target`, a path that must not exist."""
    names = [archive_name(i) for i in range(len(pictures))]
    listed = None if labels is None else [[n, label] for n, label in zip(names, labels, strict=True)]
    metadata = json.dumps({"labels": listed})
    if as_zip:
        # Stored, not deflated: PNG is already compressed and the trainer seeks into the zip.
        with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_STORED) as archive:
            for source, name in zip(pictures, names, strict=True):
                archive.write(source, name)
            archive.writestr("dataset.json", metadata)
        return
    target.mkdir()
    for source, name in zip(pictures, names, strict=True):
        destination = target / name
        destination.parent.mkdir(exist_ok=True)
        shutil.copyfile(source, destination)
    (target / "dataset.json").write_text(metadata)


def install(built: Path, final: Path, graveyard: Path) -> None:
    """Move a finished data set into place; an earlier one at `final` goes to `graveyard`.

    A zip replaces its predecessor atomically. A folder cannot be swapped in one step, so the
    old one is moved aside first: `final` is briefly absent, but never half written.
    """
    if final.is_dir() and not final.is_symlink():
        os.replace(final, graveyard)
    os.replace(built, final)
