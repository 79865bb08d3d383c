"""The SMS and WhatsApp channels as Twilio reaches them: signed webhooks into a real Sanic server.

The channels are built by the composition root from the environment, as Rasa builds them from
credentials.yml, on a migrated SQLite database and the seeded demo business. Only Rasa's
message handler is replaced: it records each turn and answers "got: <text>" (a message that
says "slow" takes 20 s, as a slow action would). The fake Twilio signs every webhook exactly as
Twilio does; forged, tampered and unsigned ones are sent by hand.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import multiprocessing
import os
import queue
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, Iterator, List

import pytest
import requests
from sqlalchemy import text
from sqlalchemy.engine import Engine
from twilio.request_validator import RequestValidator

from actions.acme.seed import seed_demo
from actions.acme.sqlite_backend import SqlBusiness
from actions.domain.business import ActionRequest
from actions.domain.pending import PendingAction, Stage, action_digest
from actions.settings import Settings
from actions.store.database import make_engine
from actions.store.sql import SqlPendingStore
from bot.composition import twilio_input
from bot.stack import free_port
from channels.twilio_sms import TwilioSmsInput
from devtools.fake_twilio import FakeTwilio
from tests.support.databases import migrated_sqlite_url
from tests.support.waiting import eventually
from tests.support.world import START

ACCOUNT, TOKEN = "AC" + "1" * 32, "2" * 32
PREVIOUS_TOKEN = "3" * 32  # the auth token being rotated out
SHOP = "+15005550006"
JANE, SAM, STRANGER = "+15550100001", "+15550100002", "+15550109999"


def _serve(env: Dict[str, str], port: int, turns: Any, ready: Any) -> None:
    """Both Twilio channels in a Sanic server of their own process, with a recording Rasa."""
    os.environ.update(env)
    from rasa.core.channels.channel import UserMessage
    from sanic import Sanic

    from channels.twilio_sms import TwilioSmsInput
    from channels.twilio_whatsapp import TwilioWhatsAppInput

    async def on_new_message(message: UserMessage) -> None:
        turns.put({"conversation": message.sender_id, "text": message.text, "channel": message.input_channel,
                   "sealed": (message.metadata or {}).get("sealed"), "at": time.monotonic()})
        if "slow" in (message.text or ""):
            await asyncio.sleep(20)
        await message.output_channel.send_text_message(message.sender_id, f"got: {message.text}")

    app = Sanic(f"twilio_channels_{port}")
    for channel in (TwilioSmsInput, TwilioWhatsAppInput):
        instance = channel.from_credentials({})
        app.blueprint(instance.blueprint(on_new_message), url_prefix=f"/webhooks/{channel.name()}")
    app.register_listener(lambda *_: ready.set(), "after_server_start")
    app.run(host="127.0.0.1", port=port, access_log=False)


@dataclass
class Channels:
    base: str
    engine: Engine
    fake: FakeTwilio
    turns: Any

    def sms(self, from_: str, body: str, **extra: str) -> Any:
        return self.fake.send_inbound_sms(f"{self.base}/webhooks/sms/webhook", from_, SHOP, body, **extra)

    def whatsapp(self, from_: str, body: str, **extra: str) -> Any:
        return self.fake.send_inbound_whatsapp(f"{self.base}/webhooks/whatsapp/webhook", f"whatsapp:{from_}",
                                               f"whatsapp:{SHOP}", body, **extra)

    def next_turns(self, count: int, timeout: float = 10) -> List[Dict[str, Any]]:
        return [self.turns.get(timeout=timeout) for _ in range(count)]

    def no_more_turns(self, wait: float = 0.5) -> None:
        with pytest.raises(queue.Empty):
            self.turns.get(timeout=wait)

    def rows(self, sql: str) -> List[tuple]:
        with self.engine.connect() as connection:
            return [tuple(row) for row in connection.execute(text(sql))]

    def replies(self) -> List[tuple]:
        """The bot's replies queued for the delivery worker: (conversation, channel, text)."""
        return [(c, ch, json.loads(p)["text"]) for c, ch, p in
                self.rows("SELECT conversation_id, channel, payload_json FROM deliveries WHERE kind = 'say' ORDER BY id")]


@contextmanager
def channels_running(tmp_path: Path) -> Iterator[Channels]:
    data = tmp_path / "data"
    data.mkdir()
    database = migrated_sqlite_url(data / "hitl.db")
    business = SqlBusiness(f"sqlite:///{data / 'acme.db'}")
    business.create_all()
    seed_demo(business, START.date())
    business.dispose()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {"HITL_DATA_DIR": str(data), "HITL_DATABASE_URL": database, "TWILIO_ACCOUNT_SID": ACCOUNT,
           "TWILIO_AUTH_TOKEN": TOKEN, "TWILIO_AUTH_TOKEN_PREVIOUS": PREVIOUS_TOKEN, "TWILIO_FROM_NUMBER": SHOP, "TWILIO_WHATSAPP_FROM": f"whatsapp:{SHOP}",
           "HITL_PUBLIC_URL": base, "HITL_DEMO": "0"}
    context = multiprocessing.get_context("spawn")
    turns, ready = context.Queue(), context.Event()
    process = context.Process(target=_serve, args=(env, port, turns, ready), daemon=True)
    process.start()
    engine = make_engine(database)
    try:
        assert ready.wait(60), "the channels' server did not start"
        with FakeTwilio(account_sid=ACCOUNT, auth_token=TOKEN) as fake:
            yield Channels(base, engine, fake, turns)
    finally:
        process.terminate()
        process.join(10)
        engine.dispose()


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Channels]:
    with channels_running(tmp_path_factory.mktemp("twilio-channels")) as started:
        yield started


# -- signatures --------------------------------------------------------------------------------


def test_a_signed_sms_from_jane_is_a_turn_in_her_one_conversation_and_the_reply_is_queued_for_sms(
        running: Channels) -> None:
    answer = running.sms(JANE, "where is my order 1002?")

    assert answer.status == 200 and answer.body.endswith("<Response/>")
    [turn] = running.next_turns(1)
    assert (turn["conversation"], turn["channel"], turn["text"]) == ("customer-C001", "sms", "where is my order 1002?")
    eventually(lambda: ("customer-C001", "sms", "got: where is my order 1002?") in running.replies(), 10,
               "the bot's reply was queued for SMS")


@pytest.mark.parametrize("signature, why", [
    (None, "missing X-Twilio-Signature"),
    ("bm90IGEgc2lnbmF0dXJl", "does not match"),
])
def test_an_unsigned_or_forged_webhook_is_refused_and_nothing_is_taken(running: Channels, signature: Any,
                                                                        why: str) -> None:
    form = {"MessageSid": "SM" + "f" * 32, "AccountSid": ACCOUNT, "From": JANE, "To": SHOP, "Body": "cancel my subscription"}
    headers = {"X-Twilio-Signature": signature} if signature else {}

    answer = requests.post(f"{running.base}/webhooks/sms/webhook", data=form, headers=headers, timeout=10)

    assert answer.status_code == 403 and why in answer.text
    running.no_more_turns()
    assert running.rows(f"SELECT * FROM inbound_messages WHERE provider_id = '{'SM' + 'f' * 32}'") == []


def test_while_the_auth_token_is_rotated_a_webhook_signed_with_the_previous_one_is_taken(running: Channels) -> None:
    url = f"{running.base}/webhooks/sms/webhook"
    form = {"MessageSid": "SM" + "c" * 32, "AccountSid": ACCOUNT, "From": JANE, "To": SHOP, "Body": "hello again"}
    signature = RequestValidator(PREVIOUS_TOKEN).compute_signature(url, form)

    answer = requests.post(url, data=form, headers={"X-Twilio-Signature": signature}, timeout=10)

    assert answer.status_code == 200
    [turn] = running.next_turns(1)
    assert (turn["conversation"], turn["text"]) == ("customer-C001", "hello again")


def test_a_webhook_tampered_with_after_signing_is_refused(running: Channels) -> None:
    url = f"{running.base}/webhooks/sms/webhook"
    form = {"MessageSid": "SM" + "e" * 32, "AccountSid": ACCOUNT, "From": JANE, "To": SHOP, "Body": "hello"}
    signature = running.fake.sign(url, form)

    answer = requests.post(url, data={**form, "From": SAM}, headers={"X-Twilio-Signature": signature}, timeout=10)

    assert answer.status_code == 403
    running.no_more_turns()


def test_a_webhook_signed_for_another_url_is_refused(running: Channels) -> None:
    form = {"MessageSid": "SM" + "d" * 32, "AccountSid": ACCOUNT, "From": JANE, "To": SHOP, "Body": "hello"}
    signature = running.fake.sign("https://attacker.example/webhooks/sms/webhook", form)

    answer = requests.post(f"{running.base}/webhooks/sms/webhook", data=form,
                           headers={"X-Twilio-Signature": signature}, timeout=10)

    assert answer.status_code == 403


# -- once, at once, in order ---------------------------------------------------------------------


def test_the_same_message_delivered_twice_at_once_is_one_turn(running: Channels) -> None:
    running.fake.duplicate_next_webhooks(times=1, concurrently=True)

    answer = running.sms(SAM, "is my order 1004 on its way?")

    assert answer.status == 200
    [turn] = running.next_turns(1)
    assert turn["conversation"] == "customer-C002"
    running.no_more_turns(1.0)


def test_a_slow_turn_is_acknowledged_at_once_and_the_next_message_waits_its_turn(running: Channels) -> None:
    started = time.monotonic()
    first = running.whatsapp(SAM, "this one is slow")
    second = running.whatsapp(SAM, "and then this")
    acknowledged = time.monotonic() - started

    assert (first.status, second.status) == (200, 200)
    assert acknowledged < 5, f"Twilio waited {acknowledged:.1f} s: it retries after 15 s"
    [slow] = running.next_turns(1)
    assert slow["text"] == "this one is slow"
    running.no_more_turns(2.0)  # the second waits until the slow one is done
    [after] = running.next_turns(1, timeout=30)
    assert after["text"] == "and then this" and after["at"] - slow["at"] >= 19


# -- who is writing --------------------------------------------------------------------------------


def test_jane_by_whatsapp_and_by_sms_is_one_conversation(running: Channels) -> None:
    running.whatsapp(JANE, "hi from whatsapp")
    running.sms(JANE, "hi from sms")

    turns = running.next_turns(2)
    assert {(t["conversation"], t["channel"]) for t in turns} == {("customer-C001", "whatsapp"),
                                                                  ("customer-C001", "sms")}


def test_a_number_on_no_account_gets_a_visitor_conversation_of_its_own(running: Channels) -> None:
    running.sms(STRANGER, "what are your opening hours?")

    [turn] = running.next_turns(1)
    assert turn["conversation"].startswith("visitor-") and STRANGER[1:] not in turn["conversation"]


# -- what is not a message to the bot --------------------------------------------------------------


def test_stop_silences_the_number_until_start_and_help_gets_an_answer(running: Channels) -> None:
    priya = "+15550100003"
    running.sms(priya, "hello")
    running.next_turns(1)

    running.sms(priya, "STOP")
    eventually(lambda: running.rows(f"SELECT opted_out_at FROM channel_addresses WHERE channel = 'sms' "
                                    f"AND address = '{priya}'")[0][0] is not None, 10, "STOP was recorded")
    running.sms(priya, "yes")  # START's word from a number that stopped: back on, not a turn
    eventually(lambda: running.rows(f"SELECT opted_out_at FROM channel_addresses WHERE channel = 'sms' "
                                    f"AND address = '{priya}'")[0][0] is None, 10, "START was recorded")
    running.sms(priya, "help")
    leaked = []
    try:
        leaked = running.next_turns(1, timeout=1.0)
    except queue.Empty:
        pass
    assert leaked == [], leaked  # none of them reached the bot
    eventually(lambda: any("Reply STOP" in r[2] for r in running.replies() if r[0] == "customer-C003"), 10,
               "HELP was answered")
    events = [e for (e,) in running.rows("SELECT event FROM audit_log WHERE conversation_id = 'customer-C003'")]
    assert events == ["sms_opted_out", "sms_opted_in"]


def test_a_picture_and_a_location_are_written_into_the_message(running: Channels) -> None:
    picture = "https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME1"
    running.whatsapp(JANE, "", NumMedia="1", MediaUrl0=picture, MediaContentType0="image/jpeg")
    running.whatsapp(JANE, "", Latitude="51.5", Longitude="-0.12")

    texts = [t["text"] for t in running.next_turns(2)]
    assert texts == [f"[attachment image/jpeg: {picture}]", "[location: geo:51.5,-0.12]"]


# -- bad input -------------------------------------------------------------------------------------


@pytest.mark.parametrize("change, status, says", [
    ({"From": None}, 400, "From is missing"),
    ({"MessageSid": None}, 400, "MessageSid is missing"),
    ({"From": "not a number"}, 400, "E.164"),
    ({"From": "whatsapp:+15550100001"}, 400, "E.164"),  # a WhatsApp address on the SMS webhook
    ({"Body": "x" * 5000}, 400, "at most 4096"),
    ({"Body": "nul \x00 inside"}, 400, "NUL"),
    ({"NumMedia": "lots"}, 400, "NumMedia must be a whole number"),
])
def test_a_webhook_that_cant_be_read_is_a_clear_400_and_nothing_is_taken(running: Channels, change: Dict[str, Any],
                                                                         status: int, says: str) -> None:
    url = f"{running.base}/webhooks/sms/webhook"
    form = {"MessageSid": "SM" + "c" * 32, "AccountSid": ACCOUNT, "From": JANE, "To": SHOP, "Body": "hello"}
    form = {k: v for k, v in {**form, **change}.items() if v is not None}

    answer = running.fake.send_webhook(url, form)

    assert answer.status == status and says in answer.body
    running.no_more_turns()


def test_a_body_that_is_not_utf8_is_a_clear_400(running: Channels) -> None:
    url = f"{running.base}/webhooks/sms/webhook"
    answer = requests.post(url, data=b"Body=\xff\xfe", timeout=10, headers={
        "Content-Type": "application/x-www-form-urlencoded", "X-Twilio-Signature": "x"})

    assert answer.status_code == 400 and "UTF-8" in answer.text


def test_without_twilio_settings_the_channels_refuse_everything(tmp_path: Path) -> None:
    """No auth token means no signature can be checked: every webhook is refused, saying what to set."""
    settings = Settings.from_env({"HITL_DATA_DIR": str(tmp_path)})
    assert settings.twilio is None
    channel = twilio_input(TwilioSmsInput, {}, settings)

    class SignedLooking:  # the request is never read further than its signature
        headers = {"X-Twilio-Signature": "anything"}
        body, path, query_string, args = b"Body=hi", "/webhooks/sms/webhook", "", {}

    with pytest.raises(PermissionError, match="the sms channel is off: set TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN"):
        channel.signed_form(SignedLooking())


def test_a_text_from_a_phone_on_an_inbox_profile_is_kept_for_the_inbox_and_is_no_turn(running: Channels) -> None:
    maria_phone = "+15550107777"
    with running.engine.begin() as connection:
        connection.execute(text("INSERT INTO inbox_users (username, name, role, password_hash, active, created_at, "
                                "phone, on_duty) VALUES ('maria', 'Maria Lopez', 'manager', 'x', 1, :at, :phone, 1)"),
                           {"at": START, "phone": maria_phone})

    assert running.sms(maria_phone, "APPROVE 123456").status == 200

    running.no_more_turns(1.0)  # the bot never reads a manager's phone
    assert running.rows("SELECT conversation_id, text FROM inbound_messages WHERE address = '+15550107777'") == [
        ("staff-maria", "APPROVE 123456")]


def test_a_json_webhook_is_checked_by_its_body_hash_and_then_refused_as_not_a_message(running: Channels) -> None:
    """Twilio signs a JSON body through ``bodySHA256`` in the URL: a genuine one is a 400 (these
    webhooks take form posts), one whose body changed is a 403."""
    body = json.dumps({"MessageSid": "SM" + "b" * 32, "From": JANE, "Body": "hello"})
    digest = hashlib.sha256(body.encode()).hexdigest()
    url = f"{running.base}/webhooks/sms/webhook?bodySHA256={digest}"
    signature = running.fake.sign(url, {})  # the URL with its hash is what is signed

    def post(data: str) -> requests.Response:
        return requests.post(url, data=data.encode(), timeout=10,
                             headers={"Content-Type": "application/json", "X-Twilio-Signature": signature})

    genuine, tampered = post(body), post(body.replace("hello", "cancel my subscription"))

    assert genuine.status_code == 400 and "form posts" in genuine.text
    assert tampered.status_code == 403
    running.no_more_turns()


def test_a_webhook_replayed_after_its_turn_is_answered_and_changes_nothing(running: Channels) -> None:
    url = f"{running.base}/webhooks/sms/webhook"
    form = {"MessageSid": "SM" + "a" * 32, "AccountSid": ACCOUNT, "From": SAM, "To": SHOP, "Body": "where is order 1005?"}
    headers = {"X-Twilio-Signature": running.fake.sign(url, form)}
    assert requests.post(url, data=form, headers=headers, timeout=10).status_code == 200
    running.next_turns(1)

    replayed = requests.post(url, data=form, headers=headers, timeout=10)  # captured and sent again later

    assert replayed.status_code == 200
    running.no_more_turns(1.0)


def test_a_delivery_report_sent_to_the_message_webhook_is_no_message(running: Channels) -> None:
    answer = running.fake.send_webhook(f"{running.base}/webhooks/sms/webhook", {
        "MessageSid": "SM" + "9" * 32, "AccountSid": ACCOUNT, "From": SHOP, "To": JANE, "MessageStatus": "delivered"})

    assert answer.status == 400 and "/webhooks/sms/status" in answer.body
    running.no_more_turns()


@pytest.mark.parametrize("code", ["²", "12a", "9" * 12])
def test_a_delivery_report_with_an_error_code_that_is_no_number_is_a_400(running: Channels, code: str) -> None:
    answer = running.fake.send_webhook(f"{running.base}/webhooks/sms/status", {
        "MessageSid": "SM" + "8" * 32, "MessageStatus": "failed", "ErrorCode": code})

    assert answer.status == 400 and "ErrorCode" in answer.body


def test_stop_takes_effect_at_once_even_behind_a_slow_turn(running: Channels) -> None:
    leo = "+15550100004"
    running.sms(leo, "this is slow")
    running.next_turns(1)
    started = time.monotonic()

    running.sms(leo, "STOP")

    eventually(lambda: running.rows(f"SELECT opted_out_at FROM channel_addresses WHERE channel = 'sms' "
                                    f"AND address = '{leo}'")[0][0] is not None, 5, "STOP was recorded")
    assert time.monotonic() - started < 15, "STOP waited for the slow turn"
    running.no_more_turns(1.0)


def test_stop_cancels_a_confirmation_that_waited_for_the_customer(running: Channels) -> None:
    harbor = "+15550100005"
    request = ActionRequest("refund", "C005", {"order_id": "1011", "amount_cents": 2000})
    waiting = PendingAction(  # the bot asked Harbor Bistro to confirm a refund
        id="p-harbor-stop", conversation_id="customer-C005", customer_id="C005", request=request,
        headline="Refund $20.00", summary="Refund $20.00 for order 1011.", outcome="confirm", tier="medium",
        reasons=(), policy_version="test", idempotency_key="k-harbor-stop", digest=action_digest(request),
        stage=Stage.CONFIRM, created_at=START, expires_at=START.replace(year=2100))
    SqlPendingStore(running.engine).add(waiting)

    running.sms(harbor, "Cancel")  # meant as NO; carriers read it as STOP

    eventually(lambda: SqlPendingStore(running.engine).get(waiting.id).stage is Stage.CANCELLED,  # type: ignore[union-attr]
               10, "the waiting refund was cancelled")
    running.no_more_turns()


@pytest.mark.parametrize(("channel", "code"), [("sms", "482 913"), ("whatsapp", "551-204")])
def test_janes_code_is_queued_and_sent_to_rasa_sealed_when_his_conversation_waits_for_one(
        running: Channels, channel: str, code: str) -> None:
    request = ActionRequest("cancel_subscription", "C001", {})
    waiting = PendingAction(  # the bot texted Jane a code to cancel her subscription
        id=f"p-jane-code-{channel}", conversation_id="customer-C001", customer_id="C001", request=request,
        headline="Cancel subscription", summary="Cancel your subscription.", outcome="otp", tier="high",
        reasons=(), policy_version="test", idempotency_key=f"k-jane-code-{channel}", digest=action_digest(request),
        stage=Stage.OTP, created_at=START, expires_at=START.replace(year=2100))
    SqlPendingStore(running.engine).add(waiting)
    try:
        getattr(running, channel)(JANE, f"the code is {code}")

        turn, = running.next_turns(1)
        assert (turn["conversation"], turn["text"]) == ("customer-C001", "/provide_otp")
        assert running.rows(f"SELECT value FROM sealed_inputs WHERE ref = '{turn['sealed']}'") == [(f"the code is {code}",)]
        assert not [row for row in running.rows("SELECT text FROM inbound_messages") if code in row[0]]
    finally:
        SqlPendingStore(running.engine).move(waiting.id, (Stage.OTP,), Stage.CANCELLED)


def test_digits_from_a_conversation_waiting_for_no_code_go_as_written(running: Channels) -> None:
    running.sms(SAM, "482913")

    turn, = running.next_turns(1)
    assert (turn["text"], turn["sealed"]) == ("482913", None)
