"""Errors a user can cause, as opposed to bugs.

A ``UsageError`` carries one sentence that names the bad value and what is valid. The CLI
prints it and exits with status 2; the app shows it inline. Anything else is a bug and keeps
its traceback.
"""


class UsageError(ValueError):
    """Bad input from a user: a flag, a form field, a spec file, a data file, a checkpoint."""
