"""The demo phone calls: a newcomer calls the shop from the page and hears every Say, speaks, presses
keys, stays silent and hangs up; or is the person whose phone the shop rings in a warm transfer,
answers or declines it, takes the call with 1 and leaves with *. All through the page's JSON routes,
against a tiny voice app standing in for the bot."""

from __future__ import annotations

import secrets
import time
from typing import Any, Callable, Iterator, Optional

import pytest
import requests

from devtools.fake_twilio import FakeTwilio, PhoneSettings
from tests.support.voice_app import VoiceApp
from tests.support.voice_shop import JANE, PERSON, ROOM, VOICE, Shop

def eventually(check: Callable[[], bool], what: str, timeout: float = 10.0) -> None:
    """Poll as the page polls (``fake.wait_until`` holds the fake's lock: the page's routes would wait on it)."""
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"waited {timeout}s for {what}"
        time.sleep(0.05)


@pytest.fixture
def token() -> str:
    return secrets.token_hex(16)


@pytest.fixture
def app(token: str) -> Iterator[VoiceApp]:
    with VoiceApp(token) as running:
        yield running


@pytest.fixture
def fake(app: VoiceApp, token: str) -> Iterator[FakeTwilio]:
    with FakeTwilio(auth_token=token, phone=PhoneSettings(bot_url=app.url(""))) as running:
        yield running


@pytest.fixture
def shop(app: VoiceApp, fake: FakeTwilio) -> Shop:
    return Shop(app, fake)


class Page:
    """What the page's script does, one JSON request at a time."""

    def __init__(self, fake: FakeTwilio) -> None:
        self.base = f"{fake.base_url}/phone"

    def post(self, path: str, body: Any = None, status: int = 200) -> dict[str, Any]:
        answer = requests.post(f"{self.base}{path}", json={} if body is None else body, timeout=30)
        assert answer.status_code == status, answer.text
        assert answer.headers["Content-Security-Policy"].startswith("default-src 'none'")
        return answer.json()

    def get(self, path: str, **query: str) -> dict[str, Any]:
        answer = requests.get(f"{self.base}{path}", params=query, timeout=10)
        assert answer.status_code == 200, answer.text
        return answer.json()

    def call_the_shop(self, number: str = JANE) -> dict[str, Any]:
        return self.post("/calls", {"number": number}, status=201)["call"]

    def act(self, sid: str, action: str, status: int = 200, **body: str) -> dict[str, Any]:
        answer = self.post(f"/calls/{sid}/{action}", body, status=status)
        return answer if status != 200 else answer["call"]

    def incoming(self, number: str = PERSON) -> Optional[dict[str, Any]]:
        return self.get("/incoming", number=number)["call"]


@pytest.fixture
def page(fake: FakeTwilio) -> Page:
    return Page(fake)


def test_jane_calls_the_shop_hears_every_say_asks_about_her_order_and_hangs_up(
        page: Page, shop: Shop, fake: FakeTwilio, app: VoiceApp) -> None:
    call = page.call_the_shop()

    assert call["said"] == ["Hi Jane, this is Acme.", "How can I help?"]
    assert (call["state"], call["phase"]) == ("listening", "with the assistant")
    assert call["listening"] == {"speech": True, "keys": True, "num_digits": None, "finish_on_key": "#"}
    [hello] = app.hooks_to(f"{VOICE}/webhook")
    assert hello.signed and (hello["From"], hello["To"], hello["Direction"]) == (JANE, fake.voice_number, "inbound")

    call = page.act(call["sid"], "say", speech="where is my order 1001")

    assert call["said"][-2:] == ["Order 1001, your wireless headphones, was delivered on Monday.", "Anything else?"]
    [said] = app.hooks_to(f"{VOICE}/gather")
    assert (said["SpeechResult"], said["Confidence"]) == ("where is my order 1001", "0.90")
    assert page.get(f"/calls/{call['sid']}")["call"] == call

    call = page.act(call["sid"], "hang-up")

    assert (call["state"], call["phase"], call["ended"]) == ("ended: completed", "ended", True)
    fake.settle()
    assert app.hooks_to(f"{VOICE}/status")[-1]["CallStatus"] == "completed"
    assert "has ended" in page.act(call["sid"], "say", status=409, speech="hello?")["error"]


def test_keys_are_held_until_the_pound_key_or_the_gathers_number_of_digits(page: Page, shop: Shop, app: VoiceApp) -> None:
    sid = page.call_the_shop()["sid"]
    page.act(sid, "say", speech="I have a code")

    for key in "123":
        call = page.act(sid, "keys", key=key)
    assert call["keys"] == "123" and app.hooks_to(f"{VOICE}/gather")[-1].get("Digits") is None
    call = page.act(sid, "keys", key="#")

    assert app.hooks_to(f"{VOICE}/gather")[-1]["Digits"] == "123"
    assert call["said"][-1] == "You pressed 123." and call["keys"] == ""

    page.act(sid, "say", speech="a refund please")
    call = page.act(sid, "keys", key="1")  # numDigits="1": sent at once
    assert app.hooks_to(f"{VOICE}/gather")[-1]["Digits"] == "1" and call["said"][-1] == "You pressed 1."


def test_staying_silent_times_the_gather_out_or_sends_the_keys_already_pressed(
        page: Page, shop: Shop, app: VoiceApp) -> None:
    sid = page.call_the_shop()["sid"]

    call = page.act(sid, "silence")

    silent = app.hooks_to(f"{VOICE}/gather")[-1]
    assert "SpeechResult" not in silent.params and "Digits" not in silent.params
    assert call["said"][-1] == "Sorry, I did not catch that."
    page.act(sid, "keys", key="4")
    page.act(sid, "keys", key="2")
    assert page.act(sid, "silence")["said"][-1] == "You pressed 42."


def test_the_page_refuses_what_it_cannot_do_and_says_why(page: Page, shop: Shop, fake: FakeTwilio) -> None:
    form = requests.post(f"{page.base}/calls", data={"number": JANE}, timeout=10)
    assert form.status_code == 415 and "JSON" in form.json()["error"]
    assert "international format" in page.post("/calls", {"number": "555 0100"}, status=400)["error"]
    assert "shop's own number" in page.post("/people", {"number": fake.voice_number}, status=400)["error"]

    sid = page.call_the_shop()["sid"]
    assert "one key" in page.act(sid, "keys", status=400, key="12")["error"]
    assert "type what the caller says" in page.act(sid, "say", status=400, speech=" ")["error"]
    assert "not ringing" in page.act(sid, "answer", status=409)["error"]
    assert "can't fly" in page.act(sid, "fly", status=404)["error"]

    elsewhere = fake.place_call("+15550100002", url=shop.app.url(f"{VOICE}/webhook"))
    assert "no call" in page.act(elsewhere.sid, "hang-up", status=404)["error"]


def test_a_person_answers_on_the_page_takes_the_call_and_both_sides_see_the_transfer(
        page: Page, shop: Shop, fake: FakeTwilio, app: VoiceApp) -> None:
    assert page.post("/people", {"number": PERSON}) == {"number": PERSON, "being": True}
    jane = page.call_the_shop()["sid"]

    caller = page.act(jane, "say", speech="I want a person")

    assert (caller["state"], caller["phase"]) == ("on hold: music", "on hold")
    assert caller["said"][-2:] == ["Connecting you with a specialist.", "Please hold."]
    eventually(lambda: (page.incoming() or {}).get("ringing", False), "the person's phone to ring")
    ringing = page.incoming()
    assert (ringing["state"], ringing["phase"], ringing["from"]) == ("ringing", "ringing", fake.voice_number)

    person = page.act(ringing["sid"], "answer")

    assert (person["phase"], person["state"]) == ("briefing", "listening for keys")
    assert person["said"] == ["Jane waits about a refund. Press 1 to take the call, 2 to pass."]
    fake.settle()
    assert [h["AnsweredBy"] for h in app.hooks_to(f"{VOICE}/leg-status") if "CallStatus" not in h.params] == ["human"]

    person = page.act(ringing["sid"], "keys", key="1")
    fake.settle()

    assert (person["phase"], person["state"]) == ("in the call", f"in a conference with Jane Doe ({JANE})")
    caller = page.get(f"/calls/{jane}")["call"]
    assert (caller["phase"], caller["state"]) == ("connected with a person", f"in a conference with {PERSON}")

    client = fake.client()
    client.conferences(fake.conference(ROOM)["sid"]).participants(jane).update(hold=True, hold_url=app.url(
        f"{VOICE}/hold"))
    fake.settle()
    assert page.get(f"/calls/{jane}")["call"]["conference"]["on_hold"] is True
    assert page.get(f"/calls/{jane}")["call"]["phase"] == "on hold"
    client.conferences(fake.conference(ROOM)["sid"]).participants(jane).update(hold=False)
    fake.settle()

    person = page.act(ringing["sid"], "keys", key="*")

    assert (person["phase"], person["said"][-1]) == ("ended", "Thanks, goodbye.")
    fake.settle()  # the caller's side moves on in its own thread
    caller = page.get(f"/calls/{jane}")["call"]
    assert (caller["phase"], caller["state"]) == ("back with the assistant", "listening")
    assert caller["said"][-1] == "You are back with the assistant."


@pytest.mark.parametrize("how, status", [("decline", "busy"), ("let it ring", "no-answer")])
def test_a_person_who_declines_or_lets_it_ring_out_is_reported_to_the_shop(
        page: Page, shop: Shop, fake: FakeTwilio, app: VoiceApp, how: str, status: str) -> None:
    shop.ring_seconds = 1  # the page's people ring for the call's real Timeout
    page.post("/people", {"number": PERSON})
    page.act(page.call_the_shop()["sid"], "say", speech="a person please")
    eventually(lambda: (page.incoming() or {}).get("ringing", False), "the person's phone to ring")

    if how == "decline":
        page.act(page.incoming()["sid"], "decline")
    eventually(lambda: (page.incoming() or {}).get("ended", False), f"the call to end {status}", timeout=5)
    fake.settle()

    assert (page.incoming()["state"], page.incoming()["phase"]) == (f"ended: {status}", "ended")
    assert [h["CallStatus"] for h in app.hooks_to(f"{VOICE}/leg-status") if "CallStatus" in h.params][-1] == status
    assert app.hooks_to(f"{VOICE}/person") == []


def test_a_number_the_page_is_not_does_not_show_the_calls_to_it(page: Page, shop: Shop, fake: FakeTwilio) -> None:
    page.act(page.call_the_shop()["sid"], "say", speech="a person please")
    fake.wait_until(lambda: bool(fake.calls_to(PERSON)), "the call to the person")

    assert page.get("/incoming", number=PERSON) == {"number": PERSON, "being": False, "call": None}
