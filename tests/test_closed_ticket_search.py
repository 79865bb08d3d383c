"""Closed tickets, found again: by customer, reference, words and date, a keyset page at a time.

Run on a SQLite file and on PostgreSQL, on the schema the migrations build. Tickets are opened
the way the action server opens them and closed through the inbox's store (or withdrawn by the
customer through the action server's), so the search terms are exactly those a real close writes.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Dict, Iterator, List, Mapping, Optional, Sequence

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session

from actions.domain.audit import AuditEntry
from actions.domain.closed_search import ClosedQuery, Cursor
from actions.domain.search_terms import customer_terms, reference_terms, word_terms
from actions.domain.ticket import Ticket
from actions.store import migrate
from actions.store.sql import SqlHandoffQueue
from actions.store.ticket_lists import rarest_first
from handoff.domain import tickets as ticket_rules
from handoff.domain.people import Role, User
from handoff.store import InboxStore
from tests.support.databases import migrated_engine

NOW = datetime(2026, 11, 21, 12, 0, tzinfo=timezone.utc)
MARIA = User("maria", "Maria Lopez", Role.MANAGER)
JANE = {"id": "C001", "name": "Jane Doe", "phone": "+15550100001"}
JOSE = {"id": "C002", "name": "José Álvarez", "phone": "+15550100002"}


def hours(n: float) -> datetime:
    return NOW + timedelta(hours=n)


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    with migrated_engine(request.param, tmp_path, "closed_test") as engine:
        yield engine


@pytest.fixture
def store(engine: Engine) -> InboxStore:
    return InboxStore(engine)


def opened(engine: Engine, ticket_id: str, *, queue: str = "agent", customer: Optional[Mapping[str, str]] = JANE,
           conversation: str = "+15550100001", summary: str = "Wants to talk to a person.",
           entities: Optional[Dict[str, str]] = None, at: datetime = NOW) -> Ticket:
    ticket = Ticket(id=ticket_id, conversation_id=conversation, customer_id=customer["id"] if customer else None,
                    topic="customer_asked_for_human", priority="normal", reasons=("human_topic",), pending_id=None,
                    created_at=at, queued_at=at, status="open", queue=queue,
                    evidence={"summary": summary, "customer": dict(customer) if customer else None,
                              "entities": entities or {}, "transcript": [{"speaker": "customer", "text": summary}]})
    SqlHandoffQueue(engine).add(ticket)
    return ticket


def closed(store: InboxStore, ticket: Ticket, at: datetime, said: Sequence[str] = ()) -> Ticket:
    """Messages said while people had it, then closed by Maria at ``at``."""
    for words in said:
        store.add_note(ticket, "customer", None, words, entry(ticket, "customer_said", at))
    change = ticket_rules.close(ticket, MARIA, "sorted out", at)
    assert store.apply(change, entry(ticket, change.event, at))
    after = store.ticket(ticket.id)
    assert after is not None and after.status == "closed"
    return after


def entry(ticket: Ticket, event: str, at: datetime) -> AuditEntry:
    return AuditEntry(at=at, actor="manager:maria", event=event, conversation_id=ticket.conversation_id)


def found(store: InboxStore, queues: Sequence[str] = ("agent", "senior", "manager"), **query: Any) -> List[str]:
    tickets, _ = store.closed_tickets(queues, ClosedQuery(**query))
    return [ticket.id for ticket in tickets]


def every_page(store: InboxStore, queues: Sequence[str], limit: int, **query: Any) -> List[List[str]]:
    pages: List[List[str]] = []
    after: Optional[Cursor] = None
    while True:
        tickets, after = store.closed_tickets(queues, ClosedQuery(limit=limit, after=after, **query))
        pages.append([ticket.id for ticket in tickets])
        if after is None:
            return pages


# -- paging ---------------------------------------------------------------------------------------


def test_older_pages_walk_back_through_every_closed_ticket_once_newest_first(store: InboxStore, engine: Engine) -> None:
    for n in range(7):
        closed(store, opened(engine, f"t{n}", queue=("agent", "senior", "manager")[n % 3]), hours(n))

    pages = every_page(store, ("agent", "senior", "manager"), limit=3)

    assert pages == [["t6", "t5", "t4"], ["t3", "t2", "t1"], ["t0"]]


def test_a_ticket_closing_while_someone_pages_back_moves_no_ticket_between_pages(store: InboxStore, engine: Engine) -> None:
    for n in range(4):
        closed(store, opened(engine, f"t{n}"), hours(n))
    first, after = store.closed_tickets(["agent"], ClosedQuery(limit=2))
    closed(store, opened(engine, "late"), hours(9))

    second, _ = store.closed_tickets(["agent"], ClosedQuery(limit=2, after=after))

    assert [t.id for t in first] == ["t3", "t2"] and [t.id for t in second] == ["t1", "t0"]


def test_tickets_closed_at_the_same_moment_are_each_on_exactly_one_page(store: InboxStore, engine: Engine) -> None:
    for name in ("a", "b", "c", "d", "e"):
        closed(store, opened(engine, name, queue="agent" if name in "ace" else "senior"), hours(1))

    pages = every_page(store, ("agent", "senior"), limit=2)

    assert pages == [["e", "d"], ["c", "b"], ["a"]]


def test_an_agent_pages_only_through_the_agent_queue(store: InboxStore, engine: Engine) -> None:
    closed(store, opened(engine, "mine", queue="agent"), hours(1))
    closed(store, opened(engine, "seniors", queue="senior"), hours(2))
    closed(store, opened(engine, "managers", queue="manager"), hours(3))

    assert found(store, ("agent",)) == ["mine"]
    assert found(store, ("agent",), terms=customer_terms("Jane")) == ["mine"]
    assert found(store, ("agent", "senior")) == ["seniors", "mine"]


def test_active_tickets_are_never_in_the_closed_list_or_its_search(store: InboxStore, engine: Engine) -> None:
    opened(engine, "still-open", summary="a double charge")

    assert found(store) == [] and found(store, terms=word_terms("double charge")) == []


# -- search ---------------------------------------------------------------------------------------


def test_jane_is_found_by_her_id_her_name_and_her_phone_as_the_inbox_shows_them(store: InboxStore, engine: Engine) -> None:
    closed(store, opened(engine, "janes"), hours(1))
    closed(store, opened(engine, "joses", customer=JOSE, conversation="+15550100002"), hours(2))

    for typed in ("C001", "c001", "jane", "DOE jane", "+1 (555) 010-0001", "15550100001"):
        assert found(store, terms=customer_terms(typed)) == ["janes"], typed
    assert found(store, terms=customer_terms("jose alvarez")) == ["joses"]
    assert found(store, terms=customer_terms("Jane Alvarez")) == []


def test_a_customer_on_no_account_is_found_by_the_number_they_wrote_from(store: InboxStore, engine: Engine) -> None:
    with engine.begin() as connection:
        connection.execute(text("INSERT INTO channel_addresses (channel, address, conversation_id, last_inbound_at) "
                                "VALUES ('whatsapp', '+15557770123', 'visitor-x', :at)"), {"at": NOW})
    closed(store, opened(engine, "stranger", customer=None, conversation="visitor-x"), hours(1))

    assert found(store, terms=customer_terms("+1 555 777 0123")) == ["stranger"]


def test_a_ticket_is_found_by_its_ref_its_id_and_the_order_number_it_shows(store: InboxStore, engine: Engine) -> None:
    ticket_id = "4f0c1a2b-9d8e-4c1b-8a7f-0123456789ab"
    closed(store, opened(engine, ticket_id, entities={"order_id": "1003"}), hours(1))
    closed(store, opened(engine, "another", entities={"order_id": "1004"}), hours(2))

    for typed in ("4F0C1A2B", "4f0c1a2b", ticket_id, "#1003", "1003"):
        assert found(store, terms=reference_terms(typed)) == [ticket_id], typed


def test_words_of_the_summary_and_of_the_messages_find_the_ticket_whatever_their_case_and_accents(
        store: InboxStore, engine: Engine) -> None:
    closed(store, opened(engine, "charged", summary="Charged twice for the café order."), hours(1),
           said=["I want my money back", "Refund it please"])
    closed(store, opened(engine, "late", summary="Parcel is late."), hours(2), said=["Where is my parcel"])

    assert found(store, terms=word_terms("CAFE")) == ["charged"]
    assert found(store, terms=word_terms("refund money")) == ["charged"]
    assert found(store, terms=word_terms("my")) == ["late", "charged"]
    assert found(store, terms=word_terms("refund parcel")) == []


def test_a_note_added_after_closing_is_searchable_too(store: InboxStore, engine: Engine) -> None:
    ticket = closed(store, opened(engine, "t1"), hours(1))

    store.add_note(ticket, "note", "maria", "Called back about the voucher", entry(ticket, "note_added", hours(2)))

    assert found(store, terms=word_terms("voucher")) == ["t1"]


def test_a_ticket_the_customer_withdrew_is_searchable(store: InboxStore, engine: Engine) -> None:
    opened(engine, "withdrawn", summary="Wants a new password")

    assert SqlHandoffQueue(engine).withdraw("withdrawn", hours(1))

    assert found(store, terms=word_terms("password")) == ["withdrawn"]
    assert found(store, terms=word_terms("withdrawn")) == ["withdrawn"]  # the system's note on it


def test_a_date_range_takes_whole_days_and_combines_with_the_words(store: InboxStore, engine: Engine) -> None:
    for day in range(5):
        closed(store, opened(engine, f"day{day}", summary="refund asked"), NOW + timedelta(days=day, hours=11))
    day = lambda n: datetime(2026, 11, 21 + n, tzinfo=timezone.utc)  # noqa: E731

    assert found(store, closed_from=day(1), closed_before=day(3)) == ["day2", "day1"]
    assert found(store, closed_from=day(3), terms=word_terms("refund")) == ["day4", "day3"]
    assert found(store, closed_before=day(1), terms=word_terms("parcel")) == []


def test_search_pages_are_keyset_pages_too(store: InboxStore, engine: Engine) -> None:
    for n in range(5):
        closed(store, opened(engine, f"t{n}", summary="double charge" if n % 2 == 0 else "late parcel"), hours(n))

    assert every_page(store, ("agent",), limit=2, terms=word_terms("double charge")) == [["t4", "t2"], ["t0"]]


def test_tickets_closed_before_the_search_existed_are_indexed_by_the_migration(store: InboxStore, engine: Engine) -> None:
    closed(store, opened(engine, "old", summary="Broken kettle", entities={"order_id": "1002"}), hours(1))
    migrate.downgrade(engine, "0011")  # the schema before the search: no terms anywhere

    migrate.upgrade(engine)

    assert found(store, terms=word_terms("kettle")) == ["old"]
    assert found(store, terms=reference_terms("1002") | customer_terms("Jane")) == ["old"]


def test_tickets_closed_before_names_were_paired_get_their_pairs_from_the_migration(store: InboxStore,
                                                                                     engine: Engine) -> None:
    closed(store, opened(engine, "janes"), hours(1))
    closed(store, opened(engine, "joses", customer=JOSE, conversation="+15550100002"), hours(2))
    migrate.downgrade(engine, "0012")  # as closed by a version that indexed each word alone
    assert found(store, terms=customer_terms("Jane Doe")) == []
    assert found(store, terms=customer_terms("jane")) == ["janes"]

    migrate.upgrade(engine)

    assert found(store, terms=customer_terms("Jane Doe")) == ["janes"]
    assert found(store, terms=customer_terms("alvarez jose")) == ["joses"]
    assert found(store, terms=customer_terms("C002 Alvarez")) == ["joses"]


def test_the_rarest_term_walks_its_index_whatever_its_length(store: InboxStore, engine: Engine) -> None:
    for n in range(4):
        closed(store, opened(engine, f"t{n}", summary="a replacement tent" if n == 0 else "a replacement"), hours(n))

    with Session(engine) as session:
        assert rarest_first(session, word_terms("replacement tent")) == ["w:tent", "w:replacement"]
        # a pair is on no more tickets than either of its words: it leads without counting, and checks them
        assert rarest_first(session, customer_terms("Jane Doe")) == ["c:doe+jane"]
        assert rarest_first(session, customer_terms("Jane Ann Doe")) == ["c:ann+jane", "c:doe"]
    assert found(store, terms=word_terms("replacement tent")) == ["t0"]
