"""One-time codes leave by the one way out: queued by the assistant, texted by the delivery worker.

The queue is the real SQL one on a migrated SQLite file; the worker's SMS sender talks to the
fake Twilio on loopback over HTTP, so what Twilio would receive is what is checked. Rasa is
not needed to text a code; where the scenario needs it, it is a port nobody listens on.
"""

from __future__ import annotations

import asyncio
import json
import re
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Iterator, List

import aiohttp
import pytest
from sqlalchemy.engine import Engine
from sqlalchemy import update
from sqlmodel import Session, select

from actions.domain.outbound import REDACTED, SMS, CodeText, UndeliveredCode
from actions.domain.step_up import ChallengeStatus, OtpChallenge
from actions.sms import TwilioSmsSender
from actions.store.database import make_engine
from actions.store.outbound import SqlOutbound
from actions.store.sql import SqlChallengeStore
from actions.store.tables import DeliveryRow
from bot.stack import free_port
from handoff.delivery import DeliveryWorker
from handoff.rasa_client import RasaConversations
from handoff.store import InboxStore, Outgoing
from devtools.fake_twilio import FakeTwilio
from tests.support.databases import migrated_sqlite_url
from tests.support.world import JANE, PHONES, SAM, START, FrozenClock

SHOP_NUMBER = "+15005550006"
CODE = "Acme security code: 481516. It confirms: Cancel your Snack Box weekly."


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    engine = make_engine(migrated_sqlite_url(tmp_path / "hitl.db"))
    yield engine
    engine.dispose()


def queue_code(engine: Engine, who: str = SAM, valid_for: timedelta = timedelta(minutes=5),
               challenge_id: str = "ch1") -> CodeText:
    """A code as the assistant issues one: its challenge first, then its text on the queue."""
    SqlChallengeStore(engine).add(OtpChallenge(challenge_id, "pending-1", "digest", "hash", START, START + valid_for))
    code = CodeText(who, PHONES[who], CODE, challenge_id=challenge_id, subject_id="pending-1", until=START + valid_for)
    SqlOutbound(engine).queue_code(code, START)
    return code


def rows(engine: Engine) -> List[DeliveryRow]:
    with Session(engine) as session:
        return list(session.exec(select(DeliveryRow).order_by(DeliveryRow.id)))  # type: ignore[arg-type]


def rounds(engine: Engine, fake_twilio: FakeTwilio, clock: FrozenClock, times: int = 1,
           step: timedelta = timedelta(0)) -> List[int]:
    """``times`` rounds of the delivery worker, the clock moved on by ``step`` after each."""
    sender = TwilioSmsSender(fake_twilio.account_sid, fake_twilio.auth_token, SHOP_NUMBER,
                             base_url=fake_twilio.base_url, timeout=2)

    async def scenario() -> List[int]:
        async with aiohttp.ClientSession() as client:
            nobody = RasaConversations(client, f"http://127.0.0.1:{free_port()}", None, timeout=0.3)
            worker = DeliveryWorker(InboxStore(engine), nobody, clock, texts={SMS: sender})
            counts = []
            for _ in range(times):
                counts.append(await worker.deliver_due())
                clock.current += step
            return counts

    return asyncio.run(scenario())


def test_a_queued_code_is_texted_to_the_phone_on_file_and_its_text_is_not_kept(
        engine: Engine, fake_twilio: FakeTwilio) -> None:
    queue_code(engine)

    rounds(engine, fake_twilio, FrozenClock())

    [message] = fake_twilio.messages
    assert (message["to"], message["from"], message["body"]) == (PHONES[SAM], SHOP_NUMBER, CODE)
    [row] = rows(engine)
    assert (row.kind, row.channel, row.status, row.provider_id) == ("code", "sms", "sent", message["sid"])
    kept = json.loads(row.payload_json)
    assert (kept["to"], kept["text"]) == ("***0002", REDACTED)
    assert "481516" not in row.payload_json
    assert SqlOutbound(engine).undelivered(SAM) == []


def test_a_number_the_provider_refuses_is_reported_to_the_conversation_and_not_retried(
        engine: Engine, fake_twilio: FakeTwilio) -> None:
    fake_twilio.refuse(PHONES[SAM], code=21610)
    queue_code(engine)

    rounds(engine, fake_twilio, FrozenClock(), times=3, step=timedelta(seconds=5))

    code, trigger = rows(engine)
    assert (code.status, code.attempts) == ("failed", 1)
    assert "21610" in (code.error or "") and "481516" not in code.payload_json
    assert (trigger.conversation_id, trigger.kind, json.loads(trigger.payload_json)) == \
        (SAM, "trigger", {"action": "action_code_not_sent"})
    [failed] = SqlOutbound(engine).undelivered(SAM)
    assert failed == UndeliveredCode("ch1", "pending-1", "0002", code.error)


def test_a_provider_error_is_retried_and_the_code_is_texted_once(engine: Engine, fake_twilio: FakeTwilio) -> None:
    fake_twilio.fail_next(status=503, message="Service Unavailable", times=2)
    queue_code(engine)
    clock = FrozenClock()

    counts = rounds(engine, fake_twilio, clock, times=8, step=timedelta(seconds=0.5))

    assert counts == [1, 0, 1, 0, 0, 0, 1, 0]  # at once, after 1 s, then 2 s later: sent
    assert len(fake_twilio.messages) == 1
    [row] = rows(engine)
    assert (row.status, row.attempts, row.error) == ("sent", 3, None)


def test_a_code_still_failing_when_it_expires_is_given_up_and_reported(engine: Engine, fake_twilio: FakeTwilio) -> None:
    fake_twilio.fail_next(status=500, times=100)
    queue_code(engine, valid_for=timedelta(seconds=20))

    rounds(engine, fake_twilio, FrozenClock(), times=12, step=timedelta(seconds=4))

    code, trigger = rows(engine)
    assert code.status == "failed" and trigger.kind == "trigger"
    assert fake_twilio.messages == []
    assert code.next_try_at < START + timedelta(seconds=20)  # never tried once it could arrive too late


def test_a_code_does_not_wait_behind_an_agent_reply_that_cannot_reach_the_chat(
        engine: Engine, fake_twilio: FakeTwilio) -> None:
    store = InboxStore(engine)
    store.enqueue(JANE, Outgoing("trigger", {"action": "action_handback"}), START)  # Rasa is down: retried
    queue_code(engine, who=JANE)

    rounds(engine, fake_twilio, FrozenClock())

    news, code = rows(engine)
    assert (news.status, news.attempts) == ("pending", 1)
    assert code.status == "sent"
    assert re.search(r"\b481516\b", fake_twilio.messages[0]["body"])


def test_a_code_a_newer_one_replaced_is_not_sent_and_does_not_hold_up_the_newer_one(
        engine: Engine, fake_twilio: FakeTwilio) -> None:
    fake_twilio.fail_next(status=503, times=1)
    old = queue_code(engine, challenge_id="ch1")
    rounds(engine, fake_twilio, FrozenClock())  # the provider hiccups: the first code waits to be tried again
    challenges = SqlChallengeStore(engine)
    first = challenges.current("pending-1")
    assert first is not None and first.id == "ch1"
    assert challenges.update(first, replace(first, status=ChallengeStatus.SUPERSEDED))  # the customer asked for RESEND
    queue_code(engine, challenge_id="ch2")

    rounds(engine, fake_twilio, FrozenClock(START + timedelta(seconds=1)))
    rounds(engine, fake_twilio, FrozenClock(START + timedelta(seconds=1)))

    replaced, newer = rows(engine)
    assert (replaced.status, replaced.error) == ("cancelled", None) and old.text not in replaced.payload_json
    assert newer.status == "sent" and len(fake_twilio.messages) == 1  # only the code that works went out
    assert SqlOutbound(engine).undelivered(SAM) == []  # nothing to apologise for


def test_a_queued_code_that_cant_be_read_is_dropped_and_holds_nothing_up(engine: Engine, fake_twilio: FakeTwilio) -> None:
    InboxStore(engine).enqueue(SAM, Outgoing("code", {"to": PHONES[SAM], "text": "Acme security code: 999999"}), START)
    with Session(engine) as session:  # queued as a code for the SMS channel, without the fields a code needs
        session.execute(update(DeliveryRow).values(channel=SMS))
        session.commit()
    queue_code(engine)

    rounds(engine, fake_twilio, FrozenClock(), times=2)

    unreadable, code = rows(engine)
    assert unreadable.status == "failed" and "999999" not in unreadable.payload_json
    assert code.status == "sent"


def test_a_chat_page_cannot_mark_a_code_for_a_phone_delivered(engine: Engine, fake_twilio: FakeTwilio) -> None:
    queue_code(engine)
    [row] = rows(engine)

    assert InboxStore(engine).delivery_seen(row.id, SAM, START) is False  # type: ignore[arg-type]
    rounds(engine, fake_twilio, FrozenClock())
    assert rows(engine)[0].status == "sent" and len(fake_twilio.messages) == 1
