"""The assistant's schema is built by its migrations, on a SQLite file and on PostgreSQL.

Scenarios: a fresh install, an install from before migrations existed, services starting
at the same moment, a developer undoing a revision, and a model changed without one.
PostgreSQL tests run in a throwaway schema and are skipped only when no server answers.
"""

from __future__ import annotations

import shutil
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from pprint import pformat
from typing import Iterator, List, Set

import pytest
from sqlalchemy import (
    Column,
    DateTime,
    MetaData,
    String,
    bindparam,
    event,
    inspect,
    text,
)
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError

from actions.store import migrate
from actions.store.database import make_engine
from actions.store.engines import create_engine_for
from actions.store.schema import import_if_present, store_metadata
from actions.store.sql import sql_stores
from tests.support.legacy_schema import create_legacy_schema
from tests.support.postgres import postgres_schema_url
from tests.support.processes import race_processes

BACKENDS = ["sqlite", "postgresql"]
REVISION_COMMAND = 'python -m actions.store.migrate revision -m "<what changed>" --autogenerate'
NOW = datetime(2026, 11, 21, 12, 0, tzinfo=timezone.utc)
PHONE = "+15550100001"


@contextmanager
def database_url(backend: str, tmp_path: Path, name: str = "hitl") -> Iterator[str]:
    """A SQLite file, or a PostgreSQL schema that exists for one test."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / name}.db"
        return
    with postgres_schema_url(f"migrations_{name}") as url:
        yield url


@contextmanager
def engine_on(url: str) -> Iterator[Engine]:
    """An engine on ``url`` that has not touched the schema."""
    engine = create_engine_for(url)
    try:
        yield engine
    finally:
        engine.dispose()


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def url(backend: str, tmp_path: Path) -> Iterator[str]:
    with database_url(backend, tmp_path) as database:
        yield database


def assert_schema_matches_models(engine: Engine) -> None:
    differences = migrate.schema_differences(engine)
    assert differences == [], (
        "The schema the migrations build differs from the models:\n"
        f"{pformat(differences)}\n"
        f"A model changed without a migration: write one with\n    {REVISION_COMMAND}\n"
        "then read the file it writes in actions/store/migrations/versions before committing it."
    )


def own_tables(engine: Engine) -> Set[str]:
    return set(inspect(engine).get_table_names()) - {"alembic_version"}


def audit_guards(engine: Engine) -> Set[str]:
    """The names of the triggers that keep the audit log append-only."""
    with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            query = "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'audit_log'"
        else:
            query = (
                "SELECT tgname FROM pg_trigger JOIN pg_class ON pg_class.oid = tgrelid "
                "JOIN pg_namespace ON pg_namespace.oid = relnamespace "
                "WHERE relname = 'audit_log' AND nspname = current_schema() AND NOT tgisinternal"
            )
        return {row[0] for row in connection.execute(text(query))}


def guard_functions_here(engine: Engine) -> int:
    """How many audit guard functions PostgreSQL has in the connection's own schema."""
    with engine.connect() as connection:
        return connection.execute(text(
            "SELECT count(*) FROM pg_proc JOIN pg_namespace ON pg_namespace.oid = pronamespace "
            "WHERE proname = 'audit_log_append_only' AND nspname = current_schema()"
        )).scalar_one()


def record_in_audit_log(engine: Engine, conversation_id: str) -> None:
    """An audit row written with the columns every revision has (the models may have more)."""
    statement = text(
        "INSERT INTO audit_log (at, actor, event, conversation_id, reasons_json, detail_json) "
        "VALUES (:at, 'assistant', 'requested', :conversation_id, '[]', '{}')"
    ).bindparams(bindparam("at", type_=DateTime(timezone=True)))
    with engine.begin() as connection:
        connection.execute(statement, {"at": NOW, "conversation_id": conversation_id})


def test_a_new_install_gets_exactly_the_schema_the_models_describe(url: str) -> None:
    engine = make_engine(url)
    try:
        assert migrate.current_revision(engine) == migrate.head_revision()
        assert_schema_matches_models(engine)
        assert own_tables(engine) == set(store_metadata().tables)
        assert "alembic_version" in inspect(engine).get_table_names()  # in this schema, not public
    finally:
        engine.dispose()


def test_migrating_creates_each_audit_guard_once(url: str) -> None:
    """The models' after_create hook belongs to create_all: a migration's tables do not fire it."""
    engine = create_engine_for(url)
    statements: List[str] = []
    event.listen(engine, "before_cursor_execute", lambda _c, _cur, statement, *_: statements.append(statement))
    try:
        migrate.upgrade(engine)
    finally:
        engine.dispose()

    guards = [s for s in statements if "CREATE TRIGGER" in s.upper() and "audit_log" in s]
    assert len(guards) == (1 if engine.dialect.name == "postgresql" else 2), guards


def test_a_model_changed_without_a_revision_is_reported(url: str) -> None:
    """The guard above really looks: a column the migrations never added is a difference."""
    models_plus_one_column = MetaData()
    for table in store_metadata().tables.values():
        table.to_metadata(models_plus_one_column)
    models_plus_one_column.tables["audit_log"].append_column(Column("reviewed_by", String(), nullable=True))

    engine = make_engine(url)
    try:
        differences = migrate.schema_differences(engine, models_plus_one_column)
    finally:
        engine.dispose()

    assert [(d[0], d[2], d[3].name) for d in differences] == [("add_column", "audit_log", "reviewed_by")]


def test_the_audit_log_stays_append_only_after_migrating(url: str, backend: str) -> None:
    engine = make_engine(url)
    try:
        record_in_audit_log(engine, PHONE)
        for change in ("UPDATE audit_log SET actor = 'someone else'", "DELETE FROM audit_log"):
            with pytest.raises(DBAPIError, match="append-only"):
                with engine.begin() as connection:
                    connection.execute(text(change))

        assert [e.conversation_id for e in sql_stores(engine).audit.entries(PHONE)] == [PHONE]
        if backend == "sqlite":
            assert audit_guards(engine) == {"audit_log_no_update", "audit_log_no_delete"}
        else:
            assert audit_guards(engine) == {"audit_log_append_only"}
            assert guard_functions_here(engine) == 1
    finally:
        engine.dispose()


def test_each_postgres_schema_gets_its_own_audit_guard(tmp_path: Path) -> None:
    """Two installs in two schemas of one database: dropping one leaves the other guarded."""
    with database_url("postgresql", tmp_path, "first") as first_url:
        with database_url("postgresql", tmp_path, "second") as second_url:
            first, second = make_engine(first_url), make_engine(second_url)
            try:
                migrate.downgrade(first, "base")
                assert guard_functions_here(first) == 0

                record_in_audit_log(second, PHONE)
                with pytest.raises(DBAPIError, match="append-only"):
                    with second.begin() as connection:
                        connection.execute(text("DELETE FROM audit_log"))
            finally:
                first.dispose()
                second.dispose()


def test_a_developer_can_undo_every_revision_and_redo_them(url: str, backend: str) -> None:
    engine = make_engine(url)
    try:
        migrate.downgrade(engine, "base")
        assert own_tables(engine) == set()
        assert migrate.current_revision(engine) is None
        if backend == "postgresql":
            assert guard_functions_here(engine) == 0

        migrate.upgrade(engine)
        assert_schema_matches_models(engine)
        assert audit_guards(engine)
    finally:
        engine.dispose()


def test_an_install_from_before_migrations_is_stamped_upgraded_and_keeps_its_rows(url: str) -> None:
    with engine_on(url) as old_release:
        create_legacy_schema(old_release)
        record_in_audit_log(old_release, PHONE)
        with old_release.begin() as connection:
            connection.execute(text(
                "INSERT INTO request_drafts (conversation_id, request, fields_json, missing) "
                "VALUES (:conversation_id, 'refund', '{\"order_id\": \"1001\"}', 'amount')"
            ), {"conversation_id": PHONE})

    engine = make_engine(url)
    try:
        assert migrate.current_revision(engine) == migrate.head_revision()
        assert_schema_matches_models(engine)
        stores = sql_stores(engine)
        assert [e.at for e in stores.audit.entries(PHONE)] == [NOW]
        draft = stores.drafts.get(PHONE)
        assert draft is not None and draft.request == "refund"
    finally:
        engine.dispose()


def test_the_first_revision_builds_what_create_all_built(backend: str, tmp_path: Path) -> None:
    """Revision 0001 is what existing installs are stamped with, so it must match them exactly."""
    with database_url(backend, tmp_path, "legacy") as legacy_url, database_url(backend, tmp_path, "fresh") as fresh_url:
        with engine_on(legacy_url) as legacy, engine_on(fresh_url) as fresh:
            create_legacy_schema(legacy)
            migrate.upgrade(fresh, migrate.FIRST_REVISION)
            first_revision = MetaData()
            first_revision.reflect(bind=fresh)
            first_revision.remove(first_revision.tables["alembic_version"])

            assert set(first_revision.tables) == migrate.FIRST_REVISION_TABLES
            assert migrate.schema_differences(legacy, first_revision) == []
            assert audit_guards(fresh) == audit_guards(legacy)


def test_a_database_with_only_some_of_the_tables_is_refused(tmp_path: Path) -> None:
    with engine_on(f"sqlite:///{tmp_path / 'odd.db'}") as engine:
        with engine.begin() as connection:
            connection.execute(text("CREATE TABLE audit_log (id INTEGER PRIMARY KEY)"))

        with pytest.raises(migrate.SchemaError, match="not approval_requests"):
            migrate.upgrade(engine)


def start_a_service(url: str) -> None:
    """What the action server and the inbox service do first (run in a new process)."""
    make_engine(url).dispose()


def test_services_starting_at_the_same_moment_all_migrate(url: str) -> None:
    """The action server and the inbox service, each restarted once, all start together."""
    race_processes(4, start_a_service, url)

    with engine_on(url) as engine:
        assert migrate.current_revision(engine) == migrate.head_revision()
        assert_schema_matches_models(engine)
        assert audit_guards(engine)


def test_the_command_line_upgrades_reports_and_writes_the_next_revision(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    scripts = tmp_path / "migrations"
    shutil.copytree(migrate.SCRIPT_LOCATION, scripts, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(migrate, "SCRIPT_LOCATION", scripts)
    monkeypatch.setenv("HITL_DATABASE_URL", f"sqlite:///{tmp_path / 'dev.db'}")
    head = migrate.head_revision()
    expected_id = f"{int(head) + 1:04d}"

    assert migrate.main(["current"]) == 0
    assert "not been migrated" in capsys.readouterr().out
    assert migrate.main(["upgrade"]) == 0
    assert migrate.main(["current"]) == 0
    assert capsys.readouterr().out.strip() == f"{head} (head)"

    assert migrate.main(["revision", "-m", "nothing changed", "--autogenerate"]) == 0
    written = (scripts / "versions" / f"{expected_id}_nothing_changed.py").read_text()
    assert f"down_revision: Union[str, Sequence[str], None] = '{head}'" in written
    assert "op." not in written, f"the models differ from head; write a revision with {REVISION_COMMAND}"


def test_the_inbox_models_are_optional_but_their_errors_are_not(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import_if_present("handoff.no_such_module")

    (tmp_path / "models_with_a_missing_dependency.py").write_text("import no_such_dependency\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(ModuleNotFoundError, match="no_such_dependency"):
        import_if_present("models_with_a_missing_dependency")
