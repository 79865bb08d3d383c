"""What a caller's answer means: the keypad and the words, read by what the conversation waits for."""

from __future__ import annotations

import pytest

from actions.domain.voice_calls import CODE, OFFER, YES_NO
from channels.voice_requests import (
    ASK_PERSON,
    BadCall,
    bot_lines,
    call_sid_of,
    heard,
    leg_of,
    turn_number,
)


@pytest.mark.parametrize(("form", "expecting", "words"), [
    ({"Digits": "1"}, YES_NO, "yes"),
    ({"Digits": "2"}, YES_NO, "no"),
    ({"Digits": "7"}, YES_NO, None),  # neither: asked again
    ({"Digits": "482913#"}, CODE, "482913"),
    ({"Digits": "0"}, OFFER, ASK_PERSON),
    ({"SpeechResult": "yes please, an agent", "Confidence": "0.8"}, OFFER, ASK_PERSON),
    ({"Digits": "1001#"}, None, "1001"),  # an order number keyed in
    ({"SpeechResult": "where is my order", "Confidence": "0.91"}, None, "where is my order"),
    ({"SpeechResult": "mumble", "Confidence": "0.1"}, None, None),  # too unsure to act on
    ({"SpeechResult": "where is my order"}, None, "where is my order"),  # no Confidence: not held against them
    ({}, None, None),  # silence
    ({"Digits": "#"}, None, None),
])
def test_the_keypad_and_the_words_mean_what_the_conversation_waits_for(form: dict, expecting: str, words: str) -> None:
    assert heard(form, expecting) == words


def test_what_cannot_name_a_call_a_turn_or_a_persons_phone_is_a_bad_call() -> None:
    assert call_sid_of({"CallSid": "CA" + "a" * 32}) == "CA" + "a" * 32
    assert turn_number("3") == 3
    assert leg_of({"transfer": "t-1", "leg": "2"}) == ("t-1", 2)
    for bad in (lambda: call_sid_of({"CallSid": "SM" + "a" * 32}), lambda: turn_number("x"),
                lambda: turn_number("999999"), lambda: leg_of({"transfer": "t 1", "leg": "1"}),
                lambda: leg_of({"transfer": "t1", "leg": "-1"})):
        with pytest.raises(BadCall):
            bad()


def test_the_bots_words_to_say_are_its_texts_and_its_status_lines() -> None:
    messages = [{"text": "Order 1001 was delivered."}, {"custom": {"status_line": "You're next in the queue"}},
                {"custom": {"something": "else"}}, {"text": "  "}]
    assert bot_lines(messages) == ["Order 1001 was delivered.", "You're next in the queue"]
