"""The records the voice channel keeps between Twilio's webhooks, and sealed codes, on every backend.

Calls and turns live in the shared database so any chat server can take a call's next webhook;
sealed codes must be readable once, by their own conversation, while they are fresh.
"""

from __future__ import annotations

from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Iterator, Tuple

import pytest

from actions.domain.sealed import SEALED_FOR
from actions.domain.sealed import SealedInputs
from actions.domain.voice_calls import CODE, ENDED, TRANSFER, WITH_BOT, YES_NO, VoiceCall, VoiceCalls
from actions.store.database import make_engine
from actions.store.memory import MemorySealedInputs, MemoryVoiceCalls
from actions.store.voice import SqlSealedInputs, SqlVoiceCalls
from tests.support.race import race
from tests.test_stores_contract import NOW, database_url

CALL = "CA" + "1" * 32
OTHER_CALL = "CA" + "2" * 32
JANE = "customer-C001"


@contextmanager
def voice_on(backend: str, tmp_path: Path) -> Iterator[Tuple[SqlVoiceCalls, SqlSealedInputs]]:
    with database_url(backend, tmp_path) as url:
        engine = make_engine(url)
        try:
            yield SqlVoiceCalls(engine), SqlSealedInputs(engine)
        finally:
            engine.dispose()


@pytest.fixture(params=["memory", "sqlite", "postgresql"])
def voice(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Tuple[VoiceCalls, SealedInputs]]:
    if request.param == "memory":
        yield MemoryVoiceCalls(), MemorySealedInputs()
        return
    with voice_on(request.param, tmp_path) as stores:
        yield stores


@pytest.fixture(params=["memory", "sqlite", "postgresql"])
def sealed(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[object]:
    if request.param == "memory":
        yield MemorySealedInputs()
        return
    with voice_on(request.param, tmp_path) as (_, store):
        yield store


def test_a_call_is_recorded_once_and_comes_back_as_it_was(voice) -> None:
    calls, _ = voice
    call = VoiceCall(CALL, JANE, "+15550100001", NOW)
    assert calls.start(call) is True
    assert calls.start(call) is False  # the first webhook delivered twice
    assert calls.get(CALL) == call
    assert calls.get(OTHER_CALL) is None
    assert calls.live_for(JANE) == call


def test_a_turn_is_claimed_by_one_delivery_and_its_answer_is_kept_for_the_others(voice) -> None:
    calls, _ = voice
    calls.start(VoiceCall(CALL, JANE, "+15550100001", NOW))
    claims = race(4, lambda: calls.begin_turn(CALL, 1, NOW))
    assert sorted(claims) == [False, False, False, True]
    assert calls.answer_of(CALL, 1) is None  # still running
    calls.finish_turn(CALL, 1, "<Response/>", misses=0, expecting=YES_NO)
    assert calls.answer_of(CALL, 1) == "<Response/>"
    assert (calls.get(CALL).turn, calls.get(CALL).expecting) == (1, YES_NO)


def test_a_late_answer_to_an_old_turn_does_not_wind_the_call_back(voice) -> None:
    calls, _ = voice
    calls.start(VoiceCall(CALL, JANE, None, NOW))
    for turn in (1, 2):
        calls.begin_turn(CALL, turn, NOW)
    calls.finish_turn(CALL, 2, "<Response><Say>two</Say></Response>", misses=0, expecting=CODE)
    calls.finish_turn(CALL, 1, "<Response><Say>one</Say></Response>", misses=1, expecting=None)
    assert (calls.get(CALL).turn, calls.get(CALL).expecting) == (2, CODE)


def test_a_call_ends_once_and_is_no_longer_live(voice) -> None:
    calls, _ = voice
    calls.start(VoiceCall(CALL, JANE, "+15550100001", NOW))
    assert calls.move(CALL, (WITH_BOT,), TRANSFER) is True
    assert calls.move(CALL, (WITH_BOT,), TRANSFER) is False
    assert calls.ended(CALL, "completed", NOW + timedelta(minutes=3)) is True
    assert calls.ended(CALL, "completed", NOW + timedelta(minutes=4)) is False
    ended = calls.get(CALL)
    assert (ended.stage, ended.status, ended.ended_at) == (ENDED, "completed", NOW + timedelta(minutes=3))
    assert calls.live_for(JANE) is None


def test_words_queued_for_a_call_are_said_once_in_order(voice) -> None:
    calls, _ = voice
    calls.start(VoiceCall(CALL, JANE, "+15550100001", NOW))
    assert calls.speech_waiting(CALL) is False
    calls.queue_speech(CALL, "Your refund was approved.", NOW)
    assert calls.speech_waiting(CALL) is True
    calls.queue_speech(CALL, "Anything else?", NOW)
    calls.queue_speech(OTHER_CALL, "Someone else's news", NOW)
    assert list(calls.take_speech(CALL, NOW)) == ["Your refund was approved.", "Anything else?"]
    assert list(calls.take_speech(CALL, NOW)) == []
    assert calls.speech_waiting(CALL) is False and calls.speech_waiting(OTHER_CALL) is True


def test_what_the_caller_said_is_kept_turn_by_turn_and_what_the_call_waits_for_can_be_set(voice) -> None:
    calls, _ = voice
    calls.start(VoiceCall(CALL, JANE, "+15550100001", NOW))
    calls.begin_turn(CALL, 2, NOW, heard="(a code)")
    calls.begin_turn(CALL, 1, NOW, heard="cancel my subscription")
    calls.begin_turn(CALL, 3, NOW)  # silence: nothing heard
    assert list(calls.heard(CALL)) == ["cancel my subscription", "(a code)"]
    calls.expect(CALL, CODE)
    assert calls.get(CALL).expecting == CODE


def test_a_sealed_code_is_read_once_by_its_own_conversation_while_fresh(sealed) -> None:
    ref = sealed.seal(JANE, "482913", NOW)
    assert "482913" not in ref
    assert sealed.take(ref, "customer-C002", NOW) is None  # another conversation's reference
    assert sealed.take(ref, JANE, NOW) == "482913"
    assert sealed.take(ref, JANE, NOW) is None  # gone once read
    stale = sealed.seal(JANE, "111111", NOW)
    assert sealed.take(stale, JANE, NOW + SEALED_FOR + timedelta(seconds=1)) is None


def test_two_readers_of_one_sealed_code_get_it_once(sealed) -> None:
    ref = sealed.seal(JANE, "482913", NOW)
    assert sorted(race(4, lambda: sealed.take(ref, JANE, NOW)), key=str) == ["482913", None, None, None]
