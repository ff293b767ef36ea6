"""The one error type users see: the CLI prints its message (never a traceback) and exits non-zero."""


class HubtoolsError(Exception):
    """A problem the user can fix: bad input, a missing repo or revision, a failed precondition."""
