"""Errors caused by what a user gave us: reported as one line, never as a traceback.

`describe_failure` is the one policy for a failure the running show survives (a reload, a
surface that cannot start): a UserError is its own line; anything else is our bug, logged with
its traceback and shown as "internal error: see the log"."""

from __future__ import annotations

import logging

INTERNAL = "internal error: see the log"


class UserError(Exception):
    """A problem with the user's input (a file, an argument, a setting), explained in one line."""


class CheckpointError(UserError):
    """A model file that cannot be loaded: missing, truncated, hostile or of an unsupported kind."""


def describe_failure(error: BaseException, log: logging.Logger) -> str:
    """The line to show for `error`; a failure that is not a UserError is logged to `log` with
    its traceback first."""
    if isinstance(error, UserError):
        return str(error)
    log.error("%s: %s", type(error).__name__, error, exc_info=error)
    return INTERNAL
