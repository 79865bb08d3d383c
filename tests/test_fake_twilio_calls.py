"""The fake Twilio plays phone calls as Twilio Programmable Voice does: an IVR with speech and
keys, silence, redirects, signed webhooks, TwiML refused loudly, and status callbacks."""

from __future__ import annotations

from typing import Iterator

import pytest

from devtools.fake_twilio import FakeTwilio
from devtools.fake_twilio.voice import CallError
from tests.support.voice_app import Hook, VoiceApp

JANE = "+15550100001"

MENU = (
    '<Response><Gather input="speech dtmf" action="/menu/choice" actionOnEmptyResult="true" numDigits="1" '
    'speechTimeout="auto" hints="order, refund"><Say>Welcome to Acme.</Say><Say>Say order or press 1.</Say>'
    "</Gather></Response>"
)


@pytest.fixture
def fake() -> Iterator[FakeTwilio]:
    with FakeTwilio() as running:
        yield running


@pytest.fixture
def app(fake: FakeTwilio) -> Iterator[VoiceApp]:
    with VoiceApp(fake.auth_token) as running:
        yield running


def choice(hook: Hook) -> str:
    if hook.get("SpeechResult"):
        return f"<Response><Say>You said {hook['SpeechResult']}.</Say><Hangup/></Response>"
    if hook.get("Digits"):
        return f"<Response><Say>You pressed {hook['Digits']}.</Say><Hangup/></Response>"
    return '<Response><Say>Sorry, I did not catch that.</Say><Redirect method="POST">/menu</Redirect></Response>'


def test_a_caller_hears_the_menu_and_speaks_their_choice(fake: FakeTwilio, app: VoiceApp) -> None:
    app.route("/menu", MENU)
    app.route("/menu/choice", choice)

    call = fake.place_call(JANE, fake.voice_number, app.url("/menu"))

    assert call.said() == ["Welcome to Acme.", "Say order or press 1."]
    assert call.state == "in-progress" and call.waiting_for == "gather"
    call.answer(speech="where is my order", confidence=0.92)
    assert call.said() == ["You said where is my order."]
    assert call.state == "completed"
    first, action = app.hooks
    assert first["CallSid"] == call.sid == action["CallSid"]
    assert (first["From"], first["To"], first["Direction"], first["CallStatus"]) == (
        JANE, fake.voice_number, "inbound", "ringing")
    assert first["Caller"] == JANE and first["Called"] == fake.voice_number
    assert first["AccountSid"] == fake.account_sid and first["ApiVersion"] == "2010-04-01"
    assert action.path == "/menu/choice" and action["CallStatus"] == "in-progress"
    assert (action["SpeechResult"], action["Confidence"]) == ("where is my order", "0.92")
    assert "Digits" not in action.params
    assert all(hook.signed for hook in app.hooks)


def test_keys_are_sent_as_digits_cut_at_numdigits_and_the_finish_key(fake: FakeTwilio, app: VoiceApp) -> None:
    app.route("/menu", MENU)
    app.route("/menu/choice", choice)
    app.route("/code", '<Response><Gather action="/code/done" finishOnKey="#"><Say>Your code?</Say></Gather>'
                      "</Response>")
    app.route("/code/done", lambda hook: f"<Response><Say>Got {hook['Digits']}</Say></Response>")

    menu = fake.place_call(JANE, url=app.url("/menu")).press("12")
    code = fake.place_call(JANE, url=app.url("/code")).press("123456#")

    assert menu.said() == ["You pressed 1."]
    assert code.said() == ["Got 123456"]


def test_silence_posts_an_empty_result_then_the_redirect_plays_the_menu_again(fake: FakeTwilio, app: VoiceApp) -> None:
    app.route("/menu", MENU)
    app.route("/menu/choice", choice)
    call = fake.place_call(JANE, url=app.url("/menu"))

    call.silence()

    assert call.said() == ["Sorry, I did not catch that.", "Welcome to Acme.", "Say order or press 1."]
    empty = app.hooks_to("/menu/choice")[0]
    assert "SpeechResult" not in empty.params and "Digits" not in empty.params
    assert [d.purpose for d in call.documents] == ["voice url", "gather action", "redirect"]
    assert call.documents[-1].url == app.url("/menu")
    assert "input silence" in call.timeline


def test_without_action_on_empty_result_silence_goes_on_with_the_next_verbs(fake: FakeTwilio, app: VoiceApp) -> None:
    app.route("/ask", '<Response><Gather action="/never"><Say>Press a key.</Say></Gather>'
                      "<Say>Goodbye.</Say></Response>")

    call = fake.place_call(JANE, url=app.url("/ask")).silence()

    assert call.said() == ["Goodbye."] and call.state == "completed"
    assert app.hooks_to("/never") == []


def test_the_caller_hangs_up_at_the_menu_and_the_status_callback_says_completed(fake: FakeTwilio, app: VoiceApp) -> None:
    app.route("/menu", MENU)
    app.route("/status", "")

    call = fake.place_call(JANE, url=app.url("/menu"), status_callback=app.url("/status")).hang_up()

    assert call.state == "completed"
    [status] = app.hooks_to("/status")
    assert status["CallStatus"] == "completed" and status["CallSid"] == call.sid
    assert status["CallDuration"] == "0" and status.signed
    assert call.timeline[-2:] == ["status completed", "ended completed"] or "ended completed" in call.timeline


def test_the_numbers_voice_url_and_status_callback_are_used_when_set_through_the_api(
    fake: FakeTwilio, app: VoiceApp
) -> None:
    app.route("/voice", "<Response><Say>Hello from the number.</Say></Response>")
    app.route("/status", "")
    client = fake.client()
    [number] = client.incoming_phone_numbers.list(phone_number=fake.voice_number)
    client.incoming_phone_numbers(number.sid).update(voice_url=app.url("/voice"), status_callback=app.url("/status"))

    call = fake.place_call(JANE)

    assert call.said_all() == ["Hello from the number."] and call.state == "completed"
    assert [h["CallStatus"] for h in app.hooks_to("/status")] == ["completed"]


def test_a_redirect_is_resolved_against_the_current_document(fake: FakeTwilio, app: VoiceApp) -> None:
    app.route("/a/start", "<Response><Redirect>next?step=2</Redirect></Response>")
    app.route("/a/next", lambda hook: f"<Response><Say>Step {hook.query['step']}</Say></Response>")

    call = fake.place_call(JANE, url=app.url("/a/start"))

    assert call.said_all() == ["Step 2"]
    assert call.documents[-1].url == app.url("/a/next?step=2") and app.hooks[-1].signed


def test_signatures_verify_with_the_accounts_token_only(fake: FakeTwilio, app: VoiceApp) -> None:
    app.route("/menu", MENU)
    app.route("/menu/choice", choice)
    fake.place_call(JANE, url=app.url("/menu")).press("1")
    with VoiceApp("some-other-token") as stranger:
        stranger.route("/menu", "<Response/>")
        fake.place_call(JANE, url=stranger.url("/menu"))

    assert [h.signed for h in app.hooks] == [True, True]
    assert [h.signed for h in stranger.hooks] == [False]


@pytest.mark.parametrize(
    "answer, reason",
    [
        ("<Response><Sya>hi</Sya></Response>", "unknown verb <Sya>"),
        ("Hello there", "not well-formed XML"),
        ((500, "oops"), "answered HTTP 500"),
    ],
    ids=["invalid TwiML", "not XML", "server error"],
)
def test_a_broken_answer_fails_the_call_loudly_and_is_recorded(
    fake: FakeTwilio, app: VoiceApp, answer: object, reason: str
) -> None:
    app.route("/voice", lambda hook: answer)  # type: ignore[arg-type, return-value]

    with pytest.raises(CallError) as failed:
        fake.place_call(JANE, url=app.url("/voice"))

    assert reason in str(failed.value)
    [document] = fake.twiml_errors
    assert reason in (document.error or "") and document.url == app.url("/voice")
    [call] = fake.calls_to(fake.voice_number)
    assert call.state == "completed" and reason in (call.error or "")


def test_an_unreachable_voice_url_fails_the_call(fake: FakeTwilio) -> None:
    with pytest.raises(CallError, match="could not be reached"):
        fake.place_call(JANE, url="http://127.0.0.1:9/voice")


def test_the_caller_cannot_speak_to_a_gather_listening_for_keys(fake: FakeTwilio, app: VoiceApp) -> None:
    app.route("/keys", '<Response><Gather input="dtmf"><Say>Press 1.</Say></Gather></Response>')
    call = fake.place_call(JANE, url=app.url("/keys"))

    with pytest.raises(CallError, match="listens for dtmf, not speech"):
        call.answer(speech="one")
    call.hang_up()
    with pytest.raises(CallError, match="no keypad to press"):
        call.press("1")


def test_play_and_pause_are_recorded_never_fetched(fake: FakeTwilio, app: VoiceApp) -> None:
    app.route("/music", '<Response><Play loop="2">https://cdn.example.com/tune.mp3</Play><Pause length="3"/>'
                        "<Say>Done.</Say></Response>")

    call = fake.place_call(JANE, url=app.url("/music"))

    assert call.played() == ["https://cdn.example.com/tune.mp3"]
    assert "paused 3s" in call.timeline and call.said_all() == ["Done."]


def test_reject_ends_the_call_busy_without_answering(fake: FakeTwilio, app: VoiceApp) -> None:
    app.route("/voice", '<Response><Reject reason="busy"/></Response>')

    call = fake.place_call(JANE, url=app.url("/voice"))

    assert call.state == "busy" and call.resource["start_time"] is None
