"""Engines, sessions and migrations.

SQLite connections get WAL, foreign keys and a busy timeout on every connect;
the SQLite file's folder is created when missing. Other databases' connections
are checked before each use (``pool_pre_ping``), so a connection the server
dropped is replaced silently; one dropped in the middle of a transaction fails
that transaction, is discarded, and the caller retries. Migrations are Alembic's,
run programmatically so an installed package needs no alembic.ini.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlmodel import Session

T = TypeVar("T")

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


class _PipelineLostFilter(logging.Filter):
    """Drops psycopg's second report of a lost connection, made while it closes the
    pipeline of a failed executemany: the failed statement already raised, and its
    caller logs that once."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        return not (message.startswith("error ignored terminating") and "connection" in message)


_PIPELINE_FILTER = _PipelineLostFilter()


def _sqlite_on_connect(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def make_engine(url: str, *, echo: bool = False) -> Engine:
    """Create an engine for `url`; for an SQLite file, create its folder and set pragmas."""
    parsed = make_url(url)
    kwargs: dict[str, Any] = {"echo": echo}
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database and database != ":memory:" and not database.startswith("file:"):
            Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        kwargs["connect_args"] = {"check_same_thread": False, "timeout": 10}
    else:
        kwargs["pool_pre_ping"] = True
        if parsed.get_backend_name() == "postgresql":
            logging.getLogger("psycopg").addFilter(_PIPELINE_FILTER)  # added once
    engine = create_engine(url, **kwargs)
    if parsed.get_backend_name() == "sqlite":
        event.listen(engine, "connect", _sqlite_on_connect)
    return engine


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """A session that commits on success and rolls back on error."""
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


def in_transaction(engine: Engine, work: Callable[..., T], /, **kwargs: Any) -> T:
    """``work(session, **kwargs)`` in one transaction, committed when it returns."""
    with session_scope(engine) as session:
        return work(session, **kwargs)


def alembic_config() -> Config:
    """An Alembic config pointing at the packaged migrations."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Apply migrations up to `revision` (default: the newest)."""
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def downgrade(engine: Engine, revision: str) -> None:
    """Revert migrations down to `revision` (`base` empties the schema)."""
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, revision)


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at, or None when it has never been migrated."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision() -> str | None:
    """The newest revision the package ships."""
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def backup_sqlite(engine: Engine, target: Path) -> int:
    """Copy a live SQLite database to `target` with SQLite's online backup; returns its size.

    Safe while the bot runs: the backup API copies a consistent snapshot page by
    page, and writers are only paused briefly between steps.
    """
    if engine.dialect.name != "sqlite":
        raise ValueError("online backup is for SQLite; back PostgreSQL up with pg_dump")
    target.parent.mkdir(parents=True, exist_ok=True)
    with engine.connect() as connection:
        source = connection.connection.driver_connection
        assert isinstance(source, sqlite3.Connection)
        destination = sqlite3.connect(target)
        try:
            source.backup(destination, pages=1024)
        finally:
            destination.close()
    return target.stat().st_size
