"""NDI out: frames sent as an NDI source on the network, named as the user chooses."""

from __future__ import annotations

import numpy as np

from installation.errors import UserError
from installation.sinks.extras import require


class NdiSender:
    """An NDI source `name` (receivers list it as 'HOST (name)') sending frames of `size`."""

    def __init__(self, name: str, size: tuple[int, int], fps: float) -> None:
        ndi = require("NDIlib", "ndi", "NDI output")
        if not ndi.initialize():
            raise UserError("NDI output: the NDI runtime did not start (is this CPU supported by NDI?)")
        settings = ndi.SendCreate()
        settings.ndi_name = name
        settings.clock_video = False  # the output's own thread paces the frames
        self._sender = ndi.send_create(settings)
        if self._sender is None:
            raise UserError(f"NDI output {name!r} could not be created")
        self._frame = ndi.VideoFrameV2()
        self._frame.FourCC = ndi.FOURCC_VIDEO_TYPE_BGRX
        self._frame.frame_rate_N, self._frame.frame_rate_D = round(fps * 1000), 1000
        self._bgrx = np.full((size[1], size[0], 4), 255, np.uint8)
        self._ndi = ndi

    def write(self, image: np.ndarray) -> None:
        self._bgrx[..., :3] = image[..., ::-1]
        self._frame.data = self._bgrx
        self._ndi.send_send_video_v2(self._sender, self._frame)

    def close(self) -> None:
        self._ndi.send_destroy(self._sender)
