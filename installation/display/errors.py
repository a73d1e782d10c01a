"""Why a window could not be opened, said in one line with what to do instead."""

from installation.errors import UserError


class DisplayUnavailable(UserError):
    """No screen to play on (a headless machine, a refused X or Wayland connection)."""
