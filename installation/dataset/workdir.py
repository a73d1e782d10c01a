"""The resumable work state: processed outputs of each source, keyed by what could change them.

It lives next to the data set (DATASET.partial) until the run finishes. A source's key
hashes its path, size, modification time and the processing settings, so an edited file or
a different --size or --crop is processed again, and everything else is reused.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from installation.dataset.records import SourceRecord


class WorkDir:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.items = root / "items"

    def create(self) -> None:
        self.items.mkdir(parents=True, exist_ok=True)

    @staticmethod
    def key(path: Path, stat: os.stat_result, fingerprint: str) -> str:
        text = f"{path}\0{stat.st_size}\0{stat.st_mtime_ns}\0{fingerprint}"
        return hashlib.blake2b(text.encode(), digest_size=12).hexdigest()

    def load(self, key: str) -> SourceRecord | None:
        try:
            data = json.loads((self.items / f"{key}.json").read_text())
        except (OSError, ValueError):
            return None
        record = SourceRecord.from_json(data)
        if not all((self.items / o.png).is_file() for o in record.outputs):
            return None
        record.reused = True
        return record

    def save(self, key: str, record: SourceRecord) -> None:
        """Write the record last and atomically: it marks the source's outputs as complete."""
        final = self.items / f"{key}.json"
        partial = final.with_suffix(".json.tmp")
        partial.write_text(json.dumps(record.to_json()))
        os.replace(partial, final)

    def png(self, name: str) -> Path:
        return self.items / name
