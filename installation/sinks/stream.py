"""A network video stream (H.264 in MPEG-TS over UDP, TCP or SRT, or FLV over RTMP) that OBS, VLC,
TouchDesigner's Video Stream In and ffmpeg open, encoded by FFmpeg's libraries through PyAV.
(SRT needs an FFmpeg built with libsrt: PyAV 18's Linux wheels are not; UDP and TCP always work.)"""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from installation.errors import UserError
from installation.sinks.extras import require

# What the URL's scheme needs around the video: FFmpeg's format names.
CONTAINERS = {"udp": "mpegts", "srt": "mpegts", "tcp": "mpegts", "rtmp": "flv"}
PACKET_BYTES = 1316  # seven 188-byte TS packets: fits one UDP datagram under a 1500-byte MTU


def container_of(url: str) -> str:
    scheme = url.partition("://")[0].lower()
    if scheme not in CONTAINERS:
        schemes = ", ".join(f"{s}://" for s in CONTAINERS)
        raise UserError(f"stream URL {url!r}: expected one of {schemes} (e.g. udp://127.0.0.1:5000)")
    return CONTAINERS[scheme]


class NetworkStream:
    """Frames of `size` (width, height) sent to `url` at `fps`, encoded for low latency."""

    def __init__(self, url: str, size: tuple[int, int], fps: float, bitrate: int = 8_000_000) -> None:
        av = require("av", "stream", "a network stream")
        container = container_of(url)
        if url.startswith("udp://") and "pkt_size" not in url:
            url += ("&" if "?" in url else "?") + f"pkt_size={PACKET_BYTES}"
        self.size = size
        try:
            self._output = av.open(url, mode="w", format=container)
        except (OSError, av.FFmpegError) as error:
            raise UserError(f"cannot open the stream {url}: {error}") from None
        rate = Fraction(fps).limit_denominator(1001)
        self._stream = self._output.add_stream("libx264", rate=rate)
        self._stream.width, self._stream.height = (side - side % 2 for side in size)  # yuv420p: even sides
        self._stream.pix_fmt = "yuv420p"
        self._stream.bit_rate = bitrate
        # No B-frames and no look-ahead: a frame leaves as soon as it is encoded.
        self._stream.options = {"preset": "veryfast", "tune": "zerolatency", "g": str(max(1, round(fps)))}
        self._av, self._url = av, url
        self._count = 0

    def write(self, image: np.ndarray) -> None:
        frame = self._av.VideoFrame.from_ndarray(
            image[: self._stream.height, : self._stream.width], format="rgb24"
        )
        frame.pts = self._count
        self._count += 1
        try:  # the connection opens with the first packet: its errors come here
            self._output.mux(self._stream.encode(frame))
        except self._av.error.ProtocolNotFoundError:
            scheme = self._url.partition("://")[0]
            raise UserError(
                f"this FFmpeg build (PyAV's) has no {scheme}:// protocol: use udp:// or tcp://"
            ) from None
        except (OSError, self._av.FFmpegError) as error:
            raise UserError(f"stream {self._url}: {error}") from None

    def close(self) -> None:
        try:
            self._output.mux(self._stream.encode(None))
        finally:
            self._output.close()
