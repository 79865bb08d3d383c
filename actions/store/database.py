"""Engine construction for the assistant's stores: SQLite by default, PostgreSQL when configured."""

from __future__ import annotations

from sqlalchemy.engine import Engine, make_url
from sqlmodel import create_engine

from actions.store.sqlite import create_sqlite_engine
from actions.store.tables import StoreTable


def make_engine(url: str) -> Engine:
    """An engine for ``url`` with the tables created.

    On SQLite every transaction takes the write lock when it starts, so two workers racing
    on the same row queue up instead of failing with 'database is locked'.
    """
    if make_url(url).get_backend_name() == "sqlite":
        engine = create_sqlite_engine(url)
    else:
        engine = create_engine(url, pool_pre_ping=True)
    StoreTable.metadata.create_all(engine)
    return engine
