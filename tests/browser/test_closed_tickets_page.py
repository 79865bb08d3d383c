"""The Closed tab in a real browser: Maria searches the closed tickets and pages back to older ones.

The inbox runs on its own (no Rasa: nothing here talks to the bot) with a history of 55 closed
tickets, raised as the action server raises them and closed through the inbox's store, so the
search reads exactly what real closes wrote.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone
from typing import Iterator, List

import pytest
from playwright.sync_api import Page, expect

from actions.domain.audit import AuditEntry
from actions.domain.ticket import Ticket
from actions.store.sql import SqlHandoffQueue
from handoff.domain import tickets as ticket_rules
from handoff.domain.people import Role, User
from handoff.store import InboxStore
from tests.support.inbox import PASSWORDS, Inbox, running_inbox

MARIA = User("maria", "Maria Lopez", Role.MANAGER)
HISTORY = 55  # more than a page (50): "Older" has one more page to read


@pytest.fixture(scope="module")
def inbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Inbox]:
    with running_inbox(tmp_path_factory.mktemp("closed-page")) as inbox:
        yield inbox


@pytest.fixture(scope="module")
def history(inbox: Inbox) -> List[str]:
    """55 closed tickets, one a minute; the oldest is Omar's broken kettle. Their ids, oldest first."""
    store, start = InboxStore(inbox.engine), datetime.now(timezone.utc) - timedelta(hours=2)
    ids = []
    for n in range(HISTORY):
        at = start + timedelta(minutes=n)
        kettle = n == 0
        customer = {"id": "C009", "name": "Omar Haddad"} if kettle else {"id": "C001", "name": "Jane Doe"}
        ticket = Ticket(id=str(uuid.uuid4()), conversation_id=f"+1555{n:07d}", customer_id=customer["id"],
                        topic="complaint", priority="normal", reasons=("customer_asked_for_a_person",), pending_id=None,
                        created_at=at, queued_at=at, status="open", queue="agent",
                        evidence={"customer": customer,
                                  "summary": "The kettle arrived broken." if kettle else "Asked where a parcel is."})
        SqlHandoffQueue(inbox.engine).add(ticket)
        change = ticket_rules.close(ticket, MARIA, "Sorted out", at + timedelta(seconds=30))
        assert store.apply(change, AuditEntry(at=at, actor="manager:maria", event=change.event,
                                              conversation_id=ticket.conversation_id))
        ids.append(ticket.id)
    return ids


def signed_in(page: Page, inbox: Inbox, username: str) -> None:
    page.goto(f"{inbox.url}/login")
    page.get_by_test_id("login-username").fill(username)
    page.get_by_test_id("login-password").fill(PASSWORDS[username])
    page.get_by_test_id("login-submit").click()
    expect(page.get_by_test_id("live-indicator")).to_contain_text("live", timeout=10_000)


def test_maria_finds_omars_kettle_ticket_by_a_word_and_pages_back_to_the_oldest(page: Page, inbox: Inbox,
                                                                                 history: List[str]) -> None:
    signed_in(page, inbox, "maria")
    page.get_by_test_id("tab-closed").click()
    rows = page.get_by_test_id("ticket-row")
    expect(rows).to_have_count(50)
    expect(rows.first).to_have_attribute("data-ticket-id", history[-1])

    page.get_by_test_id("closed-older").click()

    expect(rows).to_have_count(HISTORY)
    expect(rows.last).to_have_attribute("data-ticket-id", history[0])
    expect(page.get_by_test_id("closed-older")).to_have_count(0)  # that was the last page

    page.get_by_test_id("closed-text").fill("KETTLE")
    page.get_by_test_id("closed-search-button").click()

    expect(rows).to_have_count(1)
    expect(rows.first).to_have_attribute("data-ticket-id", history[0])
    expect(rows.first).to_contain_text("Omar Haddad")

    page.get_by_test_id("closed-customer").fill("Jane Doe")
    page.get_by_test_id("closed-search-button").click()
    expect(page.locator(".list-empty")).to_have_text("No closed ticket matches this search.")

    page.get_by_test_id("closed-clear").click()
    expect(rows).to_have_count(50)
