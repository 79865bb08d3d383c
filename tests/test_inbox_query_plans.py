"""The inbox's hot reads are served by their indexes, on SQLite and on PostgreSQL.

A dropped or mistyped index would still give right answers, only slowly at 100k tickets, so the
benchmark would be the first to notice. Here the real store calls run with every SQL statement
recorded, and each recorded read is explained by the database (``EXPLAIN QUERY PLAN`` on SQLite,
``EXPLAIN`` on PostgreSQL with sequential scans priced out, as on a table too big to scan): the
plan must name the index, and on SQLite must not sort (the index gives the order).
"""

from __future__ import annotations

from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Iterator, List, Tuple

import pytest
from sqlalchemy import event
from sqlalchemy.engine import Engine

from actions.domain.closed_search import ClosedQuery, Cursor
from actions.domain.search_terms import customer_terms, word_terms
from actions.store.migrate import downgrade, upgrade
from handoff.store import InboxStore
from tests.support.databases import migrated_engine
from tests.test_closed_ticket_search import closed, opened

NOW = datetime(2026, 11, 21, 12, 0, tzinfo=timezone.utc)
CLOSED_LIST = "ix_handoff_requests_status_queue_closed"
QUEUE_LIST = "ix_handoff_requests_status_queue_created"
SEARCH = "ix_ticket_search_terms_term_queue_closed"


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    with migrated_engine(request.param, tmp_path, "plans_test") as engine:
        store = InboxStore(engine)
        for n in range(6):
            closed(store, opened(engine, f"t{n}", queue=("agent", "senior")[n % 2], summary="double charge"),
                   NOW + timedelta(hours=n))
        opened(engine, "waiting")
        yield engine


@contextmanager
def recorded(engine: Engine) -> Iterator[List[Tuple[str, Any]]]:
    """Every statement sent to the database meanwhile, with its parameters as the driver got them."""
    sent: List[Tuple[str, Any]] = []

    def record(connection: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool) -> None:
        sent.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield sent
    finally:
        event.remove(engine, "before_cursor_execute", record)


def plans(engine: Engine, sent: List[Tuple[str, Any]], table: str) -> List[str]:
    """The database's plan of each recorded read that orders rows of ``table``, as one text each."""
    reads = [(sql, params) for sql, params in sent if sql.lstrip().upper().startswith("SELECT")
             and f"FROM {table}" in sql and "ORDER BY" in sql]
    assert reads, f"no ordered read of {table} was made"
    found = []
    with engine.connect() as connection:
        postgres = engine.dialect.name == "postgresql"
        if postgres:
            connection.exec_driver_sql("SET enable_seqscan = off")
        for sql, params in reads:
            rows = connection.exec_driver_sql(("EXPLAIN " if postgres else "EXPLAIN QUERY PLAN ") + sql, params)
            found.append("\n".join(str(row[-1]) for row in rows))
    return found


def assert_served_by(engine: Engine, plan: str, index: str) -> None:
    assert index in plan, plan
    if engine.dialect.name == "sqlite":
        assert "TEMP B-TREE" not in plan, plan  # the index gives the order: no sort of every match


def test_a_page_of_the_closed_list_deep_in_it_reads_one_index_range_per_queue(engine: Engine) -> None:
    deep = Cursor(NOW + timedelta(hours=3), "t3")
    with recorded(engine) as sent:
        InboxStore(engine).closed_tickets(("agent", "senior"), ClosedQuery(after=deep, limit=2))

    for plan in plans(engine, sent, "handoff_requests"):
        assert_served_by(engine, plan, CLOSED_LIST)


def test_a_search_by_customer_and_words_walks_the_search_index(engine: Engine) -> None:
    query = ClosedQuery(terms=customer_terms("Jane Doe") | word_terms("charge"), closed_from=NOW, limit=2)
    with recorded(engine) as sent:
        InboxStore(engine).closed_tickets(("agent", "senior"), query)

    for plan in plans(engine, sent, "ticket_search_terms"):
        assert_served_by(engine, plan, SEARCH)


def test_the_queue_list_reads_the_active_tickets_by_their_index(engine: Engine) -> None:
    with recorded(engine) as sent:
        InboxStore(engine).tickets(True, ("agent", "senior"))

    for plan in plans(engine, sent, "handoff_requests"):
        assert_served_by(engine, plan, QUEUE_LIST)


def test_without_its_index_the_queue_list_fails_this_check(engine: Engine) -> None:
    downgrade(engine, "0011")
    try:
        with recorded(engine) as sent:
            InboxStore(engine).tickets(True, ("agent",))
        with pytest.raises(AssertionError):
            for plan in plans(engine, sent, "handoff_requests"):
                assert_served_by(engine, plan, QUEUE_LIST)
    finally:
        upgrade(engine)
