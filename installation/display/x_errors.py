"""X protocol errors as log lines instead of the end of the show.

Xlib's default error handler prints the failed request and calls exit(1), and SDL's own
handler only restores the video mode before calling that default. So one stray request, such
as a GL context made current on a window that is already gone (BadDrawable), would end a piece
that a gallery runs for weeks. Once SDL's X11 video is up, `log_x_errors` replaces that with a
handler that logs the error and returns, and Xlib goes on. A lost connection to the X server
(an I/O error) is still fatal: Xlib gives its handler no way back, and the supervisor restarts.
"""

from __future__ import annotations

import ctypes
import logging
import threading

log = logging.getLogger(__name__)


class _XErrorEvent(ctypes.Structure):
    _fields_ = [
        ("type", ctypes.c_int),
        ("display", ctypes.c_void_p),
        ("resourceid", ctypes.c_ulong),
        ("serial", ctypes.c_ulong),
        ("error_code", ctypes.c_ubyte),
        ("request_code", ctypes.c_ubyte),
        ("minor_code", ctypes.c_ubyte),
    ]


_HANDLER_TYPE = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.POINTER(_XErrorEvent))
_counts: dict[tuple[int, int], int] = {}  # (error code, request code) -> errors seen
_lock = threading.Lock()
_installed: list = []  # the handler and the library, kept alive as long as Xlib may call it


def log_x_errors() -> bool:
    """Install the logging handler in this process's Xlib; False where there is none. Call it
    after every start of SDL's video: SDL sets its own handler again each time."""
    with _lock:
        if _installed:
            xlib, handler = _installed
            xlib.XSetErrorHandler(handler)
            return True
        try:
            xlib = ctypes.CDLL("libX11.so.6")  # the copy SDL loaded: one per process
        except OSError:
            return False
        xlib.XGetErrorText.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_int]
        xlib.XSetErrorHandler.argtypes = [_HANDLER_TYPE]
        xlib.XSetErrorHandler.restype = ctypes.c_void_p

        def handle(display: int, event) -> int:
            error = event.contents
            text = ctypes.create_string_buffer(128)
            xlib.XGetErrorText(display, error.error_code, text, len(text))
            kind = (error.error_code, error.request_code)
            with _lock:
                seen = _counts[kind] = _counts.get(kind, 0) + 1
            if seen & (seen - 1) == 0:  # the 1st, 2nd, 4th, 8th ... of a kind: a log that stays short
                log.warning(
                    "X error %s (request %d.%d, resource 0x%x), %d so far: ignored, the show goes on",
                    text.value.decode(errors="replace"),
                    error.request_code,
                    error.minor_code,
                    error.resourceid,
                    seen,
                )
            return 0

        handler = _HANDLER_TYPE(handle)
        xlib.XSetErrorHandler(handler)
        _installed.extend((xlib, handler))
        return True
