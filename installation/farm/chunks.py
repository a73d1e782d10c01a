"""A video in chunks: every chunk is encoded on its own (so it starts with a key frame and
depends on no other), then the chunks' packets are copied into one mp4 with their timestamps
moved along, the sound encoded beside them. A chunk renders the same bytes on any worker, so
the joined file does not depend on where, or in what order, its chunks were rendered."""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction
from pathlib import Path

import numpy as np

from installation.sinks.video import AacTrack, VideoFile, video_rate


def chunk_ranges(count: int, seconds: float, fps: float, batch: int) -> list[range]:
    """The frames of each chunk: about `seconds` each, a whole number of batches, so a
    chunk's batches are the ones a render from frame 0 would make (a batch's frames differ in
    their last bits from the same frames rendered one by one)."""
    batches = max(1, round(seconds * fps / batch))
    size = batches * batch
    return [range(start, min(start + size, count)) for start in range(0, count, size)]


def chunk_path(folder: Path, index: int) -> Path:
    return folder / f"chunk_{index:06d}.mp4"


class ChunkFiles:
    """A sink writing the frames of `ranges` (consecutive, from 0) into one file per chunk in
    `folder`."""

    def __init__(self, folder: Path, fps: float, size: tuple[int, int], ranges: Sequence[range]) -> None:
        self.paths = [chunk_path(folder, index) for index in range(len(ranges))]
        self._fps, self._size, self._ranges = fps, size, ranges
        self._written = 0
        self._video: VideoFile | None = None

    def write(self, image: np.ndarray) -> None:
        index = next(i for i, frames in enumerate(self._ranges) if self._written in frames)
        if self._video is None:
            self._video = VideoFile(self.paths[index], self._fps, self._size)
        self._video.write(image)
        self._written += 1
        if self._written == self._ranges[index].stop:
            self.close()

    def close(self) -> None:
        if self._video is not None:
            self._video.close()
            self._video = None


def join_chunks(
    chunks: Sequence[Path], out: Path, fps: float, audio: tuple[np.ndarray, float] | None = None
) -> None:
    """One mp4 at `out` from the chunk files, in order: their H.264 packets copied as they are,
    each chunk's timestamps moved to follow the last, and `audio` (samples, rate) encoded as
    AAC beside them."""
    import av

    rate = video_rate(fps)
    with av.open(str(out), mode="w", format="mp4") as output:
        stream = sound = None
        frames = 0  # in the chunks joined so far
        for path in chunks:
            with av.open(str(path)) as chunk:
                video = chunk.streams.video[0]
                if stream is None:
                    stream = output.add_stream_from_template(video)
                    sound = None if audio is None else AacTrack(output, *audio)
                    extradata = video.codec_context.extradata
                elif video.codec_context.extradata != extradata:
                    raise ValueError(f"{path} was encoded with other settings than the first chunk")
                shift = Fraction(frames) / rate / video.time_base
                if shift.denominator != 1:
                    raise ValueError(f"{path}: frame times are not whole ticks of {video.time_base}")
                for packet in chunk.demux(video):
                    if packet.dts is None:  # the demuxer's empty last packet
                        continue
                    packet.pts += int(shift)
                    packet.dts += int(shift)
                    packet.stream = stream
                    output.mux(packet)
                    frames += 1
                    if sound is not None:
                        sound.write_until(frames / rate)
        if sound is not None:
            sound.finish()
