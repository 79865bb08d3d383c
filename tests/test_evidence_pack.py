"""A person taking over gets the whole case in one pack: who, what, why, what the bot tried, what to do."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from actions.domain.evidence import recommend_approval
from tests.support.world import JANE, PRIYA, SAM, World, make_world


@pytest.fixture
def world(tmp_path: Path) -> World:
    return make_world(tmp_path)


def ticket(world: World, who: str) -> dict:
    handoff = world.services.handoffs.open_for(who)
    assert handoff is not None
    return dict(handoff.evidence)


def test_asking_for_a_person_mid_refund_hands_over_the_refund_and_the_whole_chat(world: World) -> None:
    world.say(JANE, "refund $20 for order 1001", "request_refund")
    world.clock.advance(seconds=40)
    world.say(JANE, "actually let me talk to a person", "request_human")

    pack = ticket(world, JANE)

    assert pack["summary"].splitlines() == [
        'Jane Doe (+15550100001) wants to talk to a person: "actually let me talk to a person".',
        "Handed over: asked for a person.",
        "Waiting on the bot's proposal, not done: Refund $20.00 to your Visa ending 4242 for order 1001 "
        "(Wireless headphones) (waiting for you).",
    ]
    assert [(line["speaker"], line["text"][:15]) for line in pack["transcript"]] == [
        ("customer", "refund $20 for "),
        ("bot", "Refund $20.00 t"),
        ("customer", "actually let me"),
    ]
    assert pack["transcript"][0]["at"] == "2026-11-21T12:00:00+00:00"
    assert pack["transcript"][2]["at"] == "2026-11-21T12:00:40+00:00"
    assert pack["pending"]["stage"] == "with_agent" and pack["pending"]["amount"] == "$20.00"
    assert "Confirm or cancel it with them" in pack["recommendation"]
    assert pack["customer"]["name"] == "Jane Doe" and [o["id"] for o in pack["orders"]] == ["1002", "1001", "1003"]
    assert (pack["intent"], pack["confidence"]) == ("request_human", 0.95)
    json.dumps(pack)  # stored as JSON


def test_a_sensitive_message_carries_the_flags_history_and_advice(world: World) -> None:
    world.say(PRIYA, "I was charged twice and my lawyer says this is fraud!!", "complaint", order_id="1006")

    pack = ticket(world, PRIYA)

    assert pack["summary"].startswith('Priya Patel (+15550100003) wants to make a complaint: "I was charged twice')
    assert any(reason.startswith("sensitive_keywords: legal") for reason in pack["reasons"])
    assert any(reason.startswith("sensitive_keywords: payment_security") for reason in pack["reasons"])
    assert pack["recent_refunds"] == 2
    assert pack["entities"] == {"order_id": "1006"}
    assert pack["sentiment"]["latest"] < 0
    assert pack["recommendation"].startswith("Apologise and own it")
    assert world.services.handoffs.open_for(PRIYA).priority == "urgent"
    assert any(option.startswith("Carry on with the bot: ruled out") for option in pack["alternatives"])


def test_a_low_confidence_request_says_what_the_bot_thought_it_was(world: World) -> None:
    world.say(SAM, "the thing with the money from the shoes", "request_refund", confidence=0.41)

    pack = ticket(world, SAM)

    assert "Confirm what they need: the bot took it as wanting a refund, but was only 41% sure." in pack["recommendation"]
    assert "Handed over: the bot wasn't sure what they meant." in pack["summary"]


def test_earlier_tickets_of_the_customer_are_listed(world: World) -> None:
    world.say(SAM, "agent please", "request_human")
    first = world.services.handoffs.open_for(SAM)
    world.services.handoffs.requests[0] = replace(first, status="closed")  # a person resolved it
    world.clock.advance(days=1)

    world.say(SAM, "can I get legal advice on the warranty", "ask_legal")

    assert [(t["topic"], t["status"]) for t in ticket(world, SAM)["previous_tickets"]] == [("customer_asked_for_human", "closed")]


def test_a_stranger_is_described_by_their_number(world: World) -> None:
    world.say("+15550109999", "I need to speak to someone", "request_human")

    pack = ticket(world, "+15550109999")

    assert pack["summary"].startswith('An unknown customer (+15550109999) wants to talk to a person')
    assert pack["customer"] is None and list(pack["orders"]) == []


def test_an_approval_request_carries_what_the_customer_confirmed_and_the_bots_advice(world: World) -> None:
    world.say(JANE, "I'd like a refund of $700 for order 1003", "request_refund")
    world.say(JANE, "yes", "affirm")

    [approval] = world.services.approvals.open_for_customer("C001")
    pack = approval.evidence

    assert pack["summary"].splitlines() == [
        "Jane Doe (+15550100001) asked for: Refund $700.00 to your Visa ending 4242 for order 1003 (Espresso machine), "
        "and confirmed it in the chat.",
        "Needs approval because $700.00 is above $500.00.",
        "Refunds in the last 30 days: 0. Nothing has been done yet.",
    ]
    assert pack["recommendation"].startswith("Approve: the only flag is the amount")
    assert pack["alternatives"][0] == "Run it on the customer's word alone: ruled out ($700.00 is above $500.00)."
    assert pack["transcript"][-1]["text"] == "yes"


def test_a_second_refund_in_the_window_is_flagged_to_the_approver(world: World) -> None:
    world.say(PRIYA, "I'd like a refund of $30 for order 1006", "request_refund")
    world.say(PRIYA, "yes", "affirm")

    [approval] = world.services.approvals.open_for_customer("C003")

    assert approval.evidence["recommendation"] == (
        "Check before approving: they had 2 refunds in the last 30 days. Look at the order and the refund history.")
    assert "Refunds in the last 30 days: 2." in approval.evidence["summary"]


def test_one_recent_refund_is_never_called_a_clean_history(world: World) -> None:
    world.say(JANE, "refund $20 for order 1001", "request_refund")
    assert world.say(JANE, "yes", "affirm").startswith("Refunded $20.00")
    world.clock.advance(days=3)
    world.say(JANE, "I'd like a refund of $700 for order 1003", "request_refund")
    world.say(JANE, "yes", "affirm")

    [approval] = world.services.approvals.open_for_customer("C001")
    pack = approval.evidence

    assert (pack["recent_refunds"], pack["refund_window_days"]) == (1, 30)
    assert "Refunds in the last 30 days: 1." in pack["summary"]
    assert "clean" not in pack["recommendation"] and not pack["recommendation"].startswith("Approve")
    assert pack["recommendation"] == (
        "Check before approving: they had one refund in the last 30 days. Look at the order and the refund history.")


@pytest.mark.parametrize("flags, in_window, on_order, advice", [
    ((), 0, 0, "Approve: the only flag is the amount; the order is in the returns window and there were no refunds "
               "in the last 30 days."),
    ((), 1, 0, "Check before approving: they had one refund in the last 30 days."),
    ((), 0, 1, "Check before approving: they had one earlier refund on this order."),
    (("outside the returns window (order is 45 days old, window is 30)",), 2, 1,
     "Check before approving: also flagged: outside the returns window (order is 45 days old, window is 30); "
     "they had 2 refunds in the last 30 days and one earlier refund on this order."),
])
def test_the_approval_advice_follows_the_facts_on_the_card(flags: tuple, in_window: int, on_order: int,
                                                           advice: str) -> None:
    assert recommend_approval(flags, in_window, 30, on_order).startswith(advice)
