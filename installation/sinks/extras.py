"""Optional libraries of the output sinks: a missing one is named with its pip command."""

from __future__ import annotations

import importlib
import sys
from types import ModuleType

from installation.errors import UserError

PLATFORMS = {"darwin": "macOS", "win32": "Windows", "linux": "Linux"}


def require(module: str, extra: str, what: str) -> ModuleType:
    """Import `module`, or say in one line which extra brings it."""
    try:
        return importlib.import_module(module)
    except ImportError:
        raise UserError(f"{what} needs the {extra} extra: pip install 'installation[{extra}]'") from None


def require_platform(platform: str, what: str) -> None:
    """Syphon exists only on macOS, Spout only on Windows: say so on any other system."""
    if sys.platform != platform:
        here = PLATFORMS.get(sys.platform, sys.platform)
        raise UserError(f"{what} exists only on {PLATFORMS[platform]}; this is {here}")
