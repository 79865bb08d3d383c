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
from pathlib import Path
from typing import Iterator, List

import pytest

from actions.acme.sqlite_backend import SqlBusiness
from actions.domain.pending import Stage
from actions.store.database import make_engine
from actions.store.sql import SqlApprovalQueue, SqlAuditLog, SqlPendingStore
from bot.stack import Stack, free_port
from devtools.fake_twilio import FakeTwilio
from devtools.fake_twilio.phone_calls import PhoneCall
from tests.support.waiting import eventually

pytestmark = pytest.mark.e2e

SHOP_NUMBER = "+15005550006"
JANE, SAM, PRIYA = "+15550100001", "+15550100002", "+15550100003"
TURN = 60.0  # seconds a turn may take to cross every process (CI shares 2 cores)


@pytest.fixture(scope="module")
def fake_twilio() -> Iterator[FakeTwilio]:
    with FakeTwilio(sms_number=SHOP_NUMBER) as fake:
        yield fake


@pytest.fixture(scope="module")
def stack(trained_model: Path, tmp_path_factory: pytest.TempPathFactory, fake_twilio: FakeTwilio) -> Iterator[Stack]:
    twilio = {"TWILIO_ACCOUNT_SID": fake_twilio.account_sid, "TWILIO_AUTH_TOKEN": fake_twilio.auth_token,
              "TWILIO_FROM_NUMBER": SHOP_NUMBER, "TWILIO_BASE_URL": fake_twilio.base_url}
    stack = Stack(data_dir=tmp_path_factory.mktemp("voice-stack"), model=trained_model, rasa_port=free_port(),
                  actions_port=free_port(), inbox_port=free_port(), env=twilio, quiet=True)
    stack.start()
    try:
        yield stack
    finally:
        stack.stop()


def call(stack: Stack, fake: FakeTwilio, number: str) -> PhoneCall:
    placed = fake.place_call(number, SHOP_NUMBER, f"{stack.public_url}/webhooks/voice/webhook",
                             status_callback=f"{stack.public_url}/webhooks/voice/status")
    placed.timeout = TURN
    placed.settle()
    return placed


def heard(placed: PhoneCall) -> str:
    return " ".join(placed.said())


def code_texted_to(fake: FakeTwilio, number: str, after: int) -> str:
    eventually(lambda: len(texts_to(fake, number)) > after, TURN, f"a code was texted to {number}")
    return re.search(r"\b(\d{6})\b", texts_to(fake, number)[-1]).group(1)  # type: ignore[union-attr]


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
