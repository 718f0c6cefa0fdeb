"""Errors a user can cause, as opposed to bugs.

A ``UsageError`` carries one sentence that names the bad value and what is valid. The CLI
prints it and exits with status 2; the app shows it inline. Anything else is a bug and keeps
its traceback.
"""


class UsageError(ValueError):
    """Bad input from a user: a flag, a form field, a spec file, a data file, a checkpoint."""


NO_SPACE_PREFIX = "no space left on "


class NoSpaceLeft(UsageError):
    """A disk filled up: what could not be written stays as it was (the CLI exits with 3)."""

    def __init__(self, folder: str, needed_bytes: int | None = None) -> None:
        need = f" (need ~{max(1, round(needed_bytes / 2**20))} MB)" if needed_bytes else ""
        super().__init__(f"{NO_SPACE_PREFIX}{folder}{need}")
