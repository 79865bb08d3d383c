"""The fake Twilio as the demo runs it: duplicates, list filters, messages that advance on their own,
and the demo phone posting webhooks signed exactly as Twilio signs them."""

from __future__ import annotations

import time
from datetime import date, datetime, timezone
from typing import Callable, Iterator

import pytest
import requests
from twilio.request_validator import RequestValidator

from devtools.fake_twilio import FakeTwilio, PhoneSettings
from devtools.fake_twilio.__main__ import main as run_fake
from devtools.fake_twilio.receiver import EMPTY_TWIML, ReceivedWebhook, WebhookReceiver
from tests.support.world import FrozenClock

SHOP = "+15005550006"
WHATSAPP_SHOP = "whatsapp:+14155238886"
JANE = "+15550100001"
SAM = "+15550100002"


@pytest.fixture
def hooks() -> Iterator[WebhookReceiver]:
    with WebhookReceiver() as receiver:
        yield receiver


def eventually(check: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("not within the timeout")
        time.sleep(0.02)


def signed_as_twilio_signs(hook: ReceivedWebhook, token: str) -> bool:
    return RequestValidator(token).validate(hook.url, hook.params, hook.signature or "")


# -- duplicate deliveries ----------------------------------------------------------------------


@pytest.mark.parametrize("concurrently", [False, True], ids=["one after the other", "at the same moment"])
def test_a_duplicated_inbound_sms_arrives_twice_identical_and_signed(hooks: WebhookReceiver, concurrently: bool) -> None:
    with FakeTwilio() as fake:
        fake.duplicate_next_webhooks(concurrently=concurrently)

        reply = fake.send_inbound_sms(hooks.url("/webhooks/sms/webhook"), from_=JANE, to=SHOP, body="refund please")
        fake.send_inbound_sms(hooks.url("/webhooks/sms/webhook"), from_=JANE, to=SHOP, body="and one more")

    assert reply.status == 200
    first, again, later = hooks.received
    assert first.params == again.params and first.params["MessageSid"] != later.params["MessageSid"]
    assert first.signature == again.signature
    assert first.headers["I-Twilio-Idempotency-Token"] == again.headers["I-Twilio-Idempotency-Token"]
    assert all(signed_as_twilio_signs(hook, fake.auth_token) for hook in hooks.received)
    assert [w.status for w in fake.webhooks] == [200, 200, 200]


def test_an_unreachable_webhook_target_is_answered_status_0_and_recorded() -> None:
    with FakeTwilio() as fake:
        reply = fake.send_inbound_sms("http://127.0.0.1:9/webhooks/sms/webhook", from_=JANE, to=SHOP, body="hi")
    assert reply.status == 0 and "could not reach" in reply.body
    assert [w.url for w in fake.webhooks] == ["http://127.0.0.1:9/webhooks/sms/webhook"]


# -- listing and fetching ------------------------------------------------------------------------


def test_messages_are_listed_by_to_from_and_the_gmt_day_they_were_sent() -> None:
    clock = FrozenClock(datetime(2026, 11, 20, 23, 30, tzinfo=timezone.utc))
    with FakeTwilio(clock=clock) as fake:
        client = fake.client()
        older = client.messages.create(to=JANE, from_=SHOP, body="yesterday", status_callback="https://x.test/s")
        fake.deliver_status_callbacks()  # sent on the 20th (the callback target does not exist: status 0)
        clock.advance(hours=1)
        newer = client.messages.create(to=JANE, from_=SHOP, body="today", status_callback="https://x.test/s")
        fake.deliver_status_callbacks()  # sent on the 21st
        client.messages.create(to=SAM, from_=SHOP, body="to Sam", status_callback="https://x.test/s")
        fake.deliver_status_callbacks()
        unsent = client.messages.create(to=JANE, from_=SHOP, body="still queued")

        def listed(**filters: object) -> list[str]:
            return [m.sid for m in client.messages.list(**filters)]

        assert listed(to=JANE) == [unsent.sid, newer.sid, older.sid]  # newest first
        assert listed(to=JANE, date_sent_after=datetime(2026, 11, 21, 0, 0, tzinfo=timezone.utc)) == [newer.sid]
        assert listed(to=JANE, date_sent_before=date(2026, 11, 20)) == [older.sid]
        assert listed(to=JANE, date_sent=date(2026, 11, 21)) == [newer.sid]
        assert listed(from_=SHOP, date_sent=date(2026, 11, 22)) == []
        assert client.messages(newer.sid).fetch().date_sent == datetime(2026, 11, 21, 0, 30, tzinfo=timezone.utc)
        after = [r for r in fake.requests if r.method == "GET" and "DateSent>" in r.query]
        assert after[0].query["DateSent>"] == "2026-11-21T00:00:00Z"  # what the twilio library sends


def test_a_date_filter_that_is_not_a_date_is_a_400() -> None:
    with FakeTwilio() as fake:
        answer = requests.get(f"{fake.base_url}/2010-04-01/Accounts/{fake.account_sid}/Messages.json",
                              params={"DateSent>": "last tuesday"}, auth=(fake.account_sid, fake.auth_token), timeout=10)
    assert answer.status_code == 400
    assert answer.json()["code"] == 20001 and "DateSent>" in answer.json()["message"]


def test_a_page_of_a_filtered_list_links_to_the_next_page_of_the_same_selection() -> None:
    with FakeTwilio() as fake:
        client = fake.client()
        for n in range(3):
            client.messages.create(to=JANE, from_=SHOP, body=f"n{n}")
        client.messages.create(to=SAM, from_=SHOP, body="to Sam")
        page = client.messages.page(to=JANE, page_size=2)
        assert [m.body for m in page] == ["n2", "n1"] and "To=%2B15550100001" in page.next_page_url
        assert [m.body for m in page.next_page()] == ["n0"]


# -- statuses that advance on their own (the demo) --------------------------------------------------


def test_each_new_message_walks_to_delivered_or_read_posting_signed_status_callbacks(hooks: WebhookReceiver) -> None:
    with FakeTwilio(advance_every=0.02) as fake:
        client = fake.client()
        sms = client.messages.create(to=JANE, from_=SHOP, body="hi", status_callback=hooks.url("/webhooks/sms/status"))
        whatsapp = client.messages.create(to=f"whatsapp:{SAM}", from_=WHATSAPP_SHOP, body="hola",
                                          status_callback=hooks.url("/webhooks/whatsapp/status"))
        quiet = client.messages.create(to=JANE, from_=SHOP, body="no callback")
        eventually(lambda: len(hooks.received) == 7 and fake.message(quiet.sid)["status"] == "delivered")

        def steps(sid: str) -> list[str]:
            return [h.params["MessageStatus"] for h in hooks.received if h.params["MessageSid"] == sid]

        assert steps(sms.sid) == ["queued", "sent", "delivered"]
        assert steps(whatsapp.sid) == ["queued", "sent", "delivered", "read"]
        assert all(signed_as_twilio_signs(hook, fake.auth_token) for hook in hooks.received)
        assert client.messages(whatsapp.sid).fetch().status == "read"
        assert fake.message(sms.sid)["date_sent"] is not None


def test_a_message_to_an_undeliverable_number_ends_undelivered_with_its_error_code(hooks: WebhookReceiver) -> None:
    with FakeTwilio(advance_every=0.02) as fake:
        fake.make_undeliverable(f"whatsapp:{SAM}", code=63016)
        message = fake.client().messages.create(to=f"whatsapp:{SAM}", from_=WHATSAPP_SHOP, body="late",
                                                status_callback=hooks.url("/status"))
        eventually(lambda: len(hooks.received) == 3)
        assert [h.params["MessageStatus"] for h in hooks.received] == ["queued", "sent", "undelivered"]
        assert hooks.received[-1].params["ErrorCode"] == "63016"
        assert fake.message(message.sid)["error_code"] == 63016


# -- the demo phone ---------------------------------------------------------------------------------


@pytest.fixture
def phone(hooks: WebhookReceiver) -> Iterator[FakeTwilio]:
    with FakeTwilio(advance_every=0.02, phone=PhoneSettings(bot_url=hooks.url(""))) as fake:
        yield fake


def text(fake: FakeTwilio, **payload: str) -> requests.Response:
    return requests.post(f"{fake.base_url}/phone/send", json=payload, timeout=10)


def test_the_phone_texts_the_bot_over_sms_signed_exactly_as_twilio_signs(phone: FakeTwilio, hooks: WebhookReceiver) -> None:
    answer = text(phone, number=JANE, channel="sms", body="where is my order 1002?", name="Jane Doe")

    assert answer.status_code == 200
    [hook] = hooks.received
    assert hook.method == "POST" and hook.url == hooks.url("/webhooks/sms/webhook")
    assert RequestValidator(phone.auth_token).validate(hook.url, hook.params, hook.signature)
    assert hook.params["From"] == JANE and hook.params["To"] == SHOP and hook.params["AccountSid"] == phone.account_sid
    assert hook.params["Body"] == "where is my order 1002?" and hook.params["NumMedia"] == "0"
    assert answer.json()["message"]["webhook"] == {"status": 200, "ok": True, "text": "the bot's server answered 200"}
    [inbound] = phone.inbound
    assert (inbound["sid"], inbound["direction"], inbound["status"]) == (hook.params["MessageSid"], "inbound", "received")
    assert phone.messages == []  # what the API sent; the phone's own texts are apart


def test_the_phone_texts_over_whatsapp_with_prefixed_addresses_and_a_profile(phone: FakeTwilio, hooks: WebhookReceiver) -> None:
    text(phone, number=SAM, channel="whatsapp", body="hola", name="Sam Lee")

    [hook] = hooks.received
    assert hook.url == hooks.url("/webhooks/whatsapp/webhook")
    assert hook.params["From"] == f"whatsapp:{SAM}" and hook.params["To"] == WHATSAPP_SHOP
    assert hook.params["ProfileName"] == "Sam Lee" and hook.params["WaId"] == SAM.lstrip("+")
    assert RequestValidator(phone.auth_token).validate(hook.url, hook.params, hook.signature)


def test_the_phone_shows_what_the_bot_server_answered_when_its_channel_is_missing(hooks: WebhookReceiver) -> None:
    hooks.status, hooks.body = 404, "Not Found"
    with FakeTwilio(phone=PhoneSettings(bot_url=hooks.url(""))) as fake:
        answer = text(fake, number=JANE, channel="sms", body="hello?")
    assert answer.status_code == 200
    assert answer.json()["message"]["webhook"] == {"status": 404, "ok": False, "text": "the bot's server answered 404"}


def test_the_phone_lists_both_directions_newest_last_with_each_delivery_state(phone: FakeTwilio) -> None:
    text(phone, number=JANE, channel="sms", body="my parcel?")
    reply = phone.client().messages.create(to=JANE, from_=SHOP, body="It arrives tomorrow.")
    phone.client().messages.create(to=SAM, from_=SHOP, body="not Jane's")
    eventually(lambda: phone.message(reply.sid)["status"] == "delivered")

    listed = requests.get(f"{phone.base_url}/phone/messages", params={"number": JANE}, timeout=10).json()["messages"]

    assert [(m["body"], m["from_phone"], m["status"]) for m in listed] == [
        ("my parcel?", True, "received"), ("It arrives tomorrow.", False, "delivered")]


@pytest.mark.parametrize(
    "payload, status, says",
    [
        ({"number": "555-0100", "channel": "sms", "body": "hi"}, 400, "international format"),
        ({"number": JANE, "channel": "fax", "body": "hi"}, 400, "SMS or WhatsApp"),
        ({"number": JANE, "channel": "sms", "body": "  "}, 400, "type a message"),
        ({"number": JANE, "channel": "sms", "body": "x" * 1601}, 400, "at most 1600"),
        (["not", "an", "object"], 400, "JSON object"),
    ],
)
def test_bad_phone_input_gets_a_clear_4xx(phone: FakeTwilio, hooks: WebhookReceiver, payload: object, status: int, says: str) -> None:
    answer = requests.post(f"{phone.base_url}/phone/send", json=payload, timeout=10)
    assert answer.status_code == status and says in answer.json()["error"]
    assert hooks.received == []


def test_only_json_can_make_the_phone_text(phone: FakeTwilio, hooks: WebhookReceiver) -> None:
    """A form another site posts can't send a text as a customer."""
    answer = requests.post(f"{phone.base_url}/phone/send", data={"number": JANE, "channel": "sms", "body": "hi"}, timeout=10)
    assert answer.status_code == 415 and hooks.received == []


def test_the_phone_page_runs_no_inline_script_under_a_strict_policy(phone: FakeTwilio) -> None:
    page = requests.get(f"{phone.base_url}/phone", timeout=10)
    policy = page.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy and "default-src 'none'" in policy
    assert '<script type="module" src="/phone/static/phone.js"></script>' in page.text
    assert page.text.count("<script") == 1 and " on" not in page.text.split("<body>")[1].replace(" one", "")
    assert requests.get(f"{phone.base_url}/phone/static/phone.js", timeout=10).status_code == 200


def test_the_phone_and_health_are_not_part_of_the_recorded_api(phone: FakeTwilio) -> None:
    assert requests.get(f"{phone.base_url}/health", timeout=10).json() == {"status": "ok"}
    requests.get(f"{phone.base_url}/phone/config", timeout=10)
    assert phone.requests == []


# -- the entry point --------------------------------------------------------------------------------


def test_the_entry_point_refuses_bad_settings_saying_what_to_set(capsys: pytest.CaptureFixture[str]) -> None:
    code = run_fake(["--account-sid", "not-a-sid", "--sms-number", "0800"], env={})
    message = capsys.readouterr().err
    assert code == 2
    assert "--account-sid (or TWILIO_ACCOUNT_SID) must be AC followed by 32 hex digits" in message
    assert "--auth-token (or TWILIO_AUTH_TOKEN) is required" in message and "--sms-number must be E.164" in message


def test_the_receiver_answers_empty_twiml_by_default(hooks: WebhookReceiver) -> None:
    assert hooks.body == EMPTY_TWIML
