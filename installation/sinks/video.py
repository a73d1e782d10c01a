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
        self._rate = video_rate(fps)
        video = self._container.add_stream("libx264", rate=self._rate)
        video.width, video.height = size
        video.pix_fmt = "yuv420p"
        video.codec_context.thread_count = THREADS
        video.options = {"crf": str(CRF), "preset": PRESET}
        self._video = video
        self._frames = 0
        self._sound = None if audio is None else AacTrack(self._container, *audio)

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
        if self._sound is not None:
            self._sound.write_until(self._frames / self._rate)

    def close(self) -> None:
        if self._container is None:
            return
        if self._sound is not None:
            self._sound.finish()
        self._container.mux(self._video.encode(None))
        self._container.close()
        self._container = None


def video_rate(fps: float) -> Fraction:
    """The frame rate as the container stores it (29.97 is 30000/1001)."""
    return Fraction(fps).limit_denominator(1001)


class AacTrack:
    """A sound track (samples [n, channels] float32 at `rate`) encoded as AAC into an open
    container, written up to each time the picture reaches, so the file stays interleaved."""

    def __init__(self, container, samples: np.ndarray, rate: float) -> None:
        channels = min(samples.shape[1], 2)
        self._container = container
        self._stream = container.add_stream("aac", rate=int(rate))
        self._stream.layout = "stereo" if channels == 2 else "mono"
        self._stream.bit_rate = AUDIO_BITRATE
        self._samples = np.ascontiguousarray(samples[:, :channels].T, dtype=np.float32)  # planar
        self._rate = int(rate)
        self._sent = 0

    def write_until(self, seconds: Fraction) -> None:
        """Encode the sound up to `seconds` (exact, so every writer cuts it at the same sample)."""
        import av

        until = min(round(seconds * self._rate), self._samples.shape[1])
        while self._sent < until:
            end = min(self._sent + AUDIO_CHUNK, until)
            frame = av.AudioFrame.from_ndarray(
                self._samples[:, self._sent : end], format="fltp", layout=self._stream.layout.name
            )
            frame.sample_rate = self._rate
            frame.pts = self._sent
            self._sent = end
            self._container.mux(self._stream.encode(frame))

    def finish(self) -> None:
        """The rest of the sound, and the encoder's last packets."""
        self.write_until(Fraction(self._samples.shape[1], self._rate))
        self._container.mux(self._stream.encode(None))
