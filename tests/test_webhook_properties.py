"""Signed Twilio webhooks with whatever fields and values, into the running SMS and WhatsApp channels.

Twilio's signature is right on every request here (the fake Twilio signs the random form), so
what is tested is what comes after it: a message is taken (200, empty TwiML) or refused with a
400 that says why, a delivery report is taken (204) or refused with a 400, and never a 500. A
refused webhook stores nothing: the inbound queue, the numbers seen, the deliveries and the
sealed codes are the same before and after it.
"""

from __future__ import annotations

from typing import Dict, Iterator, Tuple

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from tests.support.waiting import eventually
from tests.test_twilio_webhooks import JANE, SHOP, STRANGER, Channels, channels_running

TABLES = ("inbound_messages", "channel_addresses", "deliveries", "delivery_messages", "sealed_inputs", "audit_log")


@pytest.fixture(scope="module")
def channels(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Channels]:
    with channels_running(tmp_path_factory.mktemp("webhook-properties")) as started:
        yield started


def snapshot(channels: Channels) -> Dict[str, Tuple[tuple, ...]]:
    """The tables a webhook may write, once the turns of messages taken earlier have run (they
    write in the background, after their webhook was answered)."""
    eventually(lambda: not channels.rows("SELECT id FROM inbound_messages WHERE status IN ('accepted', 'handling')"),
               10, "the turns of the messages taken so far ran")
    return {table: tuple(channels.rows(f"SELECT * FROM {table}")) for table in TABLES}


numbers = st.sampled_from([JANE, STRANGER, f"whatsapp:{JANE}", "+1", "15550100001", "whatsapp:", "", "+1555010000１"])
message_forms = st.fixed_dictionaries(
    {"MessageSid": st.one_of(st.text(max_size=40), st.from_regex(r"SM[0-9a-f]{32}", fullmatch=True)),
     "From": st.one_of(numbers, st.text(max_size=20)),
     "To": st.just(SHOP)},
    optional={"Body": st.text(max_size=300).filter(lambda body: "slow" not in body),  # "slow" takes 20 s here "NumMedia": st.sampled_from(["0", "1", "2", "x", "-1", "99"]),
              "MediaUrl0": st.text(max_size=40), "MediaContentType0": st.text(max_size=20),
              "Latitude": st.text(max_size=10), "Longitude": st.text(max_size=10),
              "MessageStatus": st.sampled_from(["", "delivered"]), "AccountSid": st.text(max_size=34)},
)
status_forms = st.fixed_dictionaries(
    {},
    optional={"MessageSid": st.text(max_size=40), "MessageStatus": st.one_of(
        st.sampled_from(["queued", "sent", "delivered", "undelivered", "failed", "read"]), st.text(max_size=12)),
              "ErrorCode": st.one_of(st.sampled_from(["", "30003", "21610", "1e3", "-5", "٣"]), st.text(max_size=12)),
              "ErrorMessage": st.text(max_size=80)},
)


@given(form=message_forms, channel=st.sampled_from(["sms", "whatsapp"]))
@example(form={"MessageSid": "SM" + "1" * 32, "From": JANE, "To": SHOP, "NumMedia": "99999999999999999999999"},
         channel="sms")
@example(form={"MessageSid": "SM" + "2" * 32, "From": JANE, "To": SHOP, "Body": "a\x00b"}, channel="sms")
def test_a_signed_message_webhook_is_taken_or_refused_with_a_400_that_stores_nothing(
        channels: Channels, form: Dict[str, str], channel: str) -> None:
    before = snapshot(channels)

    reply = channels.fake.send_webhook(f"{channels.base}/webhooks/{channel}/webhook", form)

    assert reply.status in (200, 400), reply
    if reply.status == 400:
        assert reply.body.strip(), "a refusal says what was wrong"
        assert snapshot(channels) == before


@given(form=status_forms, channel=st.sampled_from(["sms", "whatsapp"]))
@example(form={"MessageSid": "SM" + "3" * 32, "MessageStatus": "failed", "ErrorCode": "٣"}, channel="sms")
def test_a_signed_status_callback_is_taken_or_refused_with_a_400_that_changes_nothing(
        channels: Channels, form: Dict[str, str], channel: str) -> None:
    before = snapshot(channels)

    reply = channels.fake.send_webhook(f"{channels.base}/webhooks/{channel}/status", form)

    assert reply.status in (204, 400), reply
    if reply.status == 400:
        assert reply.body.strip()
    assert snapshot(channels) == before  # no delivery of ours has these ids: nothing moves either way

