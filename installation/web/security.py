"""Who may use the page: loopback is trusted; beyond it a token and the sender allow-list.

The token travels in the WebSocket URL (`/ws?token=...`), set by the page from its own address
(`http://host:port/?token=...`), so a technician can bookmark it on a phone.
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
import os
import secrets
import time

log = logging.getLogger(__name__)

TOKEN_VARIABLE = "INSTALLATION_WEB_TOKEN"


def is_loopback(host: str) -> bool:
    return ipaddress.ip_address(host).is_loopback


def resolve_token(host: str, configured: str) -> str | None:
    """The token the page needs: none on loopback; else the show's, the environment's, or a new
    one (logged, so whoever started the show can read it off the console)."""
    if is_loopback(host):
        return None
    token = configured or os.environ.get(TOKEN_VARIABLE, "")
    if not token:
        token = secrets.token_urlsafe(12)
        log.warning("web page token (set [web] token or $%s to keep one): %s", TOKEN_VARIABLE, token)
    return token


def token_ok(expected: str | None, given: str | None) -> bool:
    if expected is None:
        return True
    return given is not None and hmac.compare_digest(expected.encode(), given.encode())


class RateLimit:
    """A token bucket: `rate` writes a second on average, bursts of up to `burst`."""

    def __init__(self, rate: float, burst: float | None = None, clock=time.monotonic) -> None:
        self.rate, self.burst, self._clock = rate, burst or rate, clock
        self._level, self._at = self.burst, clock()

    def take(self) -> bool:
        now = self._clock()
        self._level = min(self.burst, self._level + (now - self._at) * self.rate)
        self._at = now
        if self._level < 1:
            return False
        self._level -= 1
        return True
