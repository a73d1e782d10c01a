"""A virtual camera (v4l2loopback on Linux, OBS's on macOS and Windows) through pyvirtualcam:
video-call and streaming software see the show as a webcam."""

from __future__ import annotations

import sys

import numpy as np

from installation.errors import UserError
from installation.sinks.extras import require

LOAD_MODULE = "sudo modprobe v4l2loopback exclusive_caps=1 card_label=installation"


class VirtualCamera:
    def __init__(self, device: str, size: tuple[int, int], fps: float) -> None:
        pyvirtualcam = require("pyvirtualcam", "vcam", "a virtual camera")
        try:
            self._camera = pyvirtualcam.Camera(size[0], size[1], fps, device=device or None)
        except RuntimeError as error:
            if sys.platform == "linux" and "v4l2" in str(error):
                raise UserError(
                    f"no virtual camera: the v4l2loopback kernel module is not loaded ({LOAD_MODULE})"
                ) from None
            raise UserError(f"no virtual camera: {error}") from None

    def write(self, image: np.ndarray) -> None:
        self._camera.send(image)

    def close(self) -> None:
        self._camera.close()
