"""A screenshot of a whole X screen (the root window), as the viewer of the screen sees it:
read with Xlib's XGetImage through ctypes (no image tools needed on the test machine)."""

from __future__ import annotations

import ctypes
import ctypes.util

import numpy as np

Z_PIXMAP = 2
ALL_PLANES = ctypes.c_ulong(~0 & 0xFFFFFFFFFFFFFFFF)


class _XImage(ctypes.Structure):
    _fields_ = [
        ("width", ctypes.c_int),
        ("height", ctypes.c_int),
        ("xoffset", ctypes.c_int),
        ("format", ctypes.c_int),
        ("data", ctypes.POINTER(ctypes.c_ubyte)),
        ("byte_order", ctypes.c_int),
        ("bitmap_unit", ctypes.c_int),
        ("bitmap_bit_order", ctypes.c_int),
        ("bitmap_pad", ctypes.c_int),
        ("depth", ctypes.c_int),
        ("bytes_per_line", ctypes.c_int),
        ("bits_per_pixel", ctypes.c_int),
    ]


def _xlib() -> ctypes.CDLL:
    xlib = ctypes.CDLL(ctypes.util.find_library("X11") or "libX11.so.6")
    xlib.XOpenDisplay.restype = ctypes.c_void_p
    xlib.XOpenDisplay.argtypes = [ctypes.c_char_p]
    xlib.XDefaultRootWindow.restype = ctypes.c_ulong
    xlib.XDefaultRootWindow.argtypes = [ctypes.c_void_p]
    xlib.XGetImage.restype = ctypes.POINTER(_XImage)
    xlib.XGetImage.argtypes = [ctypes.c_void_p, ctypes.c_ulong, ctypes.c_int, ctypes.c_int]
    xlib.XGetImage.argtypes += [ctypes.c_uint, ctypes.c_uint, ctypes.c_ulong, ctypes.c_int]
    xlib.XDestroyImage = getattr(xlib, "XDestroyImage", None)
    xlib.XCloseDisplay.argtypes = [ctypes.c_void_p]
    return xlib


def grab_screen(display: str, size: tuple[int, int]) -> np.ndarray:
    """The X screen `display` (":137"), [H, W, 3] RGB, `size` (width, height) from its corner."""
    xlib = _xlib()
    connection = xlib.XOpenDisplay(display.encode())
    if not connection:
        raise RuntimeError(f"cannot open X display {display}")
    try:
        root = xlib.XDefaultRootWindow(connection)
        image = xlib.XGetImage(connection, root, 0, 0, size[0], size[1], ALL_PLANES, Z_PIXMAP)
        if not image:
            raise RuntimeError("XGetImage failed")
        ximage = image.contents
        if ximage.bits_per_pixel != 32:
            raise RuntimeError(f"expected a 24-bit screen, got {ximage.bits_per_pixel} bits per pixel")
        raw = np.ctypeslib.as_array(ximage.data, shape=(ximage.height * ximage.bytes_per_line,))
        rows = raw.reshape(ximage.height, ximage.bytes_per_line)[:, : ximage.width * 4]
        pixels = rows.reshape(ximage.height, ximage.width, 4)[..., 2::-1].copy()  # BGRX -> RGB
        free = ctypes.CDLL(ctypes.util.find_library("c")).free
        free.argtypes = [ctypes.c_void_p]
        free(ctypes.cast(ximage.data, ctypes.c_void_p))  # what XDestroyImage does for XGetImage's images
        free(ctypes.cast(image, ctypes.c_void_p))
        return pixels
    finally:
        xlib.XCloseDisplay(connection)
