"""One contract for the store of warm transfers, on memory, a SQLite file and PostgreSQL.

Two webhooks about the same call race to move the same transfer: only one wins, and the loser
stores nothing. Every move tells open inbox pages the ticket's call changed.
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Iterator, Union

import pytest
from sqlmodel import Session, select

from actions.store.tables import InboxEventRow
from handoff.domain.transfer_records import Leg, Transfer
from handoff.transfers import MemoryTransfers, SqlTransfers
from tests.support.databases import migrated_engine
from tests.support.race import race_between

AT = datetime(2026, 11, 23, 15, 0, tzinfo=timezone.utc)
Store = Union[MemoryTransfers, SqlTransfers]


@contextmanager
def store_on(backend: str, folder: Path) -> Iterator[Store]:
    if backend == "memory":
        yield MemoryTransfers()
        return
    with migrated_engine(backend, folder, "voice_transfers") as engine:
        yield SqlTransfers(engine)


@pytest.fixture(params=["memory", "sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    with store_on(request.param, tmp_path) as made:
        yield made


def a_transfer(id: str = "tr1", call_sid: str = "CAjane", ticket_id: str = "t1", at: datetime = AT) -> Transfer:
    return Transfer(id=id, call_sid=call_sid, conversation_id=f"voice:{call_sid}", ticket_id=ticket_id,
                    room=f"transfer-{id}", state="holding", created_at=at, updated_at=at, leg=1)


def a_leg(n: int = 1, username: str = "ali", state: str = "ringing") -> Leg:
    return Leg(transfer_id="tr1", n=n, username=username, phone=f"+1555010010{n}", state=state,
               created_at=AT, updated_at=AT)


def feed_events(store: Store) -> list:
    if isinstance(store, MemoryTransfers):
        return store.events
    with Session(store.engine) as session:
        return [(r.subject, r.subject_id, r.change) for r in session.exec(select(InboxEventRow).order_by(InboxEventRow.id))]


def test_a_transfer_and_its_first_leg_come_back_exactly_as_stored(store: Store) -> None:
    assert store.add(a_transfer(), [a_leg()])

    assert store.transfer("tr1") == a_transfer()
    assert store.legs("tr1") == (a_leg(),)
    assert store.for_call("CAjane") == a_transfer() == store.for_ticket("t1")
    assert store.transfer("nope") is None and store.for_call("CAnope") is None and store.legs("nope") == ()
    assert not store.add(a_transfer())  # the id is taken


def test_a_move_stores_the_transfer_and_its_legs_and_tells_the_ticket(store: Store) -> None:
    before = a_transfer()
    store.add(before, [a_leg()])
    answered = AT + timedelta(seconds=10)
    after = before.moved(answered, state="briefing")
    leg = replace(a_leg(), state="briefing", call_sid="CAali", answered_at=answered, updated_at=answered)

    assert store.move(before, after, [leg, a_leg(2, "bea")])

    assert store.transfer("tr1") == after and after.version == 2
    assert store.legs("tr1") == (leg, a_leg(2, "bea"))
    assert feed_events(store) == [("ticket", "t1", "call"), ("ticket", "t1", "call")]


def test_a_move_from_a_version_already_moved_stores_nothing(store: Store) -> None:
    before = a_transfer()
    store.add(before, [a_leg()])
    store.move(before, before.moved(AT, state="ringing"))

    assert not store.move(before, before.moved(AT, state="callback"), [a_leg(1, state="no_answer")])

    assert store.transfer("tr1").state == "ringing" and store.legs("tr1")[0].state == "ringing"


def test_two_webhooks_racing_to_move_the_same_transfer_only_one_wins(store: Store) -> None:
    before = a_transfer()
    store.add(before, [a_leg()])

    results = race_between(lambda: store.move(before, before.moved(AT, state="connected")),
                   lambda: store.move(before, before.moved(AT, state="caller_left")))

    assert sorted(results) == [False, True]


def test_the_latest_transfer_of_a_call_is_found_after_a_hand_back_and_a_second_transfer(store: Store) -> None:
    store.add(a_transfer("tr1"))
    store.add(a_transfer("tr2", at=AT + timedelta(minutes=5)))

    assert store.for_call("CAjane").id == "tr2" and store.for_ticket("t1").id == "tr2"
