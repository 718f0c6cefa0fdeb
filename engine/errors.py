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


# How a full disk shows once a library has wrapped it: SQLite says "database or disk is full"
# (SQLITE_FULL), a Python write says errno 28 ENOSPC (or EDQUOT for a quota), safetensors'
# Rust code "os error 28", and MLflow's stores, ``shutil.copytree`` (one error for many files)
# and Netyard's metric writer process pass the text on inside errors of their own.
_NO_SPACE_TEXTS = (
    "database or disk is full",
    "no space left on device",
    "disk quota exceeded",
    "os error 28",
)


def as_no_space(error: BaseException, folder: str) -> NoSpaceLeft | None:
    """``error`` as a ``NoSpaceLeft`` naming ``folder`` if a full disk caused it (anywhere in
    its chain of causes), else ``None``."""
    import errno

    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, NoSpaceLeft):
            return current
        if isinstance(current, OSError) and current.errno in (errno.ENOSPC, errno.EDQUOT):
            return NoSpaceLeft(folder)
        if any(text in str(current).lower() for text in _NO_SPACE_TEXTS):
            return NoSpaceLeft(folder)
        current = current.__cause__ or current.__context__
    return None
