"""SMS and WhatsApp as ways out: the delivery worker texts through the fake Twilio over HTTP.

The queue is the real SQL one on a migrated SQLite file, the clock is frozen (the fake Twilio
reads it too), and Rasa is a small server that says which channel the customer used last.
Scenarios: Ali answers Jane by SMS; Twilio fails, or answers too late, and Jane still gets one
message (and no other reply's message is taken for it); a long answer goes in sentences; Twilio
reports delivery, even while a long answer is still going out; WhatsApp's 24-hour window, with
long answers and a window that closes halfway; a number that texted STOP; the bot's reply bound
to SMS; Jane writing from another number than the one on her record.
"""

from __future__ import annotations

import asyncio
import json
import time
from datetime import datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Callable, Dict, Iterator, List, Optional

import aiohttp
import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from actions.domain.outbound import SMS, CodeText
from actions.domain.step_up import OtpChallenge
from actions.settings import Settings, SettingsError
from actions.domain.texts import TEMPLATE_VARIABLE_LIMIT, split_text
from actions.sms import OutgoingText, TwilioMessages, TwilioSmsSender
from actions.store.database import make_engine
from actions.store.outbound import SqlOutbound
from actions.store.sql import SqlChallengeStore
from actions.store.tables import ChannelAddressRow, DeliveryRow
from actions.store.channel_addresses import SqlChannelAddresses
from handoff.customer_channels import CustomerChannels
from handoff.delivery import DeliveryWorker
from handoff.phone_channel import WHATSAPP, PhoneChannel, PhoneLine
from handoff.rasa_client import RasaConversations
from handoff.store import InboxStore
from devtools.fake_twilio import FakeTwilio
from tests.support.databases import migrated_sqlite_url
from tests.support.world import JANE, PHONES, START, FrozenClock
from tests.test_inbox_delivery import RasaRecording, ali_replies_to_jane, fake_rasa

SHOP = "+15005550006"
WHATSAPP_SHOP = "whatsapp:+15005550006"
TEMPLATE = "HX" + "0123456789abcdef" * 2
PUBLIC = "https://bot.example.com"
VISITOR = "visitor-3f2a"
VISITOR_PHONE = "+15550109999"
SIGNED = "Ali from Acme customer care: "
OTHER_PHONE = "+15550108888"  # Jane's second phone, not the one on her record


class PhonesOnFile:
    """The business as the channels read it: Jane's phone on her record."""

    def get_customer(self, customer_id: str) -> Optional[SimpleNamespace]:
        return SimpleNamespace(phone=PHONES[JANE]) if customer_id == "C001" else None


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    engine = make_engine(migrated_sqlite_url(tmp_path / "hitl.db"))
    yield engine
    engine.dispose()


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock()


@pytest.fixture
def fake(clock: FrozenClock) -> Iterator[FakeTwilio]:
    with FakeTwilio(clock=clock) as fake:
        yield fake


def wrote_from(engine: Engine, channel: str, address: str, conversation_id: str, at: datetime,
               opted_out_at: Optional[datetime] = None) -> None:
    """What the input channel records when a customer texts in (and texts STOP)."""
    with Session(engine) as session:
        session.add(ChannelAddressRow(channel=channel, address=address, conversation_id=conversation_id,
                                      last_inbound_at=at, opted_out_at=opted_out_at))
        session.commit()


def rows(engine: Engine) -> List[DeliveryRow]:
    with Session(engine) as session:
        return list(session.exec(select(DeliveryRow).order_by(DeliveryRow.id)))  # type: ignore[arg-type]


class TwilioFailingOnce(TwilioMessages):
    """Twilio's API as it takes ``takes`` messages, then answers the next one with a 503."""

    def __init__(self, fake: FakeTwilio, takes: int, timeout: float) -> None:
        super().__init__(fake.account_sid, fake.auth_token, fake.base_url, timeout=timeout)
        self.fake, self.takes = fake, takes

    async def send(self, text: OutgoingText) -> str:
        if self.takes == 0:
            self.fake.fail_next(status=503, message="Service Unavailable")
        self.takes -= 1
        return await super().send(text)


def phone_channels(store: InboxStore, messages: TwilioMessages, clock: FrozenClock,
                   template: Optional[str] = None) -> Dict[str, PhoneChannel]:
    """SMS and WhatsApp through ``messages`` (the fake Twilio), from the shop's numbers."""
    lines = [PhoneLine("sms", SHOP, f"{PUBLIC}/webhooks/sms/status"),
             PhoneLine(WHATSAPP, WHATSAPP_SHOP, f"{PUBLIC}/webhooks/whatsapp/status", template)]
    addresses = SqlChannelAddresses(store.engine)
    return {line.name: PhoneChannel(line, messages, store, addresses, PhonesOnFile(), clock)  # type: ignore[arg-type]
            for line in lines}


def rounds(engine: Engine, fake: FakeTwilio, clock: FrozenClock, latest: Optional[str] = "sms", times: int = 1, pages: int = 0,
           step: timedelta = timedelta(seconds=5), template: Optional[str] = None, timeout: float = 2.0,
           between: Optional[Callable[[], None]] = None, fails_after: Optional[int] = None) -> List[int]:
    """``times`` rounds of the delivery worker with SMS and WhatsApp through the fake Twilio (which
    answers a 503 once, after ``fails_after`` messages, if asked)."""
    store = InboxStore(engine)
    messages = (TwilioMessages(fake.account_sid, fake.auth_token, fake.base_url, timeout=timeout)
                if fails_after is None else TwilioFailingOnce(fake, fails_after, timeout))
    addresses = SqlChannelAddresses(engine)
    phones = phone_channels(store, messages, clock, template)

    async def scenario() -> List[int]:
        async with fake_rasa(RasaRecording(latest, pages)) as url, aiohttp.ClientSession() as client:
            rasa = RasaConversations(client, url, None, timeout=0.3)
            worker = DeliveryWorker(store, rasa, clock, channels=CustomerChannels.for_rasa(rasa, phones),
                                    texts={SMS: TwilioSmsSender(fake.account_sid, fake.auth_token, SHOP,
                                                                base_url=fake.base_url, timeout=timeout)},
                                    addresses=addresses)
            counts = []
            for _ in range(times):
                counts.append(await worker.deliver_due())
                if between is not None:
                    await asyncio.to_thread(between)
                clock.current += step
            return counts

    return asyncio.run(scenario())


# -- an agent's reply by SMS ----------------------------------------------------------------------


def test_alis_reply_is_texted_to_janes_phone_and_the_sid_is_kept(engine: Engine, fake: FakeTwilio,
                                                                 clock: FrozenClock) -> None:
    store = ali_replies_to_jane(engine, "Your refund is on its way.")
    wrote_from(engine, "sms", PHONES[JANE], JANE, START)

    rounds(engine, fake, clock)

    [message] = fake.messages
    assert (message["to"], message["from"], message["body"]) == (PHONES[JANE], SHOP, SIGNED + "Your refund is on its way.")
    assert fake.params_of(message["sid"])["StatusCallback"] == [f"{PUBLIC}/webhooks/sms/status"]
    [row] = rows(engine)
    assert (row.status, row.provider_id, row.attempts) == ("sent", message["sid"], 1)
    assert store.messages("t1")[-1].delivery == "sent"


def test_twilio_failing_with_a_503_is_retried_and_jane_gets_one_message(engine: Engine, fake: FakeTwilio,
                                                                        clock: FrozenClock) -> None:
    ali_replies_to_jane(engine)
    wrote_from(engine, "sms", PHONES[JANE], JANE, START)
    fake.fail_next(status=503, message="Service Unavailable")

    counts = rounds(engine, fake, clock, times=3)

    assert counts == [1, 1, 0]
    [message] = fake.messages
    [row] = rows(engine)
    assert (row.status, row.attempts, row.provider_id, row.error) == ("sent", 2, message["sid"], None)


def twilio_catches_up(fake: FakeTwilio) -> None:
    """Wait (a few seconds at most) until Twilio has the message a stalled request created."""
    deadline = time.monotonic() + 5
    while not fake.messages and time.monotonic() < deadline:
        time.sleep(0.05)


def test_a_timeout_after_twilio_took_the_message_is_not_a_second_message(engine: Engine, fake: FakeTwilio,
                                                                         clock: FrozenClock) -> None:
    ali_replies_to_jane(engine)
    wrote_from(engine, "sms", PHONES[JANE], JANE, START)
    fake.stall_next(seconds=0.8)  # Twilio creates the message, but answers after we gave up

    rounds(engine, fake, clock, times=2, timeout=0.3, between=lambda: twilio_catches_up(fake))

    [message] = fake.messages  # looked up and adopted, not sent again
    [row] = rows(engine)
    assert (row.status, row.attempts, row.provider_id) == ("sent", 2, message["sid"])
    assert [r.method for r in fake.requests] == ["POST", "GET"]


def test_a_code_whose_first_try_timed_out_after_twilio_took_it_is_not_texted_twice(engine: Engine, fake: FakeTwilio,
                                                                                    clock: FrozenClock) -> None:
    SqlChallengeStore(engine).add(OtpChallenge("ch1", "p1", "digest", "hash", START, START + timedelta(minutes=5)))
    SqlOutbound(engine).queue_code(CodeText(JANE, PHONES[JANE], "Acme security code: 481516.", "ch1", "p1",
                                            START + timedelta(minutes=5)), START)
    fake.stall_next(seconds=0.8)  # Twilio creates the message, but answers after we gave up

    rounds(engine, fake, clock, times=2, timeout=0.3, between=lambda: twilio_catches_up(fake))

    [message] = fake.messages  # looked up and adopted, not sent again: one code, once
    [row] = rows(engine)
    assert (row.status, row.provider_id) == ("sent", message["sid"]) and "481516" not in row.payload_json


def test_a_long_answer_goes_as_several_texts_cut_between_sentences_in_order(engine: Engine, fake: FakeTwilio,
                                                                            clock: FrozenClock) -> None:
    sentences = [f"Step {n}: open the app, tap Orders, and check the parcel number twice." for n in range(1, 41)]
    ali_replies_to_jane(engine, " ".join(sentences))
    wrote_from(engine, "sms", PHONES[JANE], JANE, START)

    rounds(engine, fake, clock)

    texts = [m["body"] for m in fake.messages]
    assert len(texts) == 2 and all(len(text) <= 1600 for text in texts)
    assert all(text.endswith("twice.") for text in texts)
    assert " ".join(texts) == SIGNED + " ".join(sentences)
    [row] = rows(engine)
    assert row.provider_id == fake.messages[-1]["sid"]
    assert json.loads(row.payload_json)["progress"]["sent"] == [m["sid"] for m in fake.messages]


def test_a_retry_does_not_adopt_the_first_text_of_an_earlier_long_answer_with_the_same_words(
        engine: Engine, fake: FakeTwilio, clock: FrozenClock) -> None:
    sentences = [f"Step {n}: open the app, tap Orders, and check the parcel number twice." for n in range(1, 41)]
    ali_replies_to_jane(engine, " ".join(sentences))
    wrote_from(engine, "sms", PHONES[JANE], JANE, START)
    rounds(engine, fake, clock)  # two texts; the answer's row keeps the second one's SID
    first_text = fake.messages[0]["body"]
    with Session(engine) as session:  # the bot then says the very words of that first text, by SMS
        session.add(DeliveryRow(conversation_id=JANE, kind="say", channel="sms", created_at=clock.now(),
                                next_try_at=clock.now(), payload_json=json.dumps({"text": first_text})))
        session.commit()
    fake.stall_next(seconds=0.8)  # Twilio creates it, but answers after we gave up

    def twilio_catches_up() -> None:
        deadline = time.monotonic() + 5
        while len(fake.messages) < 3 and time.monotonic() < deadline:
            time.sleep(0.05)

    rounds(engine, fake, clock, times=2, timeout=0.3, between=twilio_catches_up)

    assert len(fake.messages) == 3
    _, reply = rows(engine)
    assert (reply.status, reply.provider_id) == ("sent", fake.messages[2]["sid"])  # its own, not the answer's


def test_a_failure_reported_while_a_long_answer_is_still_going_out_fails_it_with_twilios_reason(
        engine: Engine, fake: FakeTwilio, clock: FrozenClock) -> None:
    sentences = [f"Step {n}: open the app, tap Orders, and check the parcel number twice." for n in range(1, 41)]
    store = ali_replies_to_jane(engine, " ".join(sentences))
    wrote_from(engine, "sms", PHONES[JANE], JANE, START)
    rounds(engine, fake, clock, fails_after=1)  # the first text leaves; Twilio fails on the second
    assert rows(engine)[0].status == "pending"

    assert store.provider_reported(fake.messages[0]["sid"], "undelivered", 30003, clock.now())  # kept
    rounds(engine, fake, clock)  # the second text leaves

    [row] = rows(engine)
    assert len(fake.messages) == 2 and row.provider_id == fake.messages[1]["sid"]
    reason = "the message was undelivered (Twilio error 30003: Unreachable destination handset)"
    assert (row.status, row.error) == ("failed", reason)
    assert (store.messages("t1")[-1].delivery, store.messages("t1")[-1].error) == ("failed", reason)


# -- Twilio's reports -----------------------------------------------------------------------------


def test_twilios_reports_move_the_reply_forward_only_and_reach_alis_page(engine: Engine, fake: FakeTwilio,
                                                                         clock: FrozenClock) -> None:
    store = ali_replies_to_jane(engine)
    wrote_from(engine, "sms", PHONES[JANE], JANE, START)
    rounds(engine, fake, clock)
    sid = fake.messages[0]["sid"]
    before = store.last_event_id()

    assert store.provider_reported(sid, "delivered", None, clock.now())
    assert store.last_event_id() > before  # Ali's page hears of it
    assert not store.provider_reported(sid, "sent", None, clock.now())  # late: never back
    assert store.messages("t1")[-1].delivery == "delivered"
    assert store.provider_reported(sid, "read", None, clock.now())
    assert not store.provider_reported(sid, "failed", 30008, clock.now())
    assert (rows(engine)[0].status, store.messages("t1")[-1].delivery) == ("read", "read")
    assert not store.provider_reported("SM" + "0" * 32, "delivered", None, clock.now())  # nobody's message


def test_a_text_twilio_could_not_deliver_shows_failed_with_twilios_reason(engine: Engine, fake: FakeTwilio,
                                                                         clock: FrozenClock) -> None:
    store = ali_replies_to_jane(engine)
    wrote_from(engine, "sms", PHONES[JANE], JANE, START)
    rounds(engine, fake, clock)

    assert store.provider_reported(fake.messages[0]["sid"], "undelivered", 30003, clock.now())

    [message] = [m for m in store.messages("t1") if m.kind == "agent"]
    assert message.delivery == "failed"
    assert message.error == "the message was undelivered (Twilio error 30003: Unreachable destination handset)"
    assert store.retry_message(message.id, clock.now())  # Ali sends it again: a new text
    rounds(engine, fake, clock)
    assert len(fake.messages) == 2 and rows(engine)[0].provider_id == fake.messages[1]["sid"]


# -- WhatsApp's window, STOP ----------------------------------------------------------------------


def test_inside_the_whatsapp_window_alis_words_go_as_they_are(engine: Engine, fake: FakeTwilio,
                                                              clock: FrozenClock) -> None:
    ali_replies_to_jane(engine)
    wrote_from(engine, WHATSAPP, PHONES[JANE], JANE, START - timedelta(hours=23))

    rounds(engine, fake, clock, latest=WHATSAPP)

    [message] = fake.messages
    assert (message["to"], message["from"], message["body"]) == \
        (f"whatsapp:{PHONES[JANE]}", WHATSAPP_SHOP, SIGNED + "Hi Jane, Ali here.")
    assert fake.params_of(message["sid"])["StatusCallback"] == [f"{PUBLIC}/webhooks/whatsapp/status"]


def test_outside_the_whatsapp_window_the_approved_template_goes(engine: Engine, fake: FakeTwilio,
                                                                clock: FrozenClock) -> None:
    ali_replies_to_jane(engine)
    wrote_from(engine, WHATSAPP, PHONES[JANE], JANE, START - timedelta(hours=25))

    rounds(engine, fake, clock, latest=WHATSAPP, template=TEMPLATE)

    [message] = fake.messages
    params = fake.params_of(message["sid"])
    assert params["ContentSid"] == [TEMPLATE] and "Body" not in params
    assert json.loads(params["ContentVariables"][0]) == {"1": SIGNED + "Hi Jane, Ali here."}
    assert rows(engine)[0].status == "sent"


def template_words(fake: FakeTwilio, sid: str) -> str:
    """The words a template message carried (its variable); it has no body of its own."""
    params = fake.params_of(sid)
    assert params["ContentSid"] == [TEMPLATE] and "Body" not in params
    return json.loads(params["ContentVariables"][0])["1"]


def test_outside_the_whatsapp_window_a_long_answer_goes_as_several_templates_every_word_kept(
        engine: Engine, fake: FakeTwilio, clock: FrozenClock) -> None:
    sentences = [f"Step {n}: open the app, tap Orders, and check the parcel number twice." for n in range(1, 11)]
    ali_replies_to_jane(engine, " ".join(sentences))
    wrote_from(engine, WHATSAPP, PHONES[JANE], JANE, START - timedelta(hours=25))

    rounds(engine, fake, clock, latest=WHATSAPP, template=TEMPLATE)

    words = [template_words(fake, m["sid"]) for m in fake.messages]
    assert len(words) > 1 and all(len(part) <= TEMPLATE_VARIABLE_LIMIT for part in words)
    assert " ".join(words) == SIGNED + " ".join(sentences)
    [row] = rows(engine)
    assert (row.status, row.provider_id) == ("sent", fake.messages[-1]["sid"])


def test_a_template_carries_alis_words_on_one_line(engine: Engine, fake: FakeTwilio, clock: FrozenClock) -> None:
    ali_replies_to_jane(engine, "Hi Jane,\n\nyour refund is on its way.\n\tAli")
    wrote_from(engine, WHATSAPP, PHONES[JANE], JANE, START - timedelta(hours=25))

    rounds(engine, fake, clock, latest=WHATSAPP, template=TEMPLATE)

    [message] = fake.messages
    assert template_words(fake, message["sid"]) == SIGNED + "Hi Jane, your refund is on its way. Ali"


def test_when_the_window_closes_halfway_through_a_long_answer_the_rest_goes_as_templates(
        engine: Engine, fake: FakeTwilio, clock: FrozenClock) -> None:
    sentences = [f"Step {n}: open the app, tap Orders, and check the parcel number twice." for n in range(1, 121)]
    ali_replies_to_jane(engine, " ".join(sentences))
    wrote_from(engine, WHATSAPP, PHONES[JANE], JANE, START - timedelta(hours=23, minutes=30))

    # the first of three messages leaves; Twilio fails on the second; the retry comes after the window closed
    rounds(engine, fake, clock, latest=WHATSAPP, template=TEMPLATE, times=2, step=timedelta(hours=1), fails_after=1)

    first, *templates = fake.messages
    assert first["body"] == split_text(SIGNED + " ".join(sentences), 4096)[0]
    rest = [template_words(fake, m["sid"]) for m in templates]
    assert len(rest) > 2 and " ".join([first["body"], *rest]) == SIGNED + " ".join(sentences)
    [row] = rows(engine)
    assert (row.status, row.provider_id) == ("sent", fake.messages[-1]["sid"])


def test_when_the_window_closes_halfway_without_a_template_ali_reads_what_happened(
        engine: Engine, fake: FakeTwilio, clock: FrozenClock) -> None:
    sentences = [f"Step {n}: open the app, tap Orders, and check the parcel number twice." for n in range(1, 121)]
    store = ali_replies_to_jane(engine, " ".join(sentences))
    wrote_from(engine, WHATSAPP, PHONES[JANE], JANE, START - timedelta(hours=23, minutes=30))

    rounds(engine, fake, clock, latest=WHATSAPP, times=2, step=timedelta(hours=1), fails_after=1)

    assert len(fake.messages) == 1
    [row] = rows(engine)
    assert row.status == "failed" and "TWILIO_WHATSAPP_TEMPLATE_SID" in (row.error or "")
    assert "1 of its messages had left before" in (store.messages("t1")[-1].error or "")


def test_outside_the_whatsapp_window_without_a_template_ali_is_told_why_nothing_went(
        engine: Engine, fake: FakeTwilio, clock: FrozenClock) -> None:
    store = ali_replies_to_jane(engine)
    wrote_from(engine, WHATSAPP, PHONES[JANE], JANE, START - timedelta(hours=25))

    rounds(engine, fake, clock, latest=WHATSAPP, times=2)

    assert fake.messages == []
    [row] = rows(engine)
    assert (row.status, row.attempts) == ("failed", 1)
    message = store.messages("t1")[-1]
    assert message.delivery == "failed" and "24 hours" in (message.error or "")
    assert "TWILIO_WHATSAPP_TEMPLATE_SID" in (message.error or "")


def test_after_stop_alis_reply_is_not_texted_and_he_reads_why(engine: Engine, fake: FakeTwilio,
                                                              clock: FrozenClock) -> None:
    store = ali_replies_to_jane(engine)
    wrote_from(engine, "sms", PHONES[JANE], JANE, START - timedelta(hours=1), opted_out_at=START - timedelta(minutes=5))

    rounds(engine, fake, clock, times=2)

    assert fake.requests == []
    [row] = rows(engine)
    assert (row.status, row.attempts) == ("failed", 1)
    assert store.messages("t1")[-1].error == \
        "the customer texted STOP from ***0001: nothing is sent to that number until they text START"


def test_a_code_for_a_number_that_texted_stop_fails_at_once_and_is_reported(engine: Engine, fake: FakeTwilio,
                                                                           clock: FrozenClock) -> None:
    wrote_from(engine, "sms", PHONES[JANE], JANE, START, opted_out_at=START)
    SqlChallengeStore(engine).add(OtpChallenge("ch1", "p1", "digest", "hash", START, START + timedelta(minutes=5)))
    SqlOutbound(engine).queue_code(CodeText(JANE, PHONES[JANE], "Acme security code: 481516.", "ch1", "p1",
                                            START + timedelta(minutes=5)), START)

    rounds(engine, fake, clock)

    assert fake.requests == []
    code, trigger = rows(engine)
    assert (code.status, code.attempts) == ("failed", 1) and "STOP" in (code.error or "")
    assert json.loads(trigger.payload_json) == {"action": "action_code_not_sent"}


# -- which channel --------------------------------------------------------------------------------


@pytest.mark.parametrize(("latest", "to"), [("sms", PHONES[JANE]), (WHATSAPP, f"whatsapp:{PHONES[JANE]}")])
def test_alis_reply_goes_by_the_channel_jane_wrote_from_last(engine: Engine, fake: FakeTwilio, clock: FrozenClock,
                                                             latest: str, to: str) -> None:
    ali_replies_to_jane(engine)
    wrote_from(engine, "sms", PHONES[JANE], JANE, START - timedelta(hours=2))
    wrote_from(engine, WHATSAPP, PHONES[JANE], JANE, START - timedelta(hours=1))

    rounds(engine, fake, clock, latest=latest)

    assert [m["to"] for m in fake.messages] == [to]


def test_a_chat_tab_left_open_does_not_take_the_reply_to_someone_who_has_since_texted(
        engine: Engine, fake: FakeTwilio, clock: FrozenClock) -> None:
    ali_replies_to_jane(engine)
    wrote_from(engine, "sms", PHONES[JANE], JANE, START - timedelta(minutes=1))

    rounds(engine, fake, clock, latest="sms", pages=1)  # her laptop still has the help page open

    assert [m["to"] for m in fake.messages] == [PHONES[JANE]]


def test_a_reply_to_someone_whose_first_text_is_still_being_answered_goes_to_their_phone(
        engine: Engine, fake: FakeTwilio, clock: FrozenClock) -> None:
    ali_replies_to_jane(engine)  # Ali claimed Jane's ticket while the bot was still answering her first text
    wrote_from(engine, WHATSAPP, PHONES[JANE], JANE, START)

    rounds(engine, fake, clock, latest=None)  # Rasa stores her tracker only at the end of that turn

    assert [m["to"] for m in fake.messages] == [f"whatsapp:{PHONES[JANE]}"]
    assert rows(engine)[0].status == "sent"


@pytest.mark.parametrize(("channel", "to"), [("sms", OTHER_PHONE), (WHATSAPP, f"whatsapp:{OTHER_PHONE}")])
def test_jane_writing_from_another_number_than_the_one_on_file_is_answered_there(
        engine: Engine, fake: FakeTwilio, clock: FrozenClock, channel: str, to: str) -> None:
    ali_replies_to_jane(engine)
    wrote_from(engine, channel, OTHER_PHONE, JANE, START - timedelta(hours=1))

    rounds(engine, fake, clock, latest=channel)

    [message] = fake.messages
    assert (message["to"], message["body"]) == (to, SIGNED + "Hi Jane, Ali here.")  # free text: her window is open
    assert rows(engine)[0].status == "sent"


def test_jane_who_never_wrote_on_whatsapp_is_answered_at_the_phone_on_file(engine: Engine, fake: FakeTwilio,
                                                                         clock: FrozenClock) -> None:
    ali_replies_to_jane(engine)
    wrote_from(engine, "sms", OTHER_PHONE, JANE, START - timedelta(hours=1))

    rounds(engine, fake, clock, latest=WHATSAPP, template=TEMPLATE)

    assert [m["to"] for m in fake.messages] == [f"whatsapp:{PHONES[JANE]}"]


def test_the_bots_reply_bound_to_sms_goes_by_sms_to_the_number_that_wrote(engine: Engine, fake: FakeTwilio,
                                                                         clock: FrozenClock) -> None:
    wrote_from(engine, "sms", VISITOR_PHONE, VISITOR, START)
    with Session(engine) as session:
        session.add(DeliveryRow(conversation_id=VISITOR, kind="say", channel="sms", created_at=START, next_try_at=START,
                                payload_json=json.dumps({"text": "Your order ships tomorrow."})))
        session.commit()

    rounds(engine, fake, clock, latest=WHATSAPP)  # whatever Rasa says was used last

    [message] = fake.messages
    assert (message["to"], message["from"], message["body"]) == (VISITOR_PHONE, SHOP, "Your order ships tomorrow.")
    assert rows(engine)[0].status == "sent"


# -- settings -------------------------------------------------------------------------------------

TWILIO = {"TWILIO_ACCOUNT_SID": "AC" + "0" * 32, "TWILIO_AUTH_TOKEN": "token", "TWILIO_FROM_NUMBER": SHOP}


@pytest.mark.parametrize(("extra", "names"), [
    ({"TWILIO_WHATSAPP_FROM": "+15005550006"}, "TWILIO_WHATSAPP_FROM"),
    ({"TWILIO_WHATSAPP_FROM": WHATSAPP_SHOP, "TWILIO_WHATSAPP_TEMPLATE_SID": "template-1"}, "TWILIO_WHATSAPP_TEMPLATE_SID"),
    ({"TWILIO_WHATSAPP_TEMPLATE_SID": TEMPLATE}, "TWILIO_WHATSAPP_FROM"),
    ({"HITL_PUBLIC_URL": "bot.example.com"}, "HITL_PUBLIC_URL"),
])
def test_whatsapp_and_public_url_settings_name_what_to_fix(tmp_path: Path, extra: dict, names: str) -> None:
    with pytest.raises(SettingsError, match=names):
        Settings.from_env({"HITL_DATA_DIR": str(tmp_path), **TWILIO, **extra})


def test_whatsapp_settings_are_read(tmp_path: Path) -> None:
    settings = Settings.from_env({"HITL_DATA_DIR": str(tmp_path), **TWILIO, "TWILIO_WHATSAPP_FROM": WHATSAPP_SHOP,
                                  "TWILIO_WHATSAPP_TEMPLATE_SID": TEMPLATE, "HITL_PUBLIC_URL": PUBLIC + "/"})
    assert settings.twilio is not None
    assert (settings.twilio.whatsapp_from, settings.twilio.whatsapp_template_sid) == (WHATSAPP_SHOP, TEMPLATE)
    assert settings.public_url == PUBLIC
