"""Alembic environment for the assistant's database.

Run through ``actions.store.migrate`` (or ``python -m actions.store.migrate``), which opens
the transaction, takes the migration lock and hands the connection over in
``config.attributes["connection"]``; there is no alembic.ini and no offline (--sql) mode.
What is compared and how is in ``actions.store.migrate.context_options``.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from actions.store.migrate import context_options


def run_migrations(connection: Connection) -> None:
    context.configure(connection=connection, **context_options(connection))
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    raise RuntimeError("offline (--sql) migrations are not supported; run python -m actions.store.migrate")

_connection = context.config.attributes.get("connection")
if _connection is None:
    raise RuntimeError("run the migrations through actions.store.migrate, which supplies the connection")
run_migrations(_connection)
