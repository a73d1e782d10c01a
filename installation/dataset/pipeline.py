"""`prep` from start to end: collect, process in a pool, deduplicate, write, report."""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from multiprocessing import get_context
from pathlib import Path
from typing import Any

from installation.dataset import report
from installation.dataset.dedupe import Candidate, find_duplicates
from installation.dataset.options import PrepOptions, color_name
from installation.dataset.process import process_source, start_worker
from installation.dataset.progress import Progress
from installation.dataset.records import Output, SourceRecord
from installation.dataset.sources import Skipped, Source, collect, shown
from installation.dataset.workdir import WorkDir
from installation.dataset.writer import install, is_zip, write_dataset
from installation.errors import UserError

RecordHook = Callable[[Source, SourceRecord], None]


@dataclass(frozen=True)
class Picture:
    """One processed picture and where it came from."""

    index: int
    source: Source
    record: SourceRecord
    output: Output

    @property
    def name(self) -> str:
        at = f" @ {self.output.seconds:.1f}s" if self.output.seconds is not None else ""
        return shown(self.source.path) + at


@dataclass
class Outcome:
    """Everything a finished run knows: what the CLI prints and the report shows."""

    out: Path
    report: Path
    summary: Path
    options: PrepOptions
    sources: list[Source]
    records: list[SourceRecord]
    skipped: list[Skipped]
    pictures: list[Picture]
    kept: list[Picture]
    duplicates: list[tuple[Picture, Picture, str]]  # (left out, kept instead, why)
    classes: list[str]
    files: int  # every file looked at, used or not
    seconds: dict[str, float] = field(default_factory=dict)

    def counts(self) -> dict[str, int]:
        videos = [r for s, r in zip(self.sources, self.records, strict=True) if s.kind == "video"]
        exact = sum(1 for _, _, why in self.duplicates if why.startswith("identical"))
        return {
            "files": self.files,
            "images": sum(1 for s in self.sources if s.kind == "image"),
            "videos": len(videos),
            "frames": sum(len(r.outputs) for r in videos),
            "skipped": len(self.skipped),
            "processed": len(self.pictures),
            "exact_duplicates": exact,
            "near_duplicates": len(self.duplicates) - exact,
            "written": len(self.kept),
            "reused": sum(1 for r in self.records if r.reused),
        }


def paths_for(out: Path) -> tuple[Path, Path, Path]:
    """(work folder, report, summary JSON) that go with the data set at `out`."""
    stem = out.stem if is_zip(out) else out.name
    return (
        out.with_name(out.name + ".partial"),
        out.with_name(stem + ".report.html"),
        out.with_name(stem + ".prep.json"),
    )


def prepare(
    paths: Sequence[Path],
    out: Path,
    options: PrepOptions,
    *,
    on_record: RecordHook | None = None,
    show_progress: bool = True,
) -> Outcome:
    """Build the data set at `out` (a .zip or a folder) from `paths`; resumes an interrupted run.

    `on_record` is called here, in the calling process, as each source is done; raising from
    it interrupts the run like Ctrl-C would (the tests use that).
    """
    out = Path(out).expanduser().absolute()
    if out.exists() and not options.overwrite:
        raise UserError(f"{shown(out)} already exists; pass --overwrite to replace it")
    for given in paths:
        folder = Path(given).expanduser().absolute()
        if folder.is_dir() and out.is_relative_to(folder):
            raise UserError(f"--out must not be inside the source folder {given}")
    sources, skipped = collect(paths, options.labels_from_folders)
    files = len(sources) + len(skipped)
    if not sources:
        raise UserError(f"no images or videos found in {', '.join(map(str, paths))}")
    work_path, report_path, summary_path = paths_for(out)
    work = WorkDir(work_path)
    work.create()

    started = time.perf_counter()
    records = _process_all(sources, options, work, on_record, show_progress)
    processed = time.perf_counter()

    pictures: list[Picture] = []
    for source, record in zip(sources, records, strict=True):
        if record.skip is not None:
            skipped.append(Skipped(shown(source.path), record.skip))
        for output in record.outputs:
            pictures.append(Picture(len(pictures), source, record, output))
    found = find_duplicates([_candidate(p) for p in pictures], options.dedupe, options.xflip)
    left_out = {d.index for d in found}
    kept = [p for p in pictures if p.index not in left_out]
    if not kept:
        shutil.rmtree(work.root, ignore_errors=True)
        raise UserError(
            f"no usable images: {len(skipped)} files skipped, {len(found)} duplicates"
            + (f" (first reason: {skipped[0].path}: {skipped[0].reason})" if skipped else "")
        )
    classes = sorted({p.source.label for p in kept if p.source.label is not None})
    labels = [classes.index(p.source.label) for p in kept] if options.labels_from_folders else None

    built = work.root / ("dataset.zip" if is_zip(out) else "dataset")
    _remove(built)  # left by a run interrupted while writing
    write_dataset(built, [work.png(p.output.png) for p in kept], labels, is_zip(out))
    written = time.perf_counter()

    outcome = Outcome(
        out=out,
        report=report_path,
        summary=summary_path,
        options=options,
        sources=sources,
        records=records,
        skipped=skipped,
        pictures=pictures,
        kept=kept,
        duplicates=[(pictures[d.index], pictures[d.of], d.reason) for d in found],
        classes=classes,
        files=files,
        seconds={"process": processed - started, "write": written - processed},
    )
    report.write(outcome, work, work.root / "report.html")
    (work.root / "prep.json").write_text(json.dumps(summary(outcome), indent=1))
    outcome.seconds["report"] = time.perf_counter() - written

    # The data set goes into place last: when it exists, its report does too.
    (work.root / "report.html").replace(report_path)
    (work.root / "prep.json").replace(summary_path)
    install(built, out, work.root / "previous")
    shutil.rmtree(work.root, ignore_errors=True)
    return outcome


def summary(outcome: Outcome) -> dict[str, Any]:
    """The machine-readable record of a run, written next to the data set."""
    options = outcome.options
    return {
        "dataset": str(outcome.out),
        "report": str(outcome.report),
        "settings": {
            "size": options.size,
            "crop": options.crop,
            "pad_fill": "mirror" if options.pad_fill is None else color_name(options.pad_fill),
            "background": color_name(options.background),
            "min_size": options.smallest_side,
            "video_every": options.video_every,
            "dedupe": options.dedupe,
            "xflip": options.xflip,
            "labels_from_folders": options.labels_from_folders,
        },
        # NVIDIA's trainer mirrors at training time; the data set itself is not doubled.
        "train_with": {"mirror": 1 if options.xflip else 0},
        "counts": outcome.counts(),
        "classes": outcome.classes,
        "skipped": [{"path": s.path, "reason": s.reason} for s in outcome.skipped],
        "duplicates": [
            {"path": gone.name, "kept": kept.name, "reason": why} for gone, kept, why in outcome.duplicates
        ],
        "seconds": {k: round(v, 3) for k, v in outcome.seconds.items()},
    }


def _candidate(picture: Picture) -> Candidate:
    record, output = picture.record, picture.output
    return Candidate(
        index=picture.index,
        pixels=output.pixels,
        phash=output.phash,
        phash_mirror=output.phash_mirror,
        area=(record.width or 0) * (record.height or 0),
        file=record.file,
    )


def _process_all(
    sources: list[Source],
    options: PrepOptions,
    work: WorkDir,
    on_record: RecordHook | None,
    show_progress: bool,
) -> list[SourceRecord]:
    records: list[SourceRecord] = [SourceRecord()] * len(sources)
    progress = Progress(len(sources), "prep") if show_progress else None

    def done(index: int, record: SourceRecord) -> None:
        records[index] = record
        if on_record is not None:
            on_record(sources[index], record)
        if progress is not None:
            progress.advance()

    try:
        if options.workers == 0:
            for index, source in enumerate(sources):
                done(index, process_source(source, options, work.root))
            return records
        pool = ProcessPoolExecutor(
            max_workers=min(options.workers, len(sources)),
            # Not fork: the parent may hold threads (OpenCV's, torch's) that fork would clone.
            mp_context=get_context("spawn"),
            initializer=start_worker,
            initargs=(str(work.root / "decoders.log"),),
        )
        try:
            futures = {
                pool.submit(process_source, source, options, work.root): index
                for index, source in enumerate(sources)
            }
            for future in as_completed(futures):
                done(futures[future], future.result())
        finally:
            # On Ctrl-C or an error, drop the queue; files in hand finish and stay cached.
            pool.shutdown(wait=True, cancel_futures=True)
        return records
    finally:
        if progress is not None:
            progress.close()


def _remove(path: Path) -> None:
    if path.is_dir():
        shutil.rmtree(path)
    elif path.exists():
        path.unlink()
