"""The assistant's schema, brought to the latest migration at start-up.

The tables are described by the models (``actions/store/tables.py``, and ``handoff/tables.py``
for the shared inbox) and created or changed only by the Alembic revisions in
``actions/store/migrations/versions``. ``upgrade(engine)`` runs at every start of the action
server and of the inbox service, possibly both at once, so it holds a lock for the whole
upgrade: on PostgreSQL a transaction-level advisory lock, on SQLite the write lock that our
engines take at BEGIN (``BEGIN IMMEDIATE``). The second process waits, then finds the schema
already at head. DDL is transactional on both, so a failed upgrade leaves nothing half-done.

A database made before migrations existed (tables created by ``create_all``, no
``alembic_version``) is stamped at the first revision, which describes exactly those tables,
then upgraded like any other.

For developers changing the schema (the database is HITL_DATABASE_URL, else
``var/hitl.db``; ``--url`` overrides both)::

    python -m actions.store.migrate upgrade                  # bring the database to head
    python -m actions.store.migrate current                  # print its revision
    python -m actions.store.migrate revision -m "add inbox notes" --autogenerate
    python -m actions.store.migrate downgrade 0001           # try your downgrade

``revision --autogenerate`` first brings the database to head, then compares it with the
models and writes ``versions/NNNN_<message>.py``, numbered after the last revision. Read it
and fix what it cannot see (renames, data moves, triggers) before committing it; SQLite
changes are written as batch operations, which copy the table. ``tests/test_migrations.py``
fails while a model differs from the schema the revisions build.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Sequence

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import MetaData, inspect, text
from sqlalchemy.engine import Connection, Engine
from sqlmodel.sql.sqltypes import AutoString

from actions.settings import hitl_database_url
from actions.store.engines import create_engine_for
from actions.store.schema import store_metadata
from actions.store.tables import UtcDateTime

SCRIPT_LOCATION = Path(__file__).resolve().with_name("migrations")
FIRST_REVISION = "0001"
# The tables revision 0001 creates: what create_all made before there were migrations.
FIRST_REVISION_TABLES = frozenset(
    {"pending_actions", "otp_challenges", "request_drafts", "audit_log", "handoff_requests", "approval_requests"}
)
# Any fixed number works as long as nothing else in the database locks the same one.
POSTGRES_MIGRATION_LOCK = 0x68_69_74_6C_6D_69_67  # "hitlmig"


class SchemaError(RuntimeError):
    """The database is in a state the migrations cannot safely start from."""


def alembic_config(connection: Optional[Connection] = None) -> Config:
    """Alembic's configuration without an alembic.ini; env.py runs on ``connection``."""
    config = Config()
    config.set_main_option("script_location", str(SCRIPT_LOCATION).replace("%", "%%"))
    config.set_main_option("file_template", "%%(rev)s_%%(slug)s")
    config.attributes["connection"] = connection
    return config


def context_options(connection: Connection) -> Dict[str, Any]:
    """How Alembic sees the assistant's database, for env.py and for ``schema_differences``.

    Only the tables on the assistant's metadata are compared: APScheduler keeps its job
    table in the same database, and autogenerate must neither drop it nor copy it into a
    revision. So removing a model does not make autogenerate drop its table: write the
    ``op.drop_table`` by hand. Everything lives in the connection's current schema (the
    first of PostgreSQL's search_path), alembic_version included.
    """
    return {
        "target_metadata": store_metadata(),
        "include_name": _in(store_metadata()),
        "render_item": _render_item,
        "compare_type": True,
        "include_schemas": False,
        "version_table_schema": None,
        # SQLite cannot ALTER most things in place; batch mode copies the table instead.
        "render_as_batch": connection.dialect.name == "sqlite",
    }


def schema_differences(engine: Engine, metadata: Optional[MetaData] = None) -> List[Any]:
    """What autogenerate would put in a new revision: empty when the models match the database.

    ``metadata`` defaults to the models; tests pass another to compare two schemas.
    """
    with engine.connect() as connection:
        options = context_options(connection)
        if metadata is not None:
            options.update(target_metadata=metadata, include_name=_in(metadata))
        context = MigrationContext.configure(connection, opts=options)
        return compare_metadata(context, options["target_metadata"])


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the database to ``revision`` (normally head), one process at a time."""
    with engine.begin() as connection:
        _lock_for_migrations(connection)
        config = alembic_config(connection)
        if _made_by_create_all(connection):
            command.stamp(config, FIRST_REVISION)
        command.upgrade(config, revision)


def downgrade(engine: Engine, revision: str) -> None:
    """Take the database back to ``revision`` ("base" drops every table); for developers and tests."""
    with engine.begin() as connection:
        _lock_for_migrations(connection)
        command.downgrade(alembic_config(connection), revision)


def current_revision(engine: Engine) -> Optional[str]:
    """The revision the database is at, or None before the first upgrade."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision() -> Optional[str]:
    """The latest revision in ``migrations/versions``."""
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def next_revision_id() -> str:
    """The number after the highest numbered revision, so files sort in the order they apply."""
    numbers = [
        int(script.revision)
        for script in ScriptDirectory.from_config(alembic_config()).walk_revisions()
        if re.fullmatch(r"\d+", script.revision)
    ]
    return f"{max(numbers, default=0) + 1:04d}"


def _in(metadata: MetaData) -> Callable[[Optional[str], str, Any], bool]:
    """An include_name hook that reflects only the tables of ``metadata``."""

    def include_name(name: Optional[str], type_: str, parent_names: Any) -> bool:
        return name in metadata.tables if type_ == "table" else True

    return include_name


def _render_item(type_: str, obj: Any, autogen_context: Any) -> Any:
    """Write column types as plain SQLAlchemy types, so a revision never imports the models.

    A revision is a snapshot: it must keep working after the model code moves on.
    """
    if type_ != "type":
        return False
    if isinstance(obj, UtcDateTime):
        return "sa.DateTime(timezone=True)"
    if isinstance(obj, AutoString):
        return f"sa.String(length={obj.length})" if obj.length else "sa.String()"
    return False


def _lock_for_migrations(connection: Connection) -> None:
    """Serialise migrating processes until this transaction ends.

    SQLite needs nothing here: the engine began this transaction with BEGIN IMMEDIATE, which
    already holds the database's single write lock.
    """
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": POSTGRES_MIGRATION_LOCK})
    elif connection.dialect.name != "sqlite":
        raise SchemaError(f"migrations support SQLite and PostgreSQL, not {connection.dialect.name}")


def _made_by_create_all(connection: Connection) -> bool:
    """True for a database whose tables predate migrations: they exist but were never stamped."""
    tables = set(inspect(connection).get_table_names())
    if "alembic_version" in tables:
        return False
    present = FIRST_REVISION_TABLES & tables
    if not present:
        return False
    if present != FIRST_REVISION_TABLES:
        missing = ", ".join(sorted(FIRST_REVISION_TABLES - present))
        raise SchemaError(
            f"the database has some of the assistant's tables but not {missing}, and no alembic_version: "
            "it was not made by this application's create_all; repair it or point HITL_DATABASE_URL elsewhere"
        )
    return True


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m actions.store.migrate", description="Migrate the assistant's database, or write a new migration."
    )
    parser.add_argument("--url", default=None, help="database URL (default: HITL_DATABASE_URL, else var/hitl.db)")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("upgrade", help="bring the database to head")
    commands.add_parser("current", help="print the database's revision")
    down = commands.add_parser("downgrade", help="go back to a revision (base: drop everything)")
    down.add_argument("revision")
    rev = commands.add_parser("revision", help="write a new revision file")
    rev.add_argument("-m", "--message", required=True)
    rev.add_argument("--autogenerate", action="store_true", help="fill it from the models vs. the database")
    args = parser.parse_args(argv)

    engine = create_engine_for(args.url or hitl_database_url())
    try:
        if args.command == "upgrade":
            upgrade(engine)
        elif args.command == "downgrade":
            downgrade(engine, args.revision)
        elif args.command == "current":
            _print_current(engine)
        else:
            _write_revision(engine, args.message, args.autogenerate)
    except (CommandError, SchemaError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    finally:
        engine.dispose()
    return 0


def _print_current(engine: Engine) -> None:
    revision = current_revision(engine)
    if revision is None:
        print("(none: the database has not been migrated)")
    else:
        print(f"{revision} (head)" if revision == head_revision() else f"{revision} (head is {head_revision()})")


def _write_revision(engine: Engine, message: str, autogenerate: bool) -> None:
    """A new revision file; with ``autogenerate``, what the models add to the schema at head.

    The database is brought to head first: autogenerate compares against it.
    """
    if not autogenerate:
        command.revision(alembic_config(), message=message, rev_id=next_revision_id())
        return
    upgrade(engine)
    with engine.begin() as connection:
        command.revision(alembic_config(connection), message=message, autogenerate=True, rev_id=next_revision_id())


if __name__ == "__main__":
    sys.exit(main())
