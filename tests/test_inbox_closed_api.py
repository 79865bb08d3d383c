"""Closed tickets through the inbox's HTTP API: searched, paged, and shown only to who may see them.

One inbox runs for the module (as in ``test_inbox_app``); tickets are raised as the action server
raises them and closed by people through the API, so the search sees exactly what a real close
writes. Each test tags its tickets with a word of its own, so tests never see each other's.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timezone
from typing import Any, Dict, Iterator, List

import pytest
import requests

from actions.domain.ticket import Ticket
from actions.store.sql import SqlHandoffQueue
from tests.support.inbox import Inbox, Person, running_inbox


@pytest.fixture(scope="module")
def inbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Inbox]:
    with running_inbox(tmp_path_factory.mktemp("closed")) as inbox:
        yield inbox


@pytest.fixture(scope="module")
def maria(inbox: Inbox) -> Person:
    return inbox.sign_in("maria")


@pytest.fixture(scope="module")
def ali(inbox: Inbox) -> Person:
    return inbox.sign_in("ali")


@pytest.fixture
def tag() -> str:
    """A word no other test's tickets carry."""
    return f"zq{uuid.uuid4().hex[:10]}"


def raised(inbox: Inbox, summary: str, queue: str = "agent", order: str = "1003") -> str:
    ticket_id = str(uuid.uuid4())
    now = datetime.now(timezone.utc)
    SqlHandoffQueue(inbox.engine).add(Ticket(
        id=ticket_id, conversation_id=f"+1555{uuid.uuid4().int % 10**7:07d}", customer_id="C001",
        topic="complaint", priority="normal", reasons=("customer_asked_for_a_person",), pending_id=None,
        created_at=now, queued_at=now, status="open", queue=queue,
        evidence={"summary": summary, "customer": {"id": "C001", "name": "Jane Doe", "phone": "+15550100001"},
                  "entities": {"order_id": order}},
    ))
    return ticket_id


def closed_by(person: Person, ticket_id: str, resolution: str = "Sorted out on the phone") -> None:
    version = person.ticket(ticket_id)["version"]
    answer = person.post(f"/api/tickets/{ticket_id}/close", {"version": version, "resolution": resolution})
    assert answer.status_code == 200, answer.text


def search(person: Person, **params: str) -> Dict[str, Any]:
    answer = requests.get(f"{person.inbox.url}/api/closed-tickets", params=params,
                          cookies={"inbox_session": person.cookie}, timeout=10)
    assert answer.status_code == 200, answer.text
    return answer.json()


def ids(page: Dict[str, Any]) -> List[str]:
    return [item["id"] for item in page["tickets"]]


def test_maria_finds_a_closed_ticket_by_a_word_of_it_its_ref_and_its_customer(inbox: Inbox, maria: Person,
                                                                              tag: str) -> None:
    wanted = raised(inbox, f"Charged twice for the {tag} kettle", order="7781")
    closed_by(maria, wanted)
    closed_by(maria, raised(inbox, f"A late parcel {tag}"))

    page = search(maria, text=f"kettle {tag}")

    assert ids(page) == [wanted] and page["next"] is None
    [item] = page["tickets"]
    assert item["status"] == "closed" and item["customer"] == {"id": "C001", "name": "Jane Doe"}
    assert ids(search(maria, ref=item["ref"])) == [wanted]
    assert ids(search(maria, ref="#7781", text=tag)) == [wanted]
    assert wanted in ids(search(maria, customer="jane doe", text=tag))
    assert ids(search(maria, text=tag, customer="+1 555 010 0001", ref="7781")) == [wanted]


def test_older_pages_follow_next_until_it_is_null(inbox: Inbox, maria: Person, tag: str) -> None:
    raised_ids = [raised(inbox, f"Refund question {tag}") for _ in range(5)]
    for ticket_id in raised_ids:
        closed_by(maria, ticket_id)

    pages, after = [], None
    while True:
        page = search(maria, text=tag, limit="2", **({"after": after} if after else {}))
        pages.append(ids(page))
        after = page["next"]
        if after is None:
            break

    assert pages == [list(reversed(raised_ids))[i:i + 2] for i in (0, 2, 4)]


def test_a_closing_day_range_in_utc_finds_todays_tickets_and_not_yesterdays(inbox: Inbox, maria: Person,
                                                                           tag: str) -> None:
    ticket_id = raised(inbox, f"Voucher {tag}")
    closed_by(maria, ticket_id)
    today = datetime.now(timezone.utc).date().isoformat()

    assert ids(search(maria, text=tag, closed_from=today, closed_to=today)) == [ticket_id]
    assert ids(search(maria, text=tag, closed_to="2020-01-01")) == []


def test_ali_the_agent_never_finds_a_managers_closed_ticket_even_by_its_ref(inbox: Inbox, maria: Person, ali: Person,
                                                                           tag: str) -> None:
    agents = raised(inbox, f"Agent work {tag}", queue="agent")
    managers = raised(inbox, f"Manager work {tag}", queue="manager")
    closed_by(maria, agents)
    closed_by(maria, managers)

    assert ids(search(ali, text=tag)) == [agents]
    assert ids(search(ali, ref=managers[:8])) == []
    assert ids(search(maria, text=tag)) == [managers, agents]


def test_the_old_closed_list_is_the_first_page_of_the_new_one(inbox: Inbox, maria: Person, tag: str) -> None:
    closed_by(maria, raised(inbox, f"Newest {tag}"))

    listed = maria.get("/api/tickets?state=closed").json()

    assert [item["id"] for item in listed[:50]] == ids(search(maria))


@pytest.mark.parametrize("query, says", [
    ("limit=0", "'limit' must be a whole number from 1 to 200"),
    ("limit=201", "'limit' must be a whole number from 1 to 200"),
    ("limit=ten", "'limit' must be a whole number from 1 to 200"),
    ("closed_from=30-11-2026", "'closed_from' must be a date like 2026-11-30 (UTC)"),
    ("closed_from=2026-11-30&closed_to=2026-11-01", "'closed_to' is before 'closed_from': swap them"),
    ("after=not-a-cursor", "'after' is not a cursor from this list: pass the 'next' of the page before"),
    ("text=%21%21%21", "'text' has nothing to search for: give letters or digits"),
    ("txt=refund", "unknown parameter 'txt': the closed list takes customer, ref, text, closed_from, closed_to, "
                   "limit, after"),
    ("text=a&text=b", "give 'text' once"),
    ("text=" + "+".join(f"w{n}" for n in range(13)), "a search takes at most 12 words in all: leave some out"),
])
def test_a_bad_parameter_gets_a_400_that_says_what_to_fix(maria: Person, query: str, says: str) -> None:
    answer = maria.get(f"/api/closed-tickets?{query}")

    assert (answer.status_code, answer.json()) == (400, {"error": says})


def test_the_closed_list_is_for_signed_in_people_only(inbox: Inbox) -> None:
    answer = requests.get(f"{inbox.url}/api/closed-tickets?text=refund", timeout=10)

    assert (answer.status_code, answer.json()) == (401, {"error": "sign in first"})
