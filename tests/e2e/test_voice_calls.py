"""Calls end to end: the real Rasa server, action server and inbox, called by the fake Twilio.

The fake plays each call as Twilio would: it posts the signed voice webhook, reads the TwiML,
says each ``<Say>`` and waits at each ``<Gather>`` for what the test has the caller say or key.
Codes are texted by the inbox's delivery worker through the fake's Messages API, where the test
reads them, as the caller would on their phone.
"""

from __future__ import annotations

import json
import re
import urllib.request
from datetime import datetime, timezone
from typing import List

import pytest

from actions.acme.sqlite_backend import SqlBusiness
from actions.store.database import make_engine
from actions.store.sql import SqlApprovalQueue, SqlAuditLog, SqlPendingStore
from actions.store.voice import SqlVoiceCalls
from bot.stack import Stack
from devtools.fake_twilio import FakeTwilio
from devtools.fake_twilio.phone_calls import PhoneCall
from devtools.fake_twilio.twiml import check_twiml
from tests.support.stacks import SHOP_NUMBER
from tests.support.waiting import eventually

pytestmark = pytest.mark.e2e

JANE, SAM, PRIYA = "+15550100001", "+15550100002", "+15550100003"
TURN = 60.0  # seconds a turn may take to cross every process (CI shares 2 cores)
DIGIT_WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")


@pytest.fixture
def fake_twilio(phone_line: FakeTwilio) -> FakeTwilio:
    return phone_line


@pytest.fixture
def stack(phone_stack: Stack) -> Stack:
    return phone_stack


def call(stack: Stack, fake: FakeTwilio, number: str) -> PhoneCall:
    placed = fake.place_call(number, SHOP_NUMBER, f"{stack.public_url}/webhooks/voice/webhook",
                             status_callback=f"{stack.public_url}/webhooks/voice/status")
    placed.timeout = TURN
    placed.settle()
    return placed


def heard(placed: PhoneCall) -> str:
    return " ".join(placed.said())


def code_texted_to(fake: FakeTwilio, number: str, after: int) -> str:
    """The code in the texts to ``number`` since the first ``after`` of them."""
    def codes() -> List[str]:
        return [m.group(1) for text in texts_to(fake, number)[after:] for m in [re.search(r"\b(\d{6})\b", text)] if m]
    eventually(lambda: codes() != [], TURN, f"a code was texted to {number}")
    return codes()[-1]


def texts_to(fake: FakeTwilio, number: str) -> List[str]:
    return [m["body"] for m in fake.messages if m["to"] == number]


def tracker_json(stack: Stack, conversation_id: str) -> str:
    url = f"{stack.rasa_url}/conversations/{conversation_id}/tracker?token={stack.api_token}"
    with urllib.request.urlopen(url, timeout=30) as response:
        return response.read().decode()


def test_jane_calls_and_asks_where_her_order_is(stack: Stack, fake_twilio: FakeTwilio) -> None:
    placed = call(stack, fake_twilio, JANE)
    assert "Acme assistant" in heard(placed)

    placed.answer("where is my order 1001")
    answer = heard(placed)
    assert "Order 1 0 0 1" in answer and "delivered" in answer, answer

    placed.hang_up()
    eventually(lambda: any(e.event == "call_ended" for e in SqlAuditLog(make_engine(
        f"sqlite:///{stack.data_dir / 'hitl.db'}")).entries("customer-C001")), TURN, "the call's end is audited")
    assert not fake_twilio.twiml_errors, fake_twilio.twiml_errors


def test_a_refund_above_the_approval_limit_is_confirmed_by_voice_and_waits_for_a_manager(
        stack: Stack, fake_twilio: FakeTwilio) -> None:
    placed = call(stack, fake_twilio, JANE)
    placed.answer("I want a refund for order 1003, the espresso machine")
    prompt = heard(placed)
    assert "749 dollars" in prompt and "press 1" in prompt, prompt

    placed.press("1")
    reply = heard(placed)
    assert "for approval" in reply and "Nothing has been refunded" in reply, reply
    engine = make_engine(f"sqlite:///{stack.data_dir / 'hitl.db'}")
    [request] = SqlApprovalQueue(engine).open_for_customer("C001")
    assert request.amount_cents == 74900
    placed.hang_up()


def test_sam_cancels_his_subscription_with_the_code_keyed_on_his_keypad(
        stack: Stack, fake_twilio: FakeTwilio) -> None:
    before = len(texts_to(fake_twilio, SAM))
    placed = call(stack, fake_twilio, SAM)
    placed.answer("please cancel my subscription")
    prompt = heard(placed)
    assert "keypad" in prompt and "0 0 0 2" in prompt, prompt

    code = code_texted_to(fake_twilio, SAM, before)
    placed.press(code + "#")
    assert "cancelled" in heard(placed).lower(), heard(placed)
    business = SqlBusiness(f"sqlite:///{stack.data_dir / 'acme.db'}")
    assert business.subscriptions("C002")[0].status == "cancelled"
    placed.hang_up()

    # the code is nowhere in the conversation's record, nor in any log the stack wrote
    assert code not in tracker_json(stack, "customer-C002")
    for log in (stack.data_dir / "logs").glob("*"):
        assert code not in log.read_text(errors="replace"), log.name


def test_three_wrong_codes_on_the_keypad_cancel_the_request_and_nothing_changes(
        stack: Stack, fake_twilio: FakeTwilio) -> None:
    before = len(texts_to(fake_twilio, PRIYA))
    placed = call(stack, fake_twilio, PRIYA)
    placed.answer("I want to cancel my subscription")
    assert "keypad" in heard(placed), heard(placed)
    code = code_texted_to(fake_twilio, PRIYA, before)
    wrong = "000000" if code != "000000" else "111111"

    placed.press(wrong + "#")
    assert "That code isn't right. You have 2 tries left." in heard(placed), heard(placed)
    placed.press(wrong + "#")
    assert "1 try left" in heard(placed), heard(placed)
    placed.press(wrong + "#")
    final = heard(placed)
    assert "That's 3 wrong codes" in final and "nothing was changed" in final and "keypad" not in final, final
    engine = make_engine(f"sqlite:///{stack.data_dir / 'hitl.db'}")
    assert SqlPendingStore(engine).awaiting_customer("customer-C003") is None
    business = SqlBusiness(f"sqlite:///{stack.data_dir / 'acme.db'}")
    assert business.subscriptions("C003")[0].status == "active"
    placed.hang_up()


def test_priya_asks_again_and_reads_her_code_aloud_digit_by_digit(stack: Stack, fake_twilio: FakeTwilio) -> None:
    before = len(texts_to(fake_twilio, PRIYA))
    placed = call(stack, fake_twilio, PRIYA)
    placed.answer("cancel my coffee club subscription please")
    code = code_texted_to(fake_twilio, PRIYA, before)
    words = " ".join(DIGIT_WORDS[int(digit)] for digit in code)

    placed.answer(f"it's {words}")
    assert "cancelled" in heard(placed).lower(), heard(placed)
    assert code not in tracker_json(stack, "customer-C003")
    placed.hang_up()


def test_a_code_texted_while_jane_was_on_sms_is_keyed_in_when_she_calls(stack: Stack, fake_twilio: FakeTwilio) -> None:
    before = len(texts_to(fake_twilio, JANE))
    texted = fake_twilio.send_inbound_sms(f"{stack.public_url}/webhooks/sms/webhook", JANE, SHOP_NUMBER,
                                          "please cancel my subscription")
    assert texted.status == 200
    code = code_texted_to(fake_twilio, JANE, before)

    placed = call(stack, fake_twilio, JANE)
    placed.press(code + "#")
    assert "cancelled" in heard(placed).lower(), heard(placed)
    business = SqlBusiness(f"sqlite:///{stack.data_dir / 'acme.db'}")
    assert business.subscriptions("C001")[0].status == "cancelled"
    placed.hang_up()


def test_a_withheld_number_gets_the_public_answers_only(stack: Stack, fake_twilio: FakeTwilio) -> None:
    placed = call(stack, fake_twilio, "anonymous")
    placed.answer("where is my order 1001")
    answer = heard(placed)
    assert "Wireless headphones" not in answer and "delivered" not in answer, answer
    placed.answer("what are your opening hours")
    assert "8" in heard(placed) or "eight" in heard(placed).lower(), heard(placed)
    placed.hang_up()


def test_a_caller_who_says_nothing_is_asked_twice_offered_a_person_then_let_go(
        stack: Stack, fake_twilio: FakeTwilio) -> None:
    placed = call(stack, fake_twilio, SAM)
    placed.silence()
    assert heard(placed).startswith("Sorry, I didn't catch that."), heard(placed)
    placed.silence()
    placed.silence()
    assert "press 0" in heard(placed), heard(placed)
    placed.silence()
    placed.wait_until("completed", TURN)
    assert "I'll end this call" in " ".join(placed.said_all()[-1:]), placed.said_all()


def test_a_request_twilio_did_not_sign_is_refused_and_what_cannot_be_read_gets_words(
        stack: Stack, fake_twilio: FakeTwilio) -> None:
    hook = f"{stack.public_url}/webhooks/voice/webhook"
    params = {"CallSid": "CA" + "9" * 32, "AccountSid": fake_twilio.account_sid, "From": JANE, "To": SHOP_NUMBER,
              "CallStatus": "ringing", "Direction": "inbound"}
    assert fake_twilio.send_webhook(hook, params, signature="forged").status == 403

    for url, sent in [(hook, {**params, "CallSid": "not-a-call"}),
                      (f"{stack.public_url}/webhooks/voice/gather?call={'CA' + '8' * 32}&turn=3",
                       {**params, "CallSid": "CA" + "8" * 32, "SpeechResult": "hello"}),
                      (f"{stack.public_url}/webhooks/voice/gather?call={'CA' + '9' * 32}&turn=x", params),
                      (f"{stack.public_url}/webhooks/voice/person/choice?transfer=nope&leg=1", {**params, "Digits": "1"})]:
        answer = fake_twilio.send_webhook(url, sent)
        assert answer.status == 200, (url, answer)
        check_twiml(answer.body)
        assert "<Say" in answer.body and "<Hangup" in answer.body, answer.body
    status = fake_twilio.send_webhook(f"{stack.public_url}/webhooks/voice/status", {**params, "CallSid": "x"})
    assert status.status == 400 and "CallSid" in status.body
    for callback in ("status", "leg-status?transfer=t1&leg=1", "conference-status?transfer=t1"):
        forged = fake_twilio.send_webhook(f"{stack.public_url}/webhooks/voice/{callback}", params, signature="forged")
        assert forged.status == 403, callback


def test_a_turn_twilio_delivers_twice_is_one_turn_with_one_answer(stack: Stack, fake_twilio: FakeTwilio) -> None:
    placed = call(stack, fake_twilio, SAM)
    fake_twilio.duplicate_next_webhooks(times=1, concurrently=True)
    placed.answer("when will order 1004 arrive")
    copies = [w for w in fake_twilio.webhooks if "/webhooks/voice/gather" in w.url][-2:]
    assert copies[0].url == copies[1].url and copies[0].body == copies[1].body
    said = [e for e in json.loads(tracker_json(stack, "customer-C002"))["events"]
            if e["event"] == "user" and e.get("text") == "when will order 1004 arrive"]
    assert len(said) == 1
    placed.hang_up()


def test_every_document_the_channel_gave_is_valid_twiml(stack: Stack, fake_twilio: FakeTwilio) -> None:
    documents = [d for d in fake_twilio.twiml_documents if "/webhooks/voice/" in d.url]
    assert len(documents) > 20
    for document in documents:
        assert document.error is None, document
        check_twiml(document.xml)


def test_a_turn_whose_process_died_is_given_up_after_a_few_rounds_of_one_moment(
        stack: Stack, fake_twilio: FakeTwilio) -> None:
    placed = call(stack, fake_twilio, SAM)
    calls = SqlVoiceCalls(make_engine(f"sqlite:///{stack.data_dir / 'hitl.db'}"))
    turn = calls.get(placed.sid).turn + 1
    calls.begin_turn(placed.sid, turn, datetime.now(timezone.utc), "where is my order")  # claimed, never answered
    url = f"{stack.public_url}/webhooks/voice/gather?call={placed.sid}&turn={turn}"
    params = {"CallSid": placed.sid, "AccountSid": fake_twilio.account_sid, "From": SAM, "To": SHOP_NUMBER,
              "CallStatus": "in-progress", "Direction": "inbound"}

    waiting = fake_twilio.send_webhook(f"{url}&wait=1", params)
    assert "One moment please." in waiting.body and f"turn={turn}&amp;wait=2" in waiting.body
    given_up = fake_twilio.send_webhook(f"{url}&wait=4", params)
    check_twiml(given_up.body)
    assert "Could you say it again?" in given_up.body and f"turn={turn + 1}" in given_up.body
    placed.hang_up()
