"""The person about to take a call hears the case in 15 to 20 seconds, from the ticket's evidence pack."""

from __future__ import annotations

from pathlib import Path
from typing import Tuple

import pytest

from actions.domain.sessions import new_visitor_key
from actions.domain.voice_brief import (
    CHOICES,
    MAX_WORDS,
    MIN_WORDS,
    brief,
    brief_body,
    word_count,
)
from tests.support.world import JANE, PRIYA, SAM, World, make_world

VISITOR = new_visitor_key(lambda: "5f0c9a4e8d2b4c1e9a7f3b2d1c0e8f6a")


@pytest.fixture
def world(tmp_path: Path) -> World:
    return make_world(tmp_path)


def heard(world: World, who: str) -> Tuple[str, str]:
    """The body and the whole brief for the ticket open in ``who``'s conversation."""
    ticket = world.services.handoffs.open_for(who)
    assert ticket is not None
    facts = dict(reasons=ticket.reasons, topic=ticket.topic, priority=ticket.priority)
    return brief_body(dict(ticket.evidence), **facts), brief(dict(ticket.evidence), **facts)


def in_band(body: str) -> None:
    assert MIN_WORDS <= word_count(body) <= MAX_WORDS, f"{word_count(body)} words: {body}"


def test_jane_asks_for_a_person_mid_refund_and_the_refund_waits_for_the_decision(world: World) -> None:
    world.say(JANE, "refund $20 for order 1001", "request_refund")
    world.say(JANE, "actually let me talk to a person", "request_human")

    body, whole = heard(world, JANE)

    assert body == ("Jane Doe is on the line. They want to talk to a person. Reason: asked for a person. "
                    "Not done yet, waiting for your decision: refund 20 dollars to their Visa ending in 4 2 4 2 "
                    "for order 1 0 0 1, Wireless headphones.")
    in_band(body)
    assert whole == f"{body} {CHOICES}"


def test_priyas_urgent_complaint_says_so_first_with_her_words_and_refund_history(world: World) -> None:
    world.say(PRIYA, "I was charged twice and my lawyer says this is fraud!!", "complaint", order_id="1006")

    body, _ = heard(world, PRIYA)

    assert body.startswith("Urgent: Priya Patel is on the line. They want to make a complaint. Reason: ")
    assert "mentioned a legal matter" in body and "wants to make a complaint" not in body  # said once
    assert "Their last words: I was charged twice and my lawyer says this is fraud!!" in body
    in_band(body)


def test_a_request_the_bot_was_unsure_of_says_so_and_fills_with_what_the_inbox_holds(world: World) -> None:
    world.say(SAM, "the thing with the money from the shoes", "request_refund", confidence=0.41)

    body, _ = heard(world, SAM)

    assert body == ("Sam Lee is on the line. They want a refund. Reason: the bot wasn't sure what they meant. "
                    "Their last words: the thing with the money from the shoes. Everything they said is in the "
                    "inbox, with their account, their orders and the bot's notes.")
    in_band(body)


def test_a_caller_we_could_not_identify_is_named_as_such(world: World) -> None:
    world.say(VISITOR, "agent", "request_human")

    body, _ = heard(world, VISITOR)

    assert body.startswith("A caller we could not identify is on the line. They want to talk to a person.")
    assert "their account" not in body
    in_band(body)


def test_an_angry_caller_is_described_as_angry(world: World) -> None:
    world.say(SAM, "This is ridiculous, you people are useless and I am furious, get me a human now", "request_human")

    body, _ = heard(world, SAM)

    assert "angry" in body
    in_band(body)


# -- the band holds for thin and for long cases ---------------------------------------------------------

def test_an_empty_pack_still_makes_a_brief_in_the_band() -> None:
    body = brief_body({})

    assert body.startswith("A caller we could not identify is on the line. What they want is not clear yet.")
    in_band(body)


def test_a_long_case_is_cut_to_the_band_and_still_ends_as_a_sentence() -> None:
    pack = {
        "customer": {"name": "Harbor Bistro Ltd"},
        "intent": "request_refund",
        "reasons": ["low_confidence: 0.41", "repeated_fallback: 3 fallbacks", "negative_sentiment: -0.8"],
        "pending": {"stage": "with_agent",
                    "headline": "Refund $15,000.00 to your Amex ending 1005 for order 1011 (Commercial espresso bar "
                                "with the extended warranty and the installation service and the training)"},
        "transcript": [{"speaker": "customer", "text": "word " * 80}],
        "sentiment": {"latest": -0.8, "window_mean": -0.7, "window_size": 3},
        "recent_refunds": 4,
    }

    body = brief_body(pack, priority="urgent")

    in_band(body)
    assert body.endswith("refund 15,000 dollars to their Amex ending in 1 0 0 5 for order 1 0 1 1.")
    assert "espresso" not in body, "the item's name goes first"

    very_long_name = brief_body({**pack, "customer": {"name": "Harbor Bistro Limited Liability Company of the "
                                                              "Lower East Side and Partners"}})
    in_band(very_long_name)
    assert very_long_name.endswith(".")


@pytest.mark.parametrize("intent", ["request_human", "complaint", "request_refund", "ask_legal", "affirm",
                                    "nlu_fallback", "something_new"])
@pytest.mark.parametrize("name", [None, "Al", "Jane Doe"])
def test_every_brief_is_15_to_20_seconds_long(intent: str, name: str) -> None:
    pack = {"customer": {"name": name} if name else None, "intent": intent, "reasons": ["human_topic:complaint"]}

    body = brief_body(pack)

    in_band(body)
    assert "(" not in body and "_" not in body


def test_the_choice_is_outside_the_band_and_said_last() -> None:
    whole = brief({"customer": {"name": "Jane Doe"}, "intent": "request_human"})

    assert whole.endswith(" Press 1 to take the call, 2 to decline.")
    in_band(whole[: -len(CHOICES) - 1])
