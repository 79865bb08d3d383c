"""While the tracker store's database is down a turn fails: it never goes on with a blank conversation."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

import pytest
from rasa.core.tracker_store import FailSafeTrackerStore, InMemoryTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.trackers import DialogueStateTracker

from channels.tracker_store_outage import fail_turns_while_the_tracker_store_is_down


class DatabaseRestarting(InMemoryTrackerStore):
    async def retrieve(self, sender_id: str) -> None:
        raise ConnectionError("the database system is shutting down")

    async def save(self, tracker: DialogueStateTracker) -> None:
        raise ConnectionError("the database system is shutting down")


def test_rasas_fail_safe_store_would_hand_the_turn_a_blank_conversation_and_keep_it_in_memory() -> None:
    store = FailSafeTrackerStore(DatabaseRestarting(Domain.empty()))

    assert asyncio.run(store.retrieve("customer-C001")) is None  # the turn would start afresh
    asyncio.run(store.save(DialogueStateTracker("customer-C001", [])))  # and be kept in memory only


def test_janes_turn_fails_while_the_database_restarts_instead_of_starting_her_conversation_afresh() -> None:
    store = FailSafeTrackerStore(DatabaseRestarting(Domain.empty()))

    fail_turns_while_the_tracker_store_is_down(SimpleNamespace(tracker_store=store))

    with pytest.raises(ConnectionError):
        asyncio.run(store.retrieve("customer-C001"))
    with pytest.raises(ConnectionError):
        asyncio.run(store.save(DialogueStateTracker("customer-C001", [])))
