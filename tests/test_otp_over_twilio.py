"""The one-time code travels as a real Twilio API call (to the local fake Twilio)."""

from __future__ import annotations

import re
from pathlib import Path

from actions.sms import TwilioSmsSender
from devtools.fake_twilio import FakeTwilio
from tests.support.world import PHONES, SAM, make_world

SHOP_NUMBER = "+15005550006"


def test_a_cancellation_code_is_texted_through_twilio_and_confirms_the_cancellation(tmp_path: Path, fake_twilio: FakeTwilio) -> None:
    sender = TwilioSmsSender(fake_twilio.account_sid, fake_twilio.auth_token, SHOP_NUMBER, base_url=fake_twilio.base_url)
    world = make_world(tmp_path, sms=sender)

    prompt = world.say(SAM, "cancel my subscription", "cancel_subscription")

    assert "6-digit code to your phone ending 0002" in prompt
    [message] = fake_twilio.messages
    assert (message["to"], message["from"]) == (PHONES[SAM], SHOP_NUMBER)
    code = re.search(r"\b(\d{6})\b", message["body"]).group(1)
    assert "Snack Box weekly" in message["body"]
    sent = [e for e in world.entries(SAM) if e.event == "otp_sent"][0]
    assert (sent.detail["channel"], sent.detail["to"]) == ("sms", "***0002")

    assert "cancelled" in world.say(SAM, code, "provide_otp")
    assert world.business.subscriptions("C002")[0].status == "cancelled"


def test_when_twilio_refuses_the_number_nothing_is_cancelled_and_the_customer_is_told(tmp_path: Path, fake_twilio: FakeTwilio) -> None:
    fake_twilio.refuse(PHONES[SAM], code=21610)
    sender = TwilioSmsSender(fake_twilio.account_sid, fake_twilio.auth_token, SHOP_NUMBER, base_url=fake_twilio.base_url)
    world = make_world(tmp_path, sms=sender)

    reply = world.replies(SAM, "cancel my subscription", "cancel_subscription")[-1]

    assert reply.startswith("I couldn't send a security code to your phone ending 0002")
    assert world.business.subscriptions("C002")[0].status == "active"
    failure = [e for e in world.entries(SAM) if e.event == "otp_delivery_failed"][0]
    assert "21610" in failure.detail["error"]
