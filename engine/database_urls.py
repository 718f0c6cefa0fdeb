"""Database URLs as users type them (``postgresql://user:pw@host:port/db``), made usable and
printable: the installed driver named, the password hidden in messages or taken apart."""

from __future__ import annotations

import importlib.util


def with_installed_driver(url: str) -> str:
    """``postgresql://`` with the driver that is installed: SQLAlchemy 2.1 defaults to psycopg
    (3), while psycopg2-binary is the one with wheels everywhere. Used for Optuna's storage,
    MLflow's client and ``mlflow server`` alike."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix) and importlib.util.find_spec("psycopg") is None:
            if importlib.util.find_spec("psycopg2") is not None:
                return "postgresql+psycopg2://" + url[len(prefix) :]
    return url


def hide_password(url: str) -> str:
    scheme, sep, rest = url.partition("://")
    credentials, at, host = rest.rpartition("@")
    if not at or ":" not in credentials:
        return url
    return f"{scheme}{sep}{credentials.split(':', 1)[0]}:***@{host}"


def split_password(url: str) -> tuple[str, str]:
    """``url`` without its password, and the password (``""`` when it has none): the URL may
    then be printed, logged or put on a command line, the password given apart (libpq reads
    ``PGPASSWORD``)."""
    scheme, sep, rest = url.partition("://")
    credentials, at, host = rest.rpartition("@")
    if not sep or not at or ":" not in credentials:
        return url, ""
    user, _, password = credentials.partition(":")
    from urllib.parse import unquote

    return f"{scheme}{sep}{user}@{host}", unquote(password)
