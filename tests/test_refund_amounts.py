"""Amounts customers write for a refund: in words, with odd signs and separators, or wrong.

An amount the assistant reads for sure is proposed as written; one it can't take ("$-5",
"$12.345", "five fifty dollars") gets a reply that says what was wrong and asks again. It is
never guessed, and never read as "no amount", which would propose the whole order.

Jane (+1 555 010 0001) has delivered headphones (order 1001, $42.50) and an espresso machine
(order 1003, $749.00); see ``actions/acme/seed.py``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from actions.domain.pending import Stage
from tests.support.world import JANE, World, make_world

HOW_MUCH = "How much would you like back?"
STILL_WAITING_FOR_20 = ("I'm still waiting for your answer on: Refund $20.00 to your Visa ending 4242 for order 1001 "
                        "(Wireless headphones). Reply YES to confirm or NO to cancel.")


@pytest.fixture
def world(tmp_path: Path) -> World:
    return make_world(tmp_path)




@pytest.mark.parametrize(
    ("words", "proposed"),
    [
        ("fifty dollars", "$50.00"),
        ("twenty-five dollars", "$25.00"),
        ("a hundred and twenty dollars", "$120.00"),
        ("fifty bucks", "$50.00"),
    ],
)
def test_jane_asks_for_an_amount_in_words_and_exactly_that_is_proposed(world: World, words: str, proposed: str) -> None:
    prompt = world.say(JANE, f"I'd like a refund of {words} for order 1003", "request_refund")

    assert prompt.startswith(f"Refund {proposed} to your Visa ending 4242 for order 1003 (Espresso machine)")
    assert prompt.endswith("Reply YES to confirm or NO to cancel.")


def test_jane_asks_for_fifty_dollars_in_words_confirms_and_fifty_is_refunded(world: World) -> None:
    world.say(JANE, "I want a refund of fifty dollars for order 1003", "request_refund")

    assert world.say(JANE, "yes", "affirm").startswith("Refunded $50.00 for order 1003")
    assert world.refunded("1003") == 5000


def test_a_negative_amount_is_refused_and_the_whole_order_is_not_proposed(world: World) -> None:
    reply = world.say(JANE, "I want a refund of $-5 for order 1001", "request_refund")

    assert reply == f'"$-5" is below zero: an amount must be more than $0.00. Write it like 12.50. {HOW_MUCH}'
    assert world.services.pendings.awaiting_customer(JANE) is None
    assert world.events(JANE) == ["asked_for_detail"]

    # asked again, she answers with an amount: the order she named is remembered
    prompt = world.say(JANE, "$5", "inform")
    assert prompt.startswith("Refund $5.00 to your Visa ending 4242 for order 1001 (Wireless headphones)")
    assert world.say(JANE, "yes", "affirm").startswith("Refunded $5.00 for order 1001")
    assert (world.refunded("1001"), len(world.executions())) == (500, 1)


@pytest.mark.parametrize(
    ("message", "reply"),
    [
        ("refund $12.345 for order 1001",
         '"$12.345" has more than two decimals: amounts are in dollars and cents. Write it like 12.50.'),
        ("refund $0,0,1 for order 1001",
         'I couldn\'t read "$0,0,1": commas only separate thousands, as in 1,250.00. Write it like 12.50.'),
        ("refund -5 dollars for order 1001",
         '"-5 dollars" is below zero: an amount must be more than $0.00. Write it like 12.50.'),
        ("I'd like five fifty dollars back for order 1003",
         'I can\'t be sure what amount "five fifty dollars" is. Write it in digits, like 12.50.'),
        ("refund twelve dollars and fifty cents for order 1001",
         'I want to be sure of the amount: write "fifty cents" in dollars, like 0.50.'),
    ],
    ids=["three-decimals", "bad-thousands", "negative-in-words", "unsure-words", "cents"],
)
def test_an_amount_that_cant_be_taken_is_asked_about_again_never_guessed(world: World, message: str,
                                                                         reply: str) -> None:
    assert world.say(JANE, message, "request_refund") == f"{reply} {HOW_MUCH}"

    assert world.services.pendings.awaiting_customer(JANE) is None
    assert world.executions() == []


def test_make_it_minus_five_is_refused_and_the_waiting_refund_stays_as_it_was(world: World) -> None:
    world.say(JANE, "refund $20 for order 1001", "request_refund")
    waiting = world.services.pendings.awaiting_customer(JANE)

    reply = world.say(JANE, "make it $-5", "change_amount")

    assert reply == (f'"$-5" is below zero: an amount must be more than $0.00. Write it like 12.50. '
                     f"{STILL_WAITING_FOR_20}")
    still = world.services.pendings.awaiting_customer(JANE)
    assert (still.id, still.stage, still.amount_cents, still.unclear_replies) == (waiting.id, Stage.CONFIRM, 2000, 0)
    refused = [e for e in world.entries(JANE) if e.event == "amount_refused"]
    assert [e.detail["why"] for e in refused] == ['"$-5" is below zero: an amount must be more than $0.00. '
                                                  "Write it like 12.50."]

    # a wrong amount is not an unclear answer: two of them don't cancel the refund
    assert world.say(JANE, "make it 12.345", "change_amount").startswith('"12.345" has more than two decimals')
    assert world.say(JANE, "yes", "affirm").startswith("Refunded $20.00 for order 1001")
    assert world.refunded("1001") == 2000


@pytest.mark.parametrize(("new_amount", "proposed"), [("twenty-five dollars", "$25.00"), ("fifteen", "$15.00")])
def test_a_new_amount_in_words_is_proposed_in_place_of_the_waiting_one(world: World, new_amount: str,
                                                                         proposed: str) -> None:
    world.say(JANE, "refund $20 for order 1001", "request_refund")

    prompt = world.say(JANE, f"actually make it {new_amount}", "change_amount")

    assert prompt.startswith(f"Refund {proposed} to your Visa ending 4242 for order 1001")
    assert world.say(JANE, "yes", "affirm").startswith(f"Refunded {proposed} for order 1001")
