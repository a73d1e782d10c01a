"""Processing one source, in a worker process: decode, square, hash, describe, save to the cache."""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import signal
import sys
import threading
from pathlib import Path

import cv2
import numpy as np

from installation.dataset import crop, decode, video
from installation.dataset.colorstats import describe
from installation.dataset.dedupe import phash
from installation.dataset.errors import Skip
from installation.dataset.options import PrepOptions
from installation.dataset.records import Output, SourceRecord
from installation.dataset.sources import Source
from installation.dataset.workdir import WorkDir

# Uncompressed like dataset_tool.py's: the trainer decodes each one many times. Row filters
# cannot shrink stored data, so they are turned off (ten times faster to write).
PNG_PARAMS = [cv2.IMWRITE_PNG_COMPRESSION, 0, cv2.IMWRITE_PNG_FILTER, cv2.IMWRITE_PNG_FILTER_NONE]


def start_worker(log: str) -> None:
    """Pool initializer: one OpenCV thread per process, quiet decoders, no orphans.

    libpng, libjpeg and FFmpeg write warnings to the process's stderr, which would tear the
    progress bar; they go to a log file in the work folder instead. Ctrl-C is left to the
    main process, which stops the pool; a worker finishes the file in hand. If the main
    process is killed outright, the pool cannot shut down: workers would wait for work
    forever, holding the terminal's pipes, so each one exits when its parent does.
    """
    cv2.setNumThreads(1)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    parent = multiprocessing.parent_process()
    if parent is not None:
        threading.Thread(target=_exit_with, args=(parent,), daemon=True).start()
    sys.stderr.flush()
    descriptor = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    os.dup2(descriptor, 2)
    os.close(descriptor)


def _exit_with(parent: multiprocessing.process.BaseProcess) -> None:
    parent.join()
    os._exit(1)


def process_source(source: Source, options: PrepOptions, work_root: Path) -> SourceRecord:
    """The cached record for `source` when there is one, else process it and cache the result."""
    work = WorkDir(work_root)
    try:
        stat = source.path.stat()
    except OSError as error:
        return SourceRecord(skip=f"unreadable ({error.strerror or error})")
    key = WorkDir.key(source.path, stat, options.fingerprint())
    cached = work.load(key)
    if cached is not None:
        return cached
    record = SourceRecord()
    try:
        if source.kind == "video":
            _video(source.path, options, work, key, record)
        else:
            _image(source.path, options, work, key, record)
    except Skip as error:
        record.skip, record.outputs = str(error), []
    except OSError as error:
        record.skip, record.outputs = f"unreadable ({error.strerror or error})", []
    except cv2.error as error:
        # OpenCV refuses some valid-looking files (e.g. beyond its pixel limit) with cv2.error.
        record.skip, record.outputs = f"OpenCV error: {str(error).strip().splitlines()[-1]}", []
    work.save(key, record)
    return record


def _image(path: Path, options: PrepOptions, work: WorkDir, key: str, record: SourceRecord) -> None:
    data = path.read_bytes()
    record.file = hashlib.blake2b(data, digest_size=16).hexdigest()
    size = decode.probe_size(data)
    if size is not None:
        _check_size(size, options, record)
    image = decode.decode(data, options.background, crop.decode_reduction(size, options.size, options.crop))
    if size is None:
        _check_size((image.shape[1], image.shape[0]), options, record)
    record.outputs.append(_output(image, options, work, f"{key}.png", None))


def _video(path: Path, options: PrepOptions, work: WorkDir, key: str, record: SourceRecord) -> None:
    for number, (seconds, frame) in enumerate(video.sample_frames(path, options.video_every)):
        if number == 0:
            _check_size((frame.shape[1], frame.shape[0]), options, record)
        record.outputs.append(_output(frame, options, work, f"{key}-{number:05d}.png", seconds))
    if not record.outputs:
        raise Skip("no frames could be decoded from the video")


def _check_size(size: tuple[int, int], options: PrepOptions, record: SourceRecord) -> None:
    record.width, record.height = size
    if min(size) < options.smallest_side:
        raise Skip(f"too small ({size[0]}x{size[1]}; shorter side under {options.smallest_side} px)")


def _output(
    image: np.ndarray, options: PrepOptions, work: WorkDir, name: str, seconds: float | None
) -> Output:
    square = crop.square(image, options.size, options.crop, options.pad_fill)
    ok, png = cv2.imencode(".png", square, PNG_PARAMS)
    if not ok:
        raise Skip("could not encode the processed picture as PNG")
    work.png(name).write_bytes(png.tobytes())
    return Output(
        png=name,
        pixels=hashlib.blake2b(np.ascontiguousarray(square).data, digest_size=16).hexdigest(),
        phash=phash(square),
        phash_mirror=phash(cv2.flip(square, 1)),
        color=describe(square),
        seconds=seconds,
    )
