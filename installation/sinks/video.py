"""An mp4 file: H.264 video (what browsers, players and editors all open), with an AAC sound
track when given one, through PyAV's bundled FFmpeg and libx264.

Frames arrive one by one at a fixed rate; the sound, when there is one, is written alongside
them up to each frame's time, so the file is interleaved as players expect. Settings are
fixed (CRF 18, one thread count everywhere), so the same frames and sound give the same bytes.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import numpy as np

from installation.errors import UserError

CRF = 18  # visually near-lossless for generated images; about 1-3 MB per minute at 256 px
PRESET = "medium"
THREADS = 4  # fixed: x264's output depends on its thread count
AUDIO_BITRATE = 256_000
AUDIO_CHUNK = 4096  # samples per audio frame handed to the encoder


class VideoFile:
    """Frames of `size` (width, height) at `fps`. `audio`: (samples [n, channels] float32,
    sample rate) written as AAC with the frames, all of it by `close`."""

    def __init__(
        self,
        path: str | Path,
        fps: float,
        size: tuple[int, int],
        audio: tuple[np.ndarray, float] | None = None,
    ) -> None:
        import av

        self.path = Path(path)
        self.size = size
        if size[0] % 2 or size[1] % 2:
            raise UserError(f"H.264 video needs an even width and height, not {size[0]}x{size[1]}")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._container = av.open(str(self.path), mode="w", format="mp4")
        except (OSError, av.FFmpegError) as error:
            raise UserError(f"cannot write video {self.path}: {error}") from None
        self._rate = Fraction(fps).limit_denominator(1001)
        video = self._container.add_stream("libx264", rate=self._rate)
        video.width, video.height = size
        video.pix_fmt = "yuv420p"
        video.codec_context.thread_count = THREADS
        video.options = {"crf": str(CRF), "preset": PRESET}
        self._video = video
        self._frames = 0
        self._audio = None
        if audio is not None:
            samples, rate = audio
            channels = min(samples.shape[1], 2)
            stream = self._container.add_stream("aac", rate=int(rate))
            stream.layout = "stereo" if channels == 2 else "mono"
            stream.bit_rate = AUDIO_BITRATE
            self._audio = stream
            self._samples = np.ascontiguousarray(samples[:, :channels].T, dtype=np.float32)  # planar
            self._audio_rate = int(rate)
            self._audio_sent = 0

    def write(self, image: np.ndarray) -> None:
        import av

        if (image.shape[1], image.shape[0]) != self.size:
            raise ValueError(
                f"frame is {image.shape[1]}x{image.shape[0]}, the video {self.size[0]}x{self.size[1]}"
            )
        frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(image), format="rgb24")
        frame.pts = self._frames
        self._frames += 1
        self._container.mux(self._video.encode(frame))
        if self._audio is not None:
            self._write_audio(round(self._frames / self._rate * self._audio_rate))

    def _write_audio(self, until: int) -> None:
        import av

        until = min(until, self._samples.shape[1])
        while self._audio_sent < until:
            end = min(self._audio_sent + AUDIO_CHUNK, until)
            chunk = self._samples[:, self._audio_sent : end]
            frame = av.AudioFrame.from_ndarray(chunk, format="fltp", layout=self._audio.layout.name)
            frame.sample_rate = self._audio_rate
            frame.pts = self._audio_sent
            self._audio_sent = end
            self._container.mux(self._audio.encode(frame))

    def close(self) -> None:
        if self._container is None:
            return
        if self._audio is not None:
            self._write_audio(self._samples.shape[1])
            self._container.mux(self._audio.encode(None))
        self._container.mux(self._video.encode(None))
        self._container.close()
        self._container = None
