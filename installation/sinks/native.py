"""Syphon (macOS) and Spout (Windows): GPU texture sharing with VJ software on the same machine.
Each exists only on its own system; elsewhere the output says so in one line. (Written to the
syphon-python and SpoutGL documentation; they cannot run on the Linux machines tests run on.)"""

from __future__ import annotations

import numpy as np

from installation.errors import UserError
from installation.sinks.base import Sink
from installation.sinks.extras import require, require_platform


class SyphonServer:
    """A Syphon Metal server `name`, publishing each frame as a texture."""

    def __init__(self, name: str, size: tuple[int, int]) -> None:
        syphon = require("syphon", "syphon", "Syphon output")
        from syphon.utils.numpy import copy_image_to_mtl_texture
        from syphon.utils.raw import create_mtl_texture

        self._server = syphon.SyphonMetalServer(name)
        self._texture = create_mtl_texture(self._server.device, size[0], size[1])
        self._copy = copy_image_to_mtl_texture
        self._rgba = np.full((size[1], size[0], 4), 255, np.uint8)

    def write(self, image: np.ndarray) -> None:
        self._rgba[..., :3] = image
        self._copy(self._rgba, self._texture)
        self._server.publish_frame_texture(self._texture)

    def close(self) -> None:
        self._server.stop()


class SpoutSender:
    """A Spout sender `name`; SpoutGL makes the hidden OpenGL context it shares textures from."""

    def __init__(self, name: str, size: tuple[int, int]) -> None:
        spout = require("SpoutGL", "spout", "Spout output")
        gl = require("OpenGL.GL", "spout", "Spout output")
        self._sender = spout.SpoutSender()
        if not self._sender.createOpenGL():
            raise UserError("Spout output: no OpenGL context for sharing textures")
        self._sender.setSenderName(name)
        self._format = gl.GL_RGB

    def write(self, image: np.ndarray) -> None:
        height, width = image.shape[:2]
        self._sender.sendImage(np.ascontiguousarray(image), width, height, self._format, False, 0)

    def close(self) -> None:
        self._sender.releaseSender()
        self._sender.closeOpenGL()


def open_native(kind: str, name: str, size: tuple[int, int]) -> Sink:
    if kind == "syphon":
        require_platform("darwin", "Syphon output")
        return SyphonServer(name, size)
    require_platform("win32", "Spout output")
    return SpoutSender(name, size)
