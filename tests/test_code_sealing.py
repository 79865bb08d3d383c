"""Codes answering a prompt are sealed by the text channels (``actions.domain.sealed``).

The decision a channel makes before anything records a message (does it look like a code, does
the conversation wait for one), how a sealed message travels through a queue, what pages and
people are shown of it, and which channels' references the action server believes. Each
channel's own wiring is tested with the channel (``test_rest_channel``, ``test_twilio_webhooks``)
and end to end, where Rasa's tracker is read back (``tests/e2e``).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Dict, List, Optional

import pytest
from rasa_sdk import Tracker
from sqlalchemy import text

from actions import rasa_actions
from actions.domain.sealed import (
    CODE_PLACEHOLDER, SEALED_CODE_MESSAGE, SEALED_KEY, CodeSealer, looks_like_code, sealed_ref_in, sealed_text,
)
from actions.domain.turn import Turn
from actions.domain.voice_calls import CODE, YES_NO
from actions.store.memory import MemorySealedInputs
from channels.webchat.history import history_of
from tests.support.world import START, make_world

JANE = "customer-C001"


@pytest.mark.parametrize("message", ["482913", "482 913", "482-913", "my code is 482913", "  code: 120 044 thanks",
                                     "here's the code 771204"])
def test_a_code_as_customers_type_it_looks_like_a_code(message: str) -> None:
    assert looks_like_code(message)


@pytest.mark.parametrize("message", ["yes", "send it again", "order 1003", "12345", "1234567",
                                     "+1 555 010 0001", "my number is 0015550100001", "(555) 010-0001", ""])
def test_words_short_numbers_and_phone_numbers_are_no_code(message: str) -> None:
    assert not looks_like_code(message)


class Waiting:
    """What each conversation waits for, counting how often the channel asked."""

    def __init__(self, waits: Dict[str, Optional[str]]) -> None:
        self.waits = waits
        self.asked: List[str] = []

    def __call__(self, conversation_id: str) -> Optional[str]:
        self.asked.append(conversation_id)
        return self.waits.get(conversation_id)


def test_janes_code_is_sealed_whole_and_taken_once_when_her_conversation_waits_for_one() -> None:
    sealed = MemorySealedInputs()
    sealer = CodeSealer(Waiting({JANE: CODE}), sealed, lambda: START)

    ref = sealer.seal_if_code(JANE, "my code is 482 913")

    assert ref is not None and "482" not in ref
    assert sealed.take(ref, "customer-C002", START) is None  # another conversation's reference reads nothing
    assert sealed.take(ref, JANE, START) == "my code is 482 913"
    assert sealed.take(ref, JANE, START) is None


@pytest.mark.parametrize("waits", [None, YES_NO])
def test_digits_in_a_conversation_that_waits_for_no_code_go_as_written(waits: Optional[str]) -> None:
    sealed = MemorySealedInputs()

    assert CodeSealer(Waiting({JANE: waits}), sealed, lambda: START).seal_if_code(JANE, "482913") is None


@pytest.mark.parametrize("minutes_ago, sealed", [(9, True), (11, False)])
def test_a_code_sent_again_soon_after_its_prompt_ended_is_still_sealed(minutes_ago: int, sealed: bool) -> None:
    prompts = {JANE: START - timedelta(minutes=minutes_ago)}  # when Jane's code prompt was last live

    def prompted_since(conversation_id: str, since: datetime) -> bool:
        return conversation_id in prompts and prompts[conversation_id] >= since

    sealer = CodeSealer(Waiting({JANE: None}), MemorySealedInputs(), lambda: START, prompted_since)

    assert (sealer.seal_if_code(JANE, "482913") is not None) is sealed
    assert sealer.seal_if_code(JANE, "where is my order?") is None


def test_a_message_that_is_no_code_costs_no_look_up() -> None:
    waiting = Waiting({JANE: CODE})

    assert CodeSealer(waiting, MemorySealedInputs(), lambda: START).seal_if_code(JANE, "where is my order?") is None
    assert waiting.asked == []


def test_a_sealed_message_travels_through_a_queue_as_its_reference_only() -> None:
    queued = sealed_text("Abc_12-xyz789")

    assert queued.startswith(SEALED_CODE_MESSAGE)
    assert sealed_ref_in(queued) == "Abc_12-xyz789"


@pytest.mark.parametrize("message", ["/provide_otp", "482913", "/provide_otp#sealed:", "/affirm#sealed:abcdefgh12",
                                     "/provide_otp#sealed:not a reference!"])
def test_anything_else_in_a_queue_is_no_sealed_reference(message: str) -> None:
    assert sealed_ref_in(message) is None


def test_a_page_shows_a_sealed_code_as_a_placeholder_and_other_payloads_not_at_all() -> None:
    events = [
        {"event": "user", "text": "/greet", "timestamp": 1.0, "metadata": {}},
        {"event": "user", "text": SEALED_CODE_MESSAGE, "timestamp": 2.0, "metadata": {SEALED_KEY: "r" * 24}},
        {"event": "user", "text": SEALED_CODE_MESSAGE, "timestamp": 3.0, "metadata": {}},  # typed by hand
    ]

    assert [m["text"] for m in history_of(events)] == [CODE_PLACEHOLDER]


def _turn_on(channel: str) -> Turn:
    metadata = {SEALED_KEY: "r" * 24}
    events: List[Dict[str, Any]] = [{"event": "user", "text": SEALED_CODE_MESSAGE, "input_channel": channel,
                                     "metadata": metadata, "timestamp": 1.0,
                                     "parse_data": {"intent": {"name": "provide_otp", "confidence": 1.0}}}]
    latest = {"text": SEALED_CODE_MESSAGE, "intent": {"name": "provide_otp", "confidence": 1.0}, "metadata": metadata}
    return rasa_actions.turn_from_tracker(Tracker(JANE, {}, latest, events, False, None, None, "action_listen"), "reply")


@pytest.mark.parametrize("channel", ["rest", "webchat", "sms", "whatsapp", "voice"])
def test_the_action_server_believes_a_reference_from_a_channel_that_seals(channel: str) -> None:
    assert _turn_on(channel).sealed == "r" * 24


def test_a_reference_on_a_channel_that_does_not_seal_is_not_believed() -> None:
    assert _turn_on("socketio").sealed is None  # Rasa's stock channel passes the client's metadata on


def test_a_sealed_code_sent_while_people_have_the_conversation_reaches_the_ticket_as_a_placeholder(
        tmp_path: Path) -> None:
    world = make_world(tmp_path, sql=True)
    world.say(JANE, "I want to talk to a real person", "request_human")
    assert world.services.handoffs.open_for(JANE) is not None

    turn = Turn(conversation_id=JANE, request="reply", intent="provide_otp", confidence=1.0, text="482913",
                channel="sms", code_sealed=True)
    world.assistant.handle(turn)

    assert world.engine is not None
    with world.engine.connect() as db:
        said = [row[0] for row in db.execute(text("SELECT text FROM ticket_messages WHERE kind = 'customer'"))]
    assert said[-1] == CODE_PLACEHOLDER and not any("482913" in line for line in said)
