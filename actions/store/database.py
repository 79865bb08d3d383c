"""Engine construction for the assistant's stores: SQLite by default, PostgreSQL when configured."""

from __future__ import annotations

from sqlalchemy.engine import Engine

from actions.store import migrate
from actions.store.engines import create_engine_for


def make_engine(url: str) -> Engine:
    """An engine for ``url`` whose schema is at the latest migration.

    On SQLite every transaction takes the write lock when it starts, so two workers racing
    on the same row queue up instead of failing with 'database is locked'; the same lock
    lets two processes starting at once migrate one after the other (see ``migrate``).
    """
    engine = create_engine_for(url)
    migrate.upgrade(engine)
    return engine
