"""Tell what kind of container a file is from its first bytes, whatever its name ends with."""

from __future__ import annotations

import codecs
import zipfile
from pathlib import Path

from installation.checkpoints.checkpoint import SUPPORTED
from installation.errors import CheckpointError

ZIP = "torch.save zip"
TORCH_LEGACY = "legacy torch.save stream"
PICKLE = "Python pickle"

# torch.save before 1.6 starts with this number, pickled (protocol 2 LONG1 opcode, 10 bytes).
_LEGACY_MAGIC = b"\x8a\x0a" + (0x1950A86A20F9469CFC6C).to_bytes(10, "little")

_OTHER_KINDS = (
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"%PDF", "a PDF document"),
    (b"\x89HDF", "an HDF5 file (Keras?)"),
)


def sniff(path: Path) -> str:
    """ZIP, TORCH_LEGACY or PICKLE; CheckpointError for anything that cannot be a checkpoint."""
    if not path.exists():
        raise CheckpointError("no such file")
    if path.is_dir():
        raise CheckpointError("is a directory, not a model file")
    with path.open("rb") as f:
        head = f.read(64)
    if not head:
        raise CheckpointError("empty file (0 bytes), not a model checkpoint")
    if head.startswith(b"PK\x03\x04"):
        _check_torch_zip(path)
        return ZIP
    if head[0] == 0x80 and 2 <= head[1] <= 5:
        return TORCH_LEGACY if head[2:14] == _LEGACY_MAGIC else PICKLE
    raise CheckpointError(f"not a model checkpoint: this looks like {_describe(head)}; {SUPPORTED}")


def _check_torch_zip(path: Path) -> None:
    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
    except (zipfile.BadZipFile, OSError) as e:
        raise CheckpointError(f"truncated or corrupt zip file ({e})") from None
    if not any(name.endswith("data.pkl") for name in names):
        raise CheckpointError(f"a zip archive without data.pkl, so not a torch.save checkpoint; {SUPPORTED}")


def _describe(head: bytes) -> str:
    for magic, what in _OTHER_KINDS:
        if head.startswith(magic):
            return what
    try:
        # Incremental, so a character cut off at byte 64 does not count against the text.
        text = codecs.getincrementaldecoder("utf-8")().decode(head)
    except UnicodeDecodeError:
        return "binary data of an unknown kind"
    return "a text file" if "\x00" not in text else "binary data of an unknown kind"
