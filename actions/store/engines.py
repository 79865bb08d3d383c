"""Database engines: PostgreSQL as configured, and SQLite set up so that concurrent
writers queue up instead of failing.

pysqlite's own deferred BEGIN lets two writers both read, then one fails with "database
is locked" when upgrading to a write lock (the busy timeout does not apply to that
upgrade). Here SQLAlchemy emits the BEGIN, so writes can say ``BEGIN IMMEDIATE`` and take
the lock up front; WAL lets readers carry on while a writer holds it. A session that only
reads (a list page, the state a turn starts from) goes through ``reader(engine)`` and takes
no lock at all, so it never queues behind another process's write.

SQLAlchemy 1.4 gives a SQLite file no pool: every session would open the file and set it up
again (a few milliseconds a turn, over many sessions). Connections are pooled here instead,
as SQLAlchemy 2 does; a busy moment may open more than the pool keeps, and those close when
handed back.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Optional

from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.pool import QueuePool
from sqlmodel import Session, create_engine

from actions.store import commit_signals

BUSY_TIMEOUT_SECONDS = 30.0
#: Open SQLite connections an engine keeps between sessions (one per busy thread, roughly).
SQLITE_POOL_SIZE = 8
#: The execution option of sessions that only read (``reader``).
READ_ONLY = "hitl_read_only"
_READER = "_hitl_reader"  # where an engine keeps its reader (a cycle the collector frees with the engine)


def create_sqlite_engine(url: str, write_option: Optional[str] = None) -> Engine:
    """An engine on a SQLite file.

    With ``write_option``, only connections run with that execution option set take the
    write lock at BEGIN (readers stay cheap); without it, every transaction does.
    """
    database = make_url(url).database
    if not database or database == ":memory:" or "mode=memory" in url:
        raise ValueError(
            f"use a SQLite file URL such as sqlite:///var/data.db, not {url!r}: "
            "an in-memory database is not shared between threads and processes"
        )
    Path(database).parent.mkdir(parents=True, exist_ok=True)
    commit_signals.install()
    engine = create_engine(url, connect_args={"timeout": BUSY_TIMEOUT_SECONDS, "check_same_thread": False},
                           poolclass=QueuePool, pool_size=SQLITE_POOL_SIZE, max_overflow=-1)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_SECONDS * 1000)}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        options = connection.get_execution_options()
        immediate = not options.get(READ_ONLY, False) and (write_option is None or options.get(write_option, False))
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


def reader(engine: Engine) -> Engine:
    """``engine`` for sessions that only read: on SQLite they take no write lock (a write through it
    would fail with "database is locked" under contention, so never write through it). Made once per
    engine: SQLAlchemy builds an option engine slowly, and every read asks for it."""
    made = engine.__dict__.get(_READER)
    if made is None:
        made = engine.__dict__[_READER] = engine.execution_options(**{READ_ONLY: True})
    return made


def create_engine_for(url: str, write_option: Optional[str] = None) -> Engine:
    """An engine for a SQLite file or a PostgreSQL URL (``write_option``: see create_sqlite_engine).

    Sessions on it signal the followers of the tables they change when they commit (``commit_signals``).
    """
    commit_signals.install()
    if make_url(url).get_backend_name() == "sqlite":
        return create_sqlite_engine(url, write_option)
    return create_engine(url, pool_pre_ping=True)


def read_session(engine: Engine) -> Session:
    """A session that only reads (``reader``): on SQLite it never waits for another process's write."""
    return Session(reader(engine))
