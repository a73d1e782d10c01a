"""Why one source file was left out of a data set."""


class Skip(Exception):
    """A source that cannot be used; its message is the reason shown in the report."""
