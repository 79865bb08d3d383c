"""Engine construction for the assistant's stores: SQLite by default, PostgreSQL when configured."""

from __future__ import annotations

from sqlalchemy.engine import Engine

from actions.store.engines import create_engine_for
from actions.store.tables import StoreTable


def make_engine(url: str) -> Engine:
    """An engine for ``url`` with the tables created.

    On SQLite every transaction takes the write lock when it starts, so two workers racing
    on the same row queue up instead of failing with 'database is locked'.
    """
    engine = create_engine_for(url)
    StoreTable.metadata.create_all(engine)
    return engine
