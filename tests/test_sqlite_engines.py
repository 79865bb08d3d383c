"""SQLite engines: pooled connections, writers that queue up, and readers that never wait for a writer."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from sqlalchemy import text

from actions.store.engines import create_sqlite_engine, read_session, reader


def test_a_reader_reads_while_another_connection_holds_the_write_lock(tmp_path: Path) -> None:
    engine = create_sqlite_engine(f"sqlite:///{tmp_path / 'hitl.db'}")
    with engine.begin() as setup:
        setup.exec_driver_sql("CREATE TABLE notes (body TEXT)")
        setup.exec_driver_sql("INSERT INTO notes VALUES ('kept')")
    writing = engine.connect()
    writing.begin()  # BEGIN IMMEDIATE: the write lock, held
    writing.exec_driver_sql("INSERT INTO notes VALUES ('not yet committed')")
    try:
        started = time.monotonic()
        with read_session(engine) as session:
            bodies = [row[0] for row in session.execute(text("SELECT body FROM notes"))]
        assert bodies == ["kept"]
        assert time.monotonic() - started < 1.0  # a writer's transaction would wait out the 30 s busy timeout
    finally:
        writing.rollback()
        writing.close()


def test_a_writer_waits_for_the_write_lock_instead_of_failing(tmp_path: Path) -> None:
    engine = create_sqlite_engine(f"sqlite:///{tmp_path / 'hitl.db'}")
    with engine.begin() as setup:
        setup.exec_driver_sql("CREATE TABLE notes (body TEXT)")
    first = engine.connect()
    first.begin()
    first.exec_driver_sql("INSERT INTO notes VALUES ('first')")
    releasing = threading.Timer(0.3, lambda: (first.commit(), first.close()))
    releasing.start()
    with engine.begin() as second:  # waits for the first writer's commit, then goes on
        second.exec_driver_sql("INSERT INTO notes VALUES ('second')")
    releasing.join()
    with reader(engine).connect() as check:
        assert [row[0] for row in check.exec_driver_sql("SELECT body FROM notes ORDER BY rowid")] == ["first", "second"]


def test_connections_are_kept_between_sessions(tmp_path: Path) -> None:
    engine = create_sqlite_engine(f"sqlite:///{tmp_path / 'hitl.db'}")
    with engine.connect() as one:
        first = one.connection.dbapi_connection
    with engine.connect() as two:
        assert two.connection.dbapi_connection is first
