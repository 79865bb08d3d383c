"""Messages from phones are accepted once and handled in order, on a SQLite file and on PostgreSQL.

Twilio delivers a message again when it doesn't hear back, and two deliveries may reach two
chat server processes at the same moment: the provider's id is unique in the database, so one
is accepted and the other changes nothing. Each conversation's messages are taken one at a
time, oldest first, whichever process asks; one taken by a process that died is taken again.
"""

from __future__ import annotations

from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Iterator, List

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine

from actions.domain.inbound import CLAIM_TIMEOUT, STILL_HANDLING_EVERY, InboundMessage, Media
from actions.store.database import make_engine
from actions.store.channel_addresses import SqlChannelAddresses
from actions.store.inbound import SqlInboundQueue
from tests.support.databases import migrated_sqlite_url
from tests.support.postgres import postgres_schema_url
from tests.support.processes import race_processes
from tests.support.race import race, race_between

NOW = datetime(2026, 11, 21, 12, 0, tzinfo=timezone.utc)
JANE, SAM = "customer-C001", "customer-C002"


@contextmanager
def engine_on(backend: str, tmp_path: Path) -> Iterator[Engine]:
    if backend == "sqlite":
        engine = make_engine(migrated_sqlite_url(tmp_path / "hitl.db"))
        yield engine
        engine.dispose()
        return
    with postgres_schema_url("inbound") as url:
        engine = make_engine(url)
        yield engine
        engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    with engine_on(request.param, tmp_path) as engine:
        yield engine


def message(sid: str, conversation: str = JANE, text: str = "hello", at: datetime = NOW) -> InboundMessage:
    return InboundMessage(sid, "sms", "+15550100001", conversation, text, at)


def test_a_message_delivered_twice_is_accepted_once(engine: Engine) -> None:
    queue = SqlInboundQueue(engine)

    assert queue.accept(message("SM1")) is not None
    assert queue.accept(message("SM1", text="the same sid again")) is None

    taken = queue.claim_next(JANE, NOW)
    assert taken is not None and (taken.provider_id, taken.text) == ("SM1", "hello")
    queue.done(taken.id, NOW)  # type: ignore[arg-type]
    assert queue.claim_next(JANE, NOW) is None


def test_the_same_delivery_racing_in_eight_threads_is_accepted_once(engine: Engine) -> None:
    queue = SqlInboundQueue(engine)

    accepted = race(8, lambda: queue.accept(message("SM-race")))

    assert len([taken for taken in accepted if taken is not None]) == 1


def accept_the_same_delivery(url: str, results: str) -> None:
    """One chat server process taking a webhook delivery (the same MessageSid in every process)."""
    engine = make_engine(url)
    accepted = SqlInboundQueue(engine).accept(message("SM-processes"))
    with open(results, "a", encoding="utf-8") as out:
        out.write("accepted\n" if accepted is not None else "duplicate\n")
    engine.dispose()


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_the_same_delivery_reaching_four_processes_is_accepted_once(backend: str, tmp_path: Path) -> None:
    results = tmp_path / "results.txt"
    if backend == "sqlite":
        url = migrated_sqlite_url(tmp_path / "hitl.db")
        race_processes(4, accept_the_same_delivery, url, str(results))
    else:
        with postgres_schema_url("inbound_processes") as url:
            make_engine(url).dispose()  # migrated once, before the race
            race_processes(4, accept_the_same_delivery, url, str(results))

    assert sorted(results.read_text().split()) == ["accepted", "duplicate", "duplicate", "duplicate"]


def test_a_conversations_messages_are_taken_one_at_a_time_oldest_first(engine: Engine) -> None:
    queue = SqlInboundQueue(engine)
    for n in range(3):
        queue.accept(message(f"SM{n}", text=f"message {n}"))
    queue.accept(message("SM-sam", conversation=SAM))

    first = queue.claim_next(JANE, NOW)
    assert first is not None and first.text == "message 0"
    assert queue.claim_next(JANE, NOW) is None  # the first is being handled: the next waits for it
    sams = queue.claim_next(SAM, NOW)
    assert sams is not None and sams.provider_id == "SM-sam"  # another conversation is not held up

    queue.done(first.id, NOW)  # type: ignore[arg-type]
    taken: List[str] = []
    while (next_one := queue.claim_next(JANE, NOW)) is not None:
        taken.append(next_one.text)
        queue.done(next_one.id, NOW)  # type: ignore[arg-type]
    assert taken == ["message 1", "message 2"]


def test_two_processes_asking_at_once_take_a_message_once(engine: Engine) -> None:
    queue = SqlInboundQueue(engine)
    queue.accept(message("SM1"))
    queue.accept(message("SM2"))

    claims = race(6, lambda: queue.claim_next(JANE, NOW))

    assert [c.provider_id for c in claims if c is not None] == ["SM1"]


def test_a_message_taken_by_a_process_that_died_is_taken_again_later(engine: Engine) -> None:
    queue = SqlInboundQueue(engine)
    queue.accept(message("SM1"))
    assert queue.claim_next(JANE, NOW) is not None  # and the process dies before it is done

    assert queue.waiting_conversations(NOW) == ()
    assert queue.claim_next(JANE, NOW + CLAIM_TIMEOUT - timedelta(seconds=1)) is None  # it may be alive
    later = NOW + CLAIM_TIMEOUT + timedelta(seconds=1)
    assert queue.waiting_conversations(later) == (JANE,)
    again = queue.claim_next(JANE, later)
    assert again is not None and again.provider_id == "SM1"


def test_a_failed_turn_is_recorded_and_does_not_hold_up_the_next(engine: Engine) -> None:
    queue = SqlInboundQueue(engine)
    queue.accept(message("SM1"))
    queue.accept(message("SM2", text="second"))
    first = queue.claim_next(JANE, NOW)
    queue.done(first.id, NOW, error="RuntimeError: the action server is down")  # type: ignore[union-attr]

    second = queue.claim_next(JANE, NOW)
    assert second is not None and second.text == "second"


def test_media_and_a_location_are_kept_with_the_message(engine: Engine) -> None:
    queue = SqlInboundQueue(engine)
    media = (Media("https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME1", "image/jpeg"),
             Media("geo:51.5,-0.12", "location"))
    queue.accept(InboundMessage("MM1", "whatsapp", "+15550100001", JANE, "", NOW, media))

    taken = queue.claim_next(JANE, NOW)
    assert taken is not None and taken.media == media


def test_an_address_remembers_its_conversation_last_message_and_stop(engine: Engine) -> None:
    addresses = SqlChannelAddresses(engine)

    addresses.seen("sms", "+15550100001", JANE, NOW)
    addresses.seen("sms", "+15550100001", JANE, NOW - timedelta(minutes=5))  # a late twin doesn't go back
    assert not addresses.opted_out("sms", "+15550100001")

    addresses.opt_out("sms", "+15550100001", NOW)
    assert addresses.opted_out("sms", "+15550100001")
    assert not addresses.opted_out("whatsapp", "+15550100001")  # STOP is per channel
    addresses.opt_out("sms", "+15550100001", None)
    assert not addresses.opted_out("sms", "+15550100001")


def test_a_message_given_back_by_a_stopping_process_is_taken_at_once(engine: Engine) -> None:
    queue = SqlInboundQueue(engine)
    queue.accept(message("SM1"))
    taken = queue.claim_next(JANE, NOW)
    assert taken is not None

    queue.release(taken.id)  # type: ignore[arg-type]

    assert queue.waiting_conversations(NOW) == (JANE,)
    again = queue.claim_next(JANE, NOW)
    assert again is not None and again.provider_id == "SM1"


def test_a_long_turn_that_says_it_is_still_handling_is_not_taken_by_another_process(engine: Engine) -> None:
    queue = SqlInboundQueue(engine)
    queue.accept(message("SM1"))
    taken = queue.claim_next(JANE, NOW)
    assert taken is not None

    beats = 4 * int(CLAIM_TIMEOUT / STILL_HANDLING_EVERY)  # a turn four times as long as a claim lasts
    for beat in range(1, beats + 1):  # saying so at every beat
        at = NOW + STILL_HANDLING_EVERY * beat
        queue.still_handling(taken.id, at)  # type: ignore[arg-type]
        assert queue.claim_next(JANE, at + STILL_HANDLING_EVERY * 2) is None
    assert queue.waiting_conversations(NOW + STILL_HANDLING_EVERY * (beats + 2)) == ()


def test_a_handled_message_keeps_no_words_but_a_failed_one_does(engine: Engine) -> None:
    queue = SqlInboundQueue(engine)
    queue.accept(message("SM1", text="481516"))
    queue.accept(message("SM2", conversation=SAM, text="why did this fail?"))
    handled, failed = queue.claim_next(JANE, NOW), queue.claim_next(SAM, NOW)
    queue.done(handled.id, NOW)  # type: ignore[union-attr]
    queue.done(failed.id, NOW, error="RuntimeError: boom")  # type: ignore[union-attr]

    with engine.connect() as connection:
        kept = dict(connection.execute(text("SELECT provider_id, text FROM inbound_messages")).all())
    assert kept == {"SM1": "", "SM2": "why did this fail?"}


# -- taken as it is accepted ----------------------------------------------------------------------


def test_a_message_with_nothing_before_it_is_taken_as_it_is_accepted(engine: Engine) -> None:
    queue = SqlInboundQueue(engine)

    accepted = queue.accept(message("SM1"), take=True)

    assert accepted is not None and accepted.taken
    assert queue.claim_next(JANE, NOW) is None  # it is this process's now
    assert queue.waiting_conversations(NOW) == ()
    assert queue.waiting_conversations(NOW + CLAIM_TIMEOUT * 2) == (JANE,)  # a process that died on it loses it


def test_a_message_behind_an_unfinished_one_is_accepted_but_not_taken(engine: Engine) -> None:
    queue = SqlInboundQueue(engine)
    first = queue.accept(message("SM1"), take=True)
    second = queue.accept(message("SM2", text="and another thing"), take=True)
    sams = queue.accept(message("SM3", conversation=SAM), take=True)

    assert first is not None and first.taken
    assert second is not None and not second.taken
    assert sams is not None and sams.taken  # another conversation is not held up
    queue.done(first.id, NOW)
    after = queue.claim_next(JANE, NOW)
    assert after is not None and after.text == "and another thing"


def test_a_twin_delivery_is_neither_accepted_nor_taken(engine: Engine) -> None:
    queue = SqlInboundQueue(engine)
    queue.accept(message("SM1"))

    assert queue.accept(message("SM1"), take=True) is None
    taken = queue.claim_next(JANE, NOW)
    assert taken is not None and taken.provider_id == "SM1"


def test_of_messages_racing_in_for_one_conversation_only_the_first_is_taken(engine: Engine) -> None:
    queue = SqlInboundQueue(engine)

    accepted = race_between(*[lambda n=n: queue.accept(message(f"SM{n}", text=f"message {n}"), take=True)
                              for n in range(6)])

    taken = [a for a in accepted if a is not None and a.taken]
    assert len(taken) == 1
    assert taken[0].id == min(a.id for a in accepted if a is not None)  # the oldest: the order holds


def test_accepting_a_message_notes_the_number_it_came_from(engine: Engine) -> None:
    queue, addresses = SqlInboundQueue(engine), SqlChannelAddresses(engine)

    queue.accept(message("SM1", at=NOW))
    queue.accept(InboundMessage("SM2", "sms", "+15550100001", JANE, "late twin", NOW - timedelta(minutes=5)))

    known = addresses.address("sms", "+15550100001")
    assert known is not None and known.last_inbound_at == NOW  # a message that arrived late doesn't go back
    assert addresses.of_conversation(JANE, "sms") == known
    assert addresses.address("whatsapp", "+15550100001") is None
