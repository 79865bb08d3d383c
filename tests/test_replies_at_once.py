"""The bot's reply to a text goes out from the turn's own process at once, as a delivery like any other.

The queue is the real SQL one on a migrated SQLite file, Twilio is the fake one over HTTP, and
the clock is frozen. Scenarios: Jane texts and the bot's answer reaches Twilio before any worker
looks; Twilio fails and the worker's retry sends it once; an answer behind a delivery still
waiting is left to the worker, which keeps the order; a number that texted STOP gets nothing;
without Twilio set up the answer waits in the queue.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Dict

from sqlalchemy.engine import Engine

from actions.sms import TwilioMessages
from devtools.fake_twilio import FakeTwilio
from handoff.delivery import CLAIM_LEASE
from handoff.delivery_queue import Outgoing
from handoff.phone_channel import PhoneChannel
from handoff.replies_at_once import RepliesAtOnce
from handoff.store import InboxStore
from tests.support.world import JANE, PHONES, START, FrozenClock
from tests.test_twilio_outbound import (SHOP, clock, engine, fake, phone_channels, rounds,  # noqa: F401 - fixtures
                                        rows, wrote_from)

SAID = Outgoing("say", {"text": "Your order ships tomorrow.", "source": "bot"}, "sms")


def phones(engine: Engine, fake: FakeTwilio, clock: FrozenClock) -> Dict[str, PhoneChannel]:
    return phone_channels(InboxStore(engine), TwilioMessages(fake.account_sid, fake.auth_token, fake.base_url,
                                                             timeout=2.0), clock)


def the_bot_says(engine: Engine, clock: FrozenClock, text: str, channels: Dict[str, PhoneChannel]) -> None:
    asyncio.run(RepliesAtOnce(InboxStore(engine), channels, clock)("sms", JANE, text))


def test_the_bots_answer_reaches_twilio_before_any_worker_looks(engine: Engine, fake: FakeTwilio,
                                                                clock: FrozenClock) -> None:
    wrote_from(engine, "sms", PHONES[JANE], JANE, START)

    the_bot_says(engine, clock, "Your order ships tomorrow.", phones(engine, fake, clock))

    [message] = fake.messages
    assert (message["to"], message["from"], message["body"]) == (PHONES[JANE], SHOP, "Your order ships tomorrow.")
    [row] = rows(engine)
    assert (row.status, row.attempts, row.provider_id, row.channel) == ("sent", 1, message["sid"], "sms")
    assert rounds(engine, fake, clock) == [0]  # the worker finds nothing left to send
    assert len(fake.messages) == 1


def test_when_twilio_fails_the_worker_retries_after_the_backoff_and_jane_gets_one_text(
        engine: Engine, fake: FakeTwilio, clock: FrozenClock) -> None:
    wrote_from(engine, "sms", PHONES[JANE], JANE, START)
    fake.fail_next(status=503, message="Service Unavailable")

    the_bot_says(engine, clock, "Your order ships tomorrow.", phones(engine, fake, clock))

    [row] = rows(engine)
    assert (row.status, row.attempts) == ("pending", 1)
    assert row.next_try_at == START + timedelta(seconds=1)  # the backoff after a first failed try
    assert rounds(engine, fake, clock, times=2) == [0, 1]  # not before it is due, then once
    [message] = fake.messages
    [row] = rows(engine)
    assert (row.status, row.attempts, row.provider_id) == ("sent", 2, message["sid"])


def test_an_answer_behind_a_delivery_still_waiting_is_left_to_the_worker_in_order(
        engine: Engine, fake: FakeTwilio, clock: FrozenClock) -> None:
    wrote_from(engine, "sms", PHONES[JANE], JANE, START)
    store = InboxStore(engine)
    store.enqueue(JANE, SAID, START)  # an earlier answer, not sent yet

    the_bot_says(engine, clock, "Anything else?", phones(engine, fake, clock))

    assert fake.messages == []
    assert rounds(engine, fake, clock, times=3) == [1, 1, 0]
    assert [m["body"] for m in fake.messages] == ["Your order ships tomorrow.", "Anything else?"]


def test_a_delivery_waiting_on_another_channel_does_not_hold_the_answer_back(
        engine: Engine, fake: FakeTwilio, clock: FrozenClock) -> None:
    wrote_from(engine, "sms", PHONES[JANE], JANE, START)
    InboxStore(engine).enqueue(JANE, Outgoing("say", {"text": "Hi Jane, Ali here.", "agent": "ali"}), START)

    the_bot_says(engine, clock, "Your order ships tomorrow.", phones(engine, fake, clock))

    assert [m["body"] for m in fake.messages] == ["Your order ships tomorrow."]


def test_a_taken_answer_is_not_due_for_any_worker_until_its_lease_is_over(engine: Engine) -> None:
    store = InboxStore(engine)

    taken = store.enqueue_taken(JANE, SAID, START, CLAIM_LEASE)

    assert taken is not None and (taken.kind, taken.channel, taken.attempts) == ("say", "sms", 0)
    assert store.claim_due_deliveries(START, CLAIM_LEASE) == []
    assert [d.id for d in store.claim_due_deliveries(START + CLAIM_LEASE, CLAIM_LEASE)] == [taken.id]
    assert store.enqueue_taken(JANE, SAID, START, CLAIM_LEASE) is None  # behind the first, still pending
    assert [row.next_try_at for row in rows(engine)][1] == START  # due for the worker once the first is done


def test_after_stop_the_bots_answer_is_not_texted(engine: Engine, fake: FakeTwilio, clock: FrozenClock) -> None:
    wrote_from(engine, "sms", PHONES[JANE], JANE, START, opted_out_at=START)

    the_bot_says(engine, clock, "Your order ships tomorrow.", phones(engine, fake, clock))

    assert fake.requests == []
    [row] = rows(engine)
    assert (row.status, row.attempts) == ("failed", 1)
    assert "texted STOP" in (row.error or "")


def test_without_twilio_set_up_the_answer_waits_in_the_queue(engine: Engine, clock: FrozenClock) -> None:
    the_bot_says(engine, clock, "Your order ships tomorrow.", {})

    [row] = rows(engine)
    assert (row.status, row.attempts, row.next_try_at, row.channel) == ("pending", 0, START, "sms")
