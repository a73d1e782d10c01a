"""Errors caused by what a user gave us: reported as one line, never as a traceback."""


class UserError(Exception):
    """A problem with the user's input (a file, an argument, a setting), explained in one line."""


class CheckpointError(UserError):
    """A model file that cannot be loaded: missing, truncated, hostile or of an unsupported kind."""
