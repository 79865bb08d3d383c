"""The identity link store's contract, on memory, a SQLite file and PostgreSQL.

The in-memory store is the reference; the SQL store must agree with it. Races are real
threads released together: a visitor id is linked once, whatever arrives at the same moment.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Iterator, Optional

import pytest

from actions.domain.links import IdentityLink, LinkRequest, LinkStatus
from actions.domain.stores import Stores
from tests.support.race import race, race_between
from tests.test_stores_contract import stores_on

NOW = datetime(2026, 11, 21, 12, 0, tzinfo=timezone.utc)
VISITOR = "visitor-" + "a" * 32
OTHER_VISITOR = "visitor-" + "b" * 32


@pytest.fixture(params=["memory", "sqlite", "postgresql"])
def stores(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Stores]:
    with stores_on(request.param, tmp_path) as bundle:
        yield bundle


def a_request(id: str = "r1", *, visitor: str = VISITOR, customer: Optional[str] = "C001",
              at: datetime = NOW, client: Optional[str] = None) -> LinkRequest:
    return LinkRequest(id, visitor, customer, at, at + timedelta(minutes=10), client=client)


def test_a_request_waits_until_it_is_moved_and_the_newest_waiting_one_is_found(stores: Stores) -> None:
    stores.links.add_request(a_request("older"))
    stores.links.add_request(a_request("newer", customer=None, at=NOW + timedelta(minutes=1)))
    stores.links.add_request(a_request("elsewhere", visitor=OTHER_VISITOR, at=NOW + timedelta(minutes=2)))

    assert stores.links.open_request(VISITOR) == a_request("newer", customer=None, at=NOW + timedelta(minutes=1))
    assert stores.links.move_request("newer", (LinkStatus.REQUESTED,), LinkStatus.CANCELLED)
    assert not stores.links.move_request("newer", (LinkStatus.REQUESTED,), LinkStatus.FAILED)
    assert stores.links.open_request(VISITOR).id == "older"
    assert stores.links.open_request("visitor-" + "c" * 32) is None


def test_requests_are_counted_by_chat_and_by_customer_since_a_time(stores: Stores) -> None:
    stores.links.add_request(a_request("r1", at=NOW - timedelta(hours=2)))
    stores.links.add_request(a_request("r2", at=NOW))
    stores.links.add_request(a_request("r3", customer="C002", at=NOW + timedelta(minutes=1)))
    stores.links.add_request(a_request("r4", visitor=OTHER_VISITOR, at=NOW + timedelta(minutes=2)))

    since = NOW - timedelta(hours=1)
    assert stores.links.requested_since(since, conversation_id=VISITOR) == 2
    assert stores.links.requested_since(since, customer_id="C001") == 2
    assert stores.links.requested_since(since, customer_id="C002") == 1
    assert stores.links.requested_since(NOW - timedelta(hours=3), conversation_id=VISITOR) == 3


def test_requests_are_counted_by_the_client_they_came_from_whatever_chat_made_them(stores: Stores) -> None:
    script, neighbour = "a" * 64, "b" * 64  # the keyed hashes of two addresses
    stores.links.add_request(a_request("old", client=script, at=NOW - timedelta(hours=2)))
    for n in range(3):
        stores.links.add_request(a_request(f"r{n}", visitor=f"visitor-{n:032x}", client=script,
                                           at=NOW + timedelta(minutes=n)))
    stores.links.add_request(a_request("next-door", visitor=OTHER_VISITOR, client=neighbour, at=NOW))
    stores.links.add_request(a_request("no-address", at=NOW))

    since = NOW - timedelta(hours=1)
    assert stores.links.requested_since(since, client=script) == 3
    assert stores.links.requested_since(since, client=neighbour) == 1
    assert stores.links.requested_since(since, client="c" * 64) == 0
    assert stores.links.open_request(OTHER_VISITOR).client == neighbour  # kept and read back
    assert stores.links.open_request(VISITOR).client is None


def test_a_sign_in_code_prompt_counts_as_live_until_it_expires(stores: Stores) -> None:
    stores.links.add_request(a_request("r1", at=NOW))  # live until NOW + 10 minutes
    stores.links.move_request("r1", (LinkStatus.REQUESTED,), LinkStatus.LINKED)

    assert stores.links.code_prompt_live_since(VISITOR, NOW + timedelta(minutes=10))
    assert not stores.links.code_prompt_live_since(VISITOR, NOW + timedelta(minutes=11))
    assert not stores.links.code_prompt_live_since("visitor-someone-else", NOW)


def test_a_link_is_made_once_for_the_visitor_it_was_requested_by(stores: Stores) -> None:
    stores.links.add_request(a_request())
    assert stores.links.linked(VISITOR) is None

    link = stores.links.link("r1", NOW + timedelta(minutes=1), "otp")

    assert link == IdentityLink(VISITOR, "C001", NOW + timedelta(minutes=1), "otp", "r1")
    assert stores.links.linked(VISITOR) == link
    assert stores.links.linked(OTHER_VISITOR) is None
    assert stores.links.open_request(VISITOR) is None
    assert stores.links.link("r1", NOW + timedelta(minutes=2), "otp") is None  # not waiting any more
    assert stores.links.link("nobody", NOW, "otp") is None


def test_a_request_for_a_number_on_no_account_never_links(stores: Stores) -> None:
    stores.links.add_request(a_request(customer=None))
    assert stores.links.link("r1", NOW, "otp") is None
    assert stores.links.linked(VISITOR) is None


def test_a_closed_request_never_links(stores: Stores) -> None:
    stores.links.add_request(a_request())
    assert stores.links.move_request("r1", (LinkStatus.REQUESTED,), LinkStatus.FAILED)
    assert stores.links.link("r1", NOW, "otp") is None
    assert stores.links.linked(VISITOR) is None


def test_two_right_codes_at_once_link_the_visitor_once(stores: Stores) -> None:
    stores.links.add_request(a_request("r1"))
    results = race(2, lambda: stores.links.link("r1", NOW, "otp"))
    assert sorted(r is not None for r in results) == [False, True]


def test_a_visitor_with_two_waiting_requests_is_linked_to_one_customer_only(stores: Stores) -> None:
    stores.links.add_request(a_request("jane"))
    stores.links.add_request(a_request("sam", customer="C002", at=NOW + timedelta(seconds=1)))

    assert stores.links.link("jane", NOW + timedelta(minutes=1), "otp") is not None
    assert stores.links.link("sam", NOW + timedelta(minutes=1), "otp") is None
    assert stores.links.linked(VISITOR).customer_id == "C001"
    assert stores.links.open_request(VISITOR).id == "sam"  # still waiting: its link was refused, not made


def test_two_requests_of_one_visitor_confirmed_at_the_same_moment_link_it_once(stores: Stores) -> None:
    stores.links.add_request(a_request("jane"))
    stores.links.add_request(a_request("sam", customer="C002"))

    results = race_between(lambda: stores.links.link("jane", NOW, "otp"), lambda: stores.links.link("sam", NOW, "otp"))

    made = [r for r in results if r is not None]
    assert len(made) == 1 and stores.links.linked(VISITOR) == made[0]
