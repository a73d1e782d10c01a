"""Why a window could not be opened, said in one line with what to do instead."""

from installation.errors import UserError


class DisplayUnavailable(UserError):
    """No screen to play on (a headless machine, a refused X or Wayland connection, a monitor
    that is not there). `cause` is the reason alone, without the advice `hint` adds."""

    def __init__(self, cause: str, hint: str = "") -> None:
        super().__init__(f"{cause}: {hint}" if hint else cause)
        self.cause = cause
