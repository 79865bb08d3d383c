"""The voice channel's TwiML: each document compared as XML, each valid, none leaving a caller in silence."""

from __future__ import annotations

from typing import Callable, Dict
from xml.etree import ElementTree

import pytest

from actions.settings import PROJECT_ROOT
from channels import voice_twiml as twiml

GATHER = "/webhooks/voice/gather?call=CA123&turn=3"
GATHER_XML = "/webhooks/voice/gather?call=CA123&amp;turn=3"
DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>'


def test_a_turn_says_each_reply_and_listens_for_speech_or_keys_then_comes_back_if_nothing_was_said() -> None:
    xml = twiml.turn(["Order 1 0 0 4 is due Thursday the 26th of November.", "What else can I do for you?"],
                     GATHER, hints=["order status", "refund"], expecting=None)

    assert xml == (
        f'{DECLARATION}<Response>'
        f'<Gather action="{GATHER_XML}" actionOnEmptyResult="true" bargeIn="true" hints="order status, refund" '
        'input="speech dtmf" language="en-US" method="POST" speechTimeout="auto" timeout="5">'
        '<Say voice="Polly.Joanna">Order 1 0 0 4 is due Thursday the 26th of November.</Say>'
        '<Say voice="Polly.Joanna">What else can I do for you?</Say>'
        '</Gather>'
        f'<Redirect method="POST">{GATHER_XML}&amp;silent=1</Redirect>'
        '</Response>'
    )


def test_a_yes_or_no_question_takes_a_single_key() -> None:
    xml = twiml.turn(["Refund 20 dollars. Say yes or press 1 to confirm; say no or press 2 to cancel."], GATHER,
                     hints=["yes", "no"], expecting="yes_no")

    assert xml == (
        f'{DECLARATION}<Response>'
        f'<Gather action="{GATHER_XML}" actionOnEmptyResult="true" bargeIn="true" hints="yes, no" '
        'input="speech dtmf" language="en-US" method="POST" numDigits="1" speechTimeout="auto" timeout="5">'
        '<Say voice="Polly.Joanna">Refund 20 dollars. Say yes or press 1 to confirm; say no or press 2 to cancel.</Say>'
        '</Gather>'
        f'<Redirect method="POST">{GATHER_XML}&amp;silent=1</Redirect>'
        '</Response>'
    )


def test_a_code_gets_longer_to_find_and_ends_at_the_hash_key() -> None:
    xml = twiml.turn(["Enter the code on your keypad or say it digit by digit."], "/webhooks/voice/gather",
                     hints=(), expecting="code", voice="Polly.Matthew", language="en-GB", silence_timeout=6)

    assert xml == (
        f'{DECLARATION}<Response>'
        '<Gather action="/webhooks/voice/gather" actionOnEmptyResult="true" bargeIn="true" finishOnKey="#" '
        'input="speech dtmf" language="en-GB" method="POST" speechTimeout="auto" timeout="12">'
        '<Say voice="Polly.Matthew">Enter the code on your keypad or say it digit by digit.</Say>'
        '</Gather>'
        '<Redirect method="POST">/webhooks/voice/gather?silent=1</Redirect>'
        '</Response>'
    )


def test_words_with_xml_characters_are_escaped_not_broken() -> None:
    xml = twiml.turn(['Tom & Jerry said "<hi>"'], GATHER, hints=(), expecting=None)

    assert "<Say voice=\"Polly.Joanna\">Tom &amp; Jerry said \"&lt;hi&gt;\"</Say>" in xml
    assert ElementTree.fromstring(xml).find("Gather/Say").text == 'Tom & Jerry said "<hi>"'


def test_a_reprompt_apologises_then_asks_again() -> None:
    xml = twiml.reprompt("Say yes or press 1; say no or press 2.", GATHER, expecting="yes_no")

    assert '<Say voice="Polly.Joanna">Sorry, I didn\'t hear anything.</Say>' \
           '<Say voice="Polly.Joanna">Say yes or press 1; say no or press 2.</Say></Gather>' in xml
    assert 'numDigits="1"' in xml and xml.endswith(f'<Redirect method="POST">{GATHER_XML}&amp;silent=1</Redirect></Response>')
    assert "Sorry, I didn't catch that." in twiml.reprompt("What's your order number?", GATHER, heard_nothing=False)


def test_goodbye_says_it_then_hangs_up() -> None:
    assert twiml.goodbye("Goodbye, and thanks for calling Acme!") == (
        f'{DECLARATION}<Response><Say voice="Polly.Joanna">Goodbye, and thanks for calling Acme!</Say><Hangup /></Response>'
    )


def test_hold_says_a_word_then_plays_music_until_someone_comes() -> None:
    assert twiml.hold_music("Please hold while I find a specialist.", "https://cdn.example/hold.mp3") == (
        f'{DECLARATION}<Response><Say voice="Polly.Joanna">Please hold while I find a specialist.</Say>'
        '<Play loop="0">https://cdn.example/hold.mp3</Play></Response>'
    )


def test_the_caller_goes_into_the_transfer_conference_and_comes_back_to_the_bot_if_nobody_takes_it() -> None:
    xml = twiml.to_conference("I'm connecting you to a specialist. Please hold.", "transfer-t1",
                              "/webhooks/voice/hold", "/webhooks/voice/resume?call=CA123",
                              "/webhooks/voice/conference-status?transfer=t1")

    assert xml == (
        f'{DECLARATION}<Response>'
        '<Say voice="Polly.Joanna">I\'m connecting you to a specialist. Please hold.</Say>'
        '<Dial action="/webhooks/voice/resume?call=CA123" method="POST">'
        '<Conference endConferenceOnExit="true" startConferenceOnEnter="false" '
        'statusCallback="/webhooks/voice/conference-status?transfer=t1" statusCallbackEvent="start end join leave" '
        'waitUrl="/webhooks/voice/hold">transfer-t1</Conference>'
        '</Dial></Response>'
    )


def test_the_person_hears_the_brief_twice_at_most_and_one_key_decides() -> None:
    choice = "/webhooks/voice/person/choice?transfer=t1&leg=2"
    choice_xml = "/webhooks/voice/person/choice?transfer=t1&amp;leg=2"
    gather = (f'<Gather action="{choice_xml}" input="dtmf" method="POST" numDigits="1">'
              '<Say voice="Polly.Joanna">Jane Doe is on the line. Press 1 to take the call, 2 to decline.</Say></Gather>')

    assert twiml.person_brief("Jane Doe is on the line. Press 1 to take the call, 2 to decline.", choice) == (
        f'{DECLARATION}<Response>{gather}{gather}'
        '<Say voice="Polly.Joanna">No key was pressed, so we\'ll offer the call to someone else. Goodbye.</Say>'
        '<Hangup /></Response>'
    )


def test_the_person_who_takes_the_call_joins_the_conference_and_star_leaves_it_without_ending_it() -> None:
    assert twiml.person_joins("transfer-t1", "/webhooks/voice/person/left?transfer=t1&leg=2") == (
        f'{DECLARATION}<Response>'
        '<Dial action="/webhooks/voice/person/left?transfer=t1&amp;leg=2" hangupOnStar="true" method="POST">'
        '<Conference endConferenceOnExit="false" startConferenceOnEnter="true">transfer-t1</Conference>'
        '</Dial></Response>'
    )


def test_a_request_that_failed_still_says_something_then_retries() -> None:
    assert twiml.something_went_wrong(retry_url="/webhooks/voice/gather?call=CA123&turn=3&silent=1") == (
        f'{DECLARATION}<Response><Say voice="Polly.Joanna">Sorry, something went wrong on our side.</Say>'
        f'<Redirect method="POST">{GATHER_XML}&amp;silent=1</Redirect></Response>'
    )


def test_a_request_that_failed_with_nowhere_to_go_says_so_and_hangs_up() -> None:
    assert twiml.something_went_wrong("Sorry, I couldn't find that call.") == (
        f'{DECLARATION}<Response><Say voice="Polly.Joanna">Sorry, I couldn\'t find that call.</Say>'
        '<Say voice="Polly.Joanna">Please call again in a few minutes. Goodbye.</Say><Hangup /></Response>'
    )
    assert "Sorry, something went wrong on our side." in twiml.something_went_wrong("  ")


def test_an_empty_answer_is_an_empty_response() -> None:
    assert twiml.empty() == f"{DECLARATION}<Response />"


def test_the_no_answer_marker_joins_the_query_either_way() -> None:
    assert twiml.no_answer_url("/webhooks/voice/gather") == "/webhooks/voice/gather?silent=1"
    assert twiml.no_answer_url("/webhooks/voice/gather?call=CA1&turn=2") == "/webhooks/voice/gather?call=CA1&turn=2&silent=1"


# -- every document -----------------------------------------------------------------------------------

DOCUMENTS: Dict[str, Callable[[], str]] = {
    "turn": lambda: twiml.turn(["Hello."], GATHER, hints=["refund"], expecting=None),
    "turn yes_no": lambda: twiml.turn(["Say yes or press 1."], GATHER, hints=["yes", "no"], expecting="yes_no"),
    "turn code": lambda: twiml.turn(["Enter the code."], GATHER, hints=(), expecting="code"),
    "turn with no words": lambda: twiml.turn([], GATHER, hints=(), expecting=None),
    "reprompt": lambda: twiml.reprompt("Say yes or press 1.", GATHER, expecting="yes_no"),
    "goodbye": lambda: twiml.goodbye("Goodbye."),
    "hold music": lambda: twiml.hold_music("Please hold.", "https://cdn.example/hold.mp3"),
    "to conference": lambda: twiml.to_conference("Connecting you.", "transfer-t1", "/webhooks/voice/hold",
                                                 "/webhooks/voice/resume?call=CA1",
                                                 "/webhooks/voice/conference-status?transfer=t1"),
    "person brief": lambda: twiml.person_brief("Jane Doe is on the line.", "/webhooks/voice/person/choice?transfer=t1&leg=1"),
    "person joins": lambda: twiml.person_joins("transfer-t1", "/webhooks/voice/person/left?transfer=t1&leg=1"),
    "went wrong, retry": lambda: twiml.something_went_wrong(retry_url=GATHER),
    "went wrong, hang up": lambda: twiml.something_went_wrong(),
    "empty": twiml.empty,
}


@pytest.mark.parametrize("name", sorted(DOCUMENTS))
def test_every_document_is_xml_with_a_response_root(name: str) -> None:
    root = ElementTree.fromstring(DOCUMENTS[name]())
    assert root.tag == "Response"


@pytest.mark.parametrize("name", sorted(set(DOCUMENTS) - {"empty"}))
def test_no_document_can_leave_a_caller_in_silence(name: str) -> None:
    """Each ends by going somewhere: a Redirect, a Hangup, a Dial (its action carries on), or music that loops."""
    last = list(ElementTree.fromstring(DOCUMENTS[name]()))[-1]
    assert last.tag in ("Redirect", "Hangup", "Dial", "Play")
    if last.tag == "Play":
        assert last.get("loop") == "0"


@pytest.mark.parametrize("name", sorted(DOCUMENTS))
def test_every_document_is_twiml_twilio_accepts(name: str) -> None:
    checker = pytest.importorskip("devtools.fake_twilio.twiml")
    checker.check_twiml(DOCUMENTS[name]())


# -- speech hints -------------------------------------------------------------------------------------

def test_hints_come_from_the_key_phrases_the_intents_and_the_nlu_data() -> None:
    hints = twiml.speech_hints(PROJECT_ROOT / "bot" / "domain.yml", PROJECT_ROOT / "data")

    assert hints[:2] == ["yes", "no"]
    for expected in ("refund", "cancel my subscription", "order", "cancel subscription", "order status",
                     "remove payment method", "resend code", "morning", "afternoons", "1001", "1010"):
        assert expected in hints
    assert "greet" not in hints and "provide otp" not in hints and "affirm" not in hints
    assert "482913" not in hints, "a sample code must not make the recogniser favour it"
    assert not any("@" in hint or "$" in hint for hint in hints)


def test_hints_keep_within_twilios_limits() -> None:
    """Twilio: up to 500 hints, each at most 100 characters, words separated by spaces (warning 13330)."""
    many = [f"word{i}" for i in range(700)] + ["x" * 101, "two, words", "cancel_subscription", "Refund", "refund"]
    hints = twiml.speech_hints({"intents": ["cancel_subscription"]}, {"nlu": [{"lookup": "thing", "examples": "\n".join(
        f"- {hint}" for hint in many)}]})

    assert len(hints) == 500 and len({hint.lower() for hint in hints}) == 500
    assert all(len(hint) <= 100 and "," not in hint for hint in hints)
    assert hints.count("refund") == 1 and "Refund" not in hints
    attribute = twiml.hints_attribute(hints + ["more"])
    assert attribute.count(", ") == 499


def test_real_hints_fit_in_a_turn() -> None:
    hints = twiml.speech_hints(PROJECT_ROOT / "bot" / "domain.yml", [PROJECT_ROOT / "data" / "nlu.yml"])
    gather = ElementTree.fromstring(twiml.turn(["Hello."], GATHER, hints=hints, expecting=None)).find("Gather")

    assert gather.get("hints").split(", ") == hints


def test_hints_read_entities_written_either_way_and_synonyms() -> None:
    nlu = {"nlu": [
        {"intent": "change_delivery_slot", "examples": '- move it to [mornings]{"entity": "delivery_slot", "value": "morning"}\n'
                                                        "- deliver order [1002](order_id) in the evening\n"
                                                        "- my code is [123456](otp_code)\n"},
        {"synonym": "evening", "examples": "- evenings\n- after work\n"},
        {"regex": "order_id", "examples": r"- \b\d{4}\b"},
    ]}
    hints = twiml.speech_hints({"intents": [{"request_refund": {"use_entities": True}}, "greet"]}, nlu)

    assert hints[len(twiml.KEY_PHRASES):] == ["mornings", "1002", "evenings", "after work"]
    assert "refund" in hints and "greet" not in hints
