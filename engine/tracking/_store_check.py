"""Is a workspace's ``mlflow.db`` an MLflow store? Checked before MLflow opens it.

MLflow opens whatever file it is given: random bytes or a truncated store end in dozens of
lines of SQLAlchemy traceback, and an SQLite database of another program gets MLflow's tables
created inside it. ``check_sqlite_store`` reads the file (never writes it) and raises one
``UsageError`` naming it and what is wrong. A file that is absent, empty, or an SQLite
database without tables yet is a new store: MLflow creates its tables there.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from engine.errors import UsageError

SQLITE_HEADER = b"SQLite format 3\x00"
HEADER_BYTES = 100
# Tables every MLflow store has had since its first schema (alembic_version: its migrations).
MLFLOW_TABLES = frozenset({"alembic_version", "experiments", "runs"})
# ``PRAGMA quick_check`` reads every page: ~0.5 s for a 670 MB store on a warm cache (measured
# here). Larger stores get the checks that cost nothing (header, size, tables), which find
# the truncated, random and foreign files; damage inside one page is MLflow's to report.
QUICK_CHECK_MAX_BYTES = 256 * 2**20


def check_sqlite_store(path: Path) -> None:
    """Raise ``UsageError`` unless ``path`` is absent, empty or looks like an MLflow store."""
    try:
        size = path.stat().st_size
        with open(path, "rb") as stream:
            header = stream.read(HEADER_BYTES)
    except FileNotFoundError:
        return
    except OSError as error:
        raise UsageError(f"{path} cannot be read: {error.strerror or error}") from None
    if size == 0:
        return
    if not header.startswith(SQLITE_HEADER):
        _refuse(path, "not an SQLite database: its first bytes are not SQLite's header")
    truncated = _truncation(path, header, size)
    if truncated:
        _refuse(path, truncated)
    try:
        # mode=rw: never creates a file; reading writes nothing (a hot journal left by a
        # crash is rolled back, as any opener of the store would).
        connection = sqlite3.connect(f"{path.absolute().as_uri()}?mode=rw", uri=True)
    except sqlite3.Error as error:
        _refuse(path, f"SQLite cannot open it: {error}")
    try:
        problem = _problem(connection, path)
    except sqlite3.Error as error:
        problem = f"a damaged SQLite database: {error}"
    finally:
        connection.close()
    if problem:
        _refuse(path, problem)


def _problem(connection: sqlite3.Connection, path: Path) -> str | None:
    tables = {name for (name,) in connection.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
    )}  # fmt: skip
    if path.stat().st_size <= QUICK_CHECK_MAX_BYTES:
        found = [row[0] for row in connection.execute("PRAGMA quick_check(1)")]
        if found != ["ok"]:
            return f"a damaged SQLite database: {found[0] if found else 'no answer'}"
    if tables and not MLFLOW_TABLES <= tables:
        missing = ", ".join(sorted(MLFLOW_TABLES - tables))
        held = ", ".join(sorted(tables)[:5]) + (", ..." if len(tables) > 5 else "")
        return f"an SQLite database of something else: no {missing} table; it holds {held}"
    return None


def _truncation(path: Path, header: bytes, size: int) -> str | None:
    """What is missing, when the file is shorter than its header says (SQLite's file format:
    page size at byte 16, page count at 28, valid when the change counter at 24 matches the
    one at 92)."""
    if len(header) < HEADER_BYTES:
        return f"truncated: {size} bytes, less than SQLite's {HEADER_BYTES}-byte header"
    page_size = int.from_bytes(header[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    pages = int.from_bytes(header[28:32], "big")
    counted = pages > 0 and header[24:28] == header[92:96]
    # A crash in a write leaves the journal SQLite rolls back on opening (rollback mode), or
    # the newest pages in the -wal file: the main file may be short until then.
    pending = any(path.with_name(path.name + end).exists() for end in ("-journal", "-wal"))
    if counted and not pending and page_size * pages > size:
        return f"truncated: {size} of its {page_size * pages} bytes are there"
    return None


def _refuse(path: Path, problem: str) -> None:
    choose = "--workspace" if path.name == "mlflow.db" else "--tracking-uri"
    raise UsageError(
        f"{path} is not an MLflow store ({problem}); move it away or choose another {choose}"
    )
