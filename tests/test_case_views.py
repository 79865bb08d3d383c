"""What staff read when they open a case: plain words, live account panels, the order's history.

The same floor as ``test_desk.py``: the real assistant and the real inbox on one database,
the demo business on another, time frozen.
"""

from __future__ import annotations

import json
import re
from typing import Any, Callable, Dict, Iterator, Tuple

import pytest

from actions.domain.business import ORIGINAL_PAYMENT_METHOD, ActionRequest
from tests.support.faults import DownForReads, TimesOutOnExecute
from tests.support.floor import Floor, jane_asks_for
from tests.support.world import JANE

#: "request_human: ..." or "human_topic:complaint: ...": a policy code leaking into text.
CODE_THEN_COLON = re.compile(r"\b[a-z]+(?:_[a-z]+)+(?::[a-z_]+)?: ")
#: Any snake_case token, in text meant to be read.
SNAKE = re.compile(r"\b[a-z]+(?:_[a-z]+)+\b")
#: A raw score or confidence ("-0.62", "+0.41", 0.95), not money ("$0.41") or a longer number.
SCORE = re.compile(r"(?<![$\d.,])[-+\u2212]?\d\.\d{2,}(?!\d)")
#: Fields whose text staff read as sentences (the rest are ids, times and machine tokens the page maps).
READ_AS_TEXT = {"summary", "why", "first_words", "mood", "topic_words", "understood", "recommendation",
                "alternatives", "stage_words", "headline", "text", "label", "reason", "result", "decision_reason"}


def readable(view: Any, key: str = "") -> Iterator[Tuple[str, str]]:
    if isinstance(view, dict):
        for k, v in view.items():
            yield from readable(v, k)
    elif isinstance(view, list):
        for v in view:
            yield from readable(v, key)
    elif isinstance(view, str) and key in READ_AS_TEXT:
        yield key, view


def assert_plain(view: Dict[str, Any]) -> None:
    dumped = json.dumps(view, ensure_ascii=False)
    assert not CODE_THEN_COLON.findall(dumped), CODE_THEN_COLON.findall(dumped)
    assert not SCORE.findall(dumped), SCORE.findall(dumped)
    leaks = [(k, text) for k, text in readable(view) if SNAKE.search(text)]
    assert not leaks, leaks


def jane_says(*lines: Tuple[str, str, float]) -> Callable[[Floor], None]:
    def scenario(floor: Floor) -> None:
        for text, intent, confidence in lines:
            floor.world.say(JANE, text, intent, confidence)
    return scenario


def unconfirmed_refund(floor: Floor) -> None:
    """A signed-off refund the business never confirmed: an urgent ticket under the same key."""
    request = jane_asks_for(floor, "700")
    floor.world.services.business = TimesOutOnExecute(floor.world.business)  # type: ignore[assignment]
    floor.desk.approve(floor.person("maria"), request.id, request.version)
    floor.world.services.business = floor.world.business


TRIGGERS = {
    "asked for a person": jane_says(("I want to talk to a person", "request_human", 0.95)),
    "asked mid refund": jane_says(("refund $20 for order 1001", "request_refund", 0.95),
                                  ("actually let me talk to a person", "request_human", 0.95)),
    "complaint": jane_says(("I want to make a complaint about your courier", "complaint", 0.9)),
    "legal": jane_says(("I need legal advice about my contract", "ask_legal", 0.9)),
    "medical": jane_says(("is this kettle safe when pregnant", "ask_medical", 0.9)),
    "data protection": jane_says(("send me all the personal data you hold", "gdpr_request", 0.9)),
    "out of scope": jane_says(("book me a flight to Paris", "out_of_scope", 0.9)),
    "fraud words": jane_says(("refund $20 for order 1001, that charge was fraud", "request_refund", 0.9)),
    "low confidence": jane_says(("the thing with the money from the headphones", "request_refund", 0.41)),
    "not understood twice": jane_says(("blorp", "nlu_fallback", 0.3), ("glorp zz", "nlu_fallback", 0.3)),
    "angry about a charge": jane_says(("You charged me twice, this is disgusting and I am furious!!", "ask_balance", 0.9)),
    "approval": lambda floor: jane_asks_for(floor, "700") and None,
    "unconfirmed run": unconfirmed_refund,
}


@pytest.mark.parametrize("trigger", list(TRIGGERS))
def test_no_internal_code_or_raw_score_reaches_staff_for_any_trigger(floor: Floor, trigger: str) -> None:
    TRIGGERS[trigger](floor)
    maria = floor.person("maria")  # a manager sees every queue and every approval

    rows = floor.desk.ticket_list(maria, active=True) + floor.desk.ticket_list(maria, active=False)
    cards = floor.desk.approval_list(maria, pending=True) + floor.desk.approval_list(maria, pending=False)
    assert rows or cards, "the scenario raised nothing for a person"
    for row in rows:
        assert_plain(row)
        assert row["why"], f"the row of a {row['topic']} ticket says nothing about why"
        assert_plain(floor.desk.ticket_view(maria, row["id"]))
    for card in cards:
        assert_plain(card)
        assert_plain(floor.desk.approval_view(maria, card["id"]))


def test_a_queue_row_says_what_the_customer_wants_in_their_words_and_why_in_plain_words(floor: Floor) -> None:
    floor.world.say(JANE, "hi", "greet")
    floor.world.say(JANE, "You charged me twice for order 1002, this is disgusting and I am furious!!", "ask_balance")

    [row] = floor.desk.ticket_list(floor.person("ali"), active=True)

    assert row["first_words"] == "hi"
    assert row["why"] == ["angry about a charge"]
    assert row["mood"] == "angry"


def test_a_row_for_a_person_asked_for_reads_asked_for_a_person(floor: Floor) -> None:
    floor.world.say(JANE, "I'd like to speak to someone about my espresso machine please", "request_human")

    [row] = floor.desk.ticket_list(floor.person("ali"), active=True)

    assert (row["first_words"], row["why"], row["topic_words"]) == (
        "I'd like to speak to someone about my espresso machine please", ["asked for a person"], "asked for a person")


def test_the_customer_panel_is_read_live_and_the_snapshot_shown_as_of_handoff_when_the_business_is_down(
        floor: Floor) -> None:
    ali = floor.person("ali")
    floor.world.say(JANE, "I want to talk to a person", "request_human")
    ticket = floor.ticket()
    floor.world.clock.advance(minutes=20)
    floor.world.business.execute(ActionRequest("update_email", "C001", {"email": "jane@new.example"}), "email-1")
    floor.world.business.execute(ActionRequest("refund", "C001", {"order_id": "1001", "amount_cents": 1000, "destination": ORIGINAL_PAYMENT_METHOD}), "refund-1")

    live = floor.desk.ticket_view(ali, ticket.id)["account"]

    assert live["live"] is True
    assert live["customer"]["email"] == "jane@new.example"
    assert next(o for o in live["orders"] if o["id"] == "1001")["refunded"] == "$10.00"
    assert (live["recent_refunds"], live["refund_window_days"]) == (1, 30)
    assert floor.ticket().evidence["customer"]["email"] == "jane@example.com"  # the audit keeps the snapshot

    floor.world.services.business = DownForReads(floor.world.business)  # type: ignore[assignment]
    fallback = floor.desk.ticket_view(ali, ticket.id)["account"]

    assert (fallback["live"], fallback["as_of"]) == (False, ticket.created_at.isoformat())
    assert fallback["customer"]["email"] == "jane@example.com" and fallback["recent_refunds"] == 0


def test_the_approval_card_lists_earlier_requests_and_refunds_on_the_order_and_advises_from_them(floor: Floor) -> None:
    maria, david = floor.person("maria"), floor.person("david")
    floor.world.say(JANE, "refund $20 for order 1003", "request_refund")
    assert floor.world.say(JANE, "yes", "affirm").startswith("Refunded $20.00")
    first = jane_asks_for(floor, "700")
    floor.desk.reject(maria, first.id, first.version, "the machine was returned used")
    floor.world.clock.advance(hours=2)
    second = jane_asks_for(floor, "650")

    card = floor.desk.approval_view(david, second.id)

    assert card["same_order"]["order_id"] == "1003"
    assert [(r["ref"], r["amount"], r["status"], r["decided_by"], r["reason"]) for r in card["same_order"]["requests"]] == [
        (first.ref, "$700.00", "rejected", "maria", "the machine was returned used")]
    assert [r["amount"] for r in card["same_order"]["refunds"]] == ["$20.00"]
    assert card["account"]["recent_refunds"] == 1
    assert card["recommendation"] == (
        "Check before approving: they had one refund in the last 30 days and one earlier refund on this order. "
        "Look at the order and the refund history.")


def test_a_refund_made_after_the_request_changes_the_advice_beside_it(floor: Floor) -> None:
    request = jane_asks_for(floor, "700")
    assert floor.desk.approval_view(floor.person("maria"), request.id)["recommendation"].startswith("Approve")

    floor.world.business.execute(ActionRequest("refund", "C001", {"order_id": "1001", "amount_cents": 1000, "destination": ORIGINAL_PAYMENT_METHOD}), "r-1")
    card = floor.desk.approval_view(floor.person("maria"), request.id)

    assert card["account"]["recent_refunds"] == 1
    assert card["recommendation"].startswith("Check before approving: they had one refund in the last 30 days")
