"""The demo phone's calls: a newcomer calls the shop from the page, or is a person the shop rings.

**Calling the shop.** ``POST /phone/calls`` places a call from the chosen number to the shop's
number through the fake's TwiML interpreter: Twilio's signed voice webhook goes to
``<bot_url>/webhooks/voice/webhook`` and its status callbacks to ``/webhooks/voice/status``, as
a configured number's would. The page then says words (speech, Confidence 0.9), presses keys,
stays silent or hangs up, and polls ``GET /phone/calls/<sid>`` for what it hears (``call_view``).

**Being a person's phone.** ``POST /phone/people`` makes a number the page's: a call the shop
places to it (a warm transfer's ``Calls.create``) rings until the page answers or declines it, or
its ``Timeout`` passes (``no-answer``). ``GET /phone/incoming?number=`` shows the latest call to it.

Only JSON posts act (a form from another site can't), and only on calls the page placed or that
ring a number it is. An action returns once the call waits again (or after ``ACT_WAIT`` seconds
while the bot still works), with the call as it then is.
"""

from __future__ import annotations

import asyncio
import json
import threading
from typing import Any, Awaitable, Callable

from aiohttp import web

from devtools.fake_twilio.call_view import describe, keypad
from devtools.fake_twilio.phone_calls import Callee, PhoneCall, start_inbound_call
from devtools.fake_twilio.validation import is_phone_number
from devtools.fake_twilio.voice import CallError, VoiceEngine

#: Seconds an action waits for the call to wait again: a bot's turn takes up to ~10 s.
ACT_WAIT = 15.0
#: What a caller's words are heard with (Twilio's ``Confidence``).
CONFIDENCE = 0.9
MAX_SPEECH = 500
KEYS = "0123456789*#"
NUMBER_FORMAT = "type the phone number in international format, e.g. +15550100001"


class PageCall(PhoneCall):
    """A call the page drives: an action waits for this call alone, and never raises for the
    application's errors (the page shows them)."""

    def settle(self) -> "PageCall":
        def waits_again() -> bool:
            leg = self._leg
            return leg.ended or (leg.idle and not leg.commands)

        try:
            self._engine.wait_for(waits_again, f"call {self.sid} to wait again", self.timeout)
        except CallError:
            pass  # the bot is still working: the page's polling shows what comes
        return self


class Refused(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


Handler = Callable[[web.Request], Awaitable[web.Response]]


class PhoneVoice:
    def __init__(self, engine: VoiceEngine, shop_number: str, webhook_url: str, status_url: str,
                 names: dict[str, str], headers: dict[str, str]) -> None:
        self.engine = engine
        self.shop_number = shop_number
        self.webhook_url = webhook_url
        self.status_url = status_url
        self.names = {**names, shop_number: "the shop"}
        self.headers = headers
        self.placed: set[str] = set()
        self.people: set[str] = set()
        #: Keys pressed at a Gather and not sent yet: call SID -> (keys, the Gather's place in the timeline).
        self.held: dict[str, tuple[str, int]] = {}
        self.lock = threading.Lock()

    # -- reading ---------------------------------------------------------------------------------
    def view(self, sid: str) -> dict[str, Any]:
        def read() -> dict[str, Any]:
            leg = self.engine.legs[sid]
            return describe(self.engine, leg, self.names, self._held(sid, len(leg.timeline)))
        return self.engine.snapshot(read)

    def _held(self, sid: str, mark: int) -> str:
        with self.lock:
            keys, at = self.held.get(sid, ("", -1))
        return keys if at == mark else ""

    def _known(self, sid: str) -> PageCall:
        leg = self.engine.leg(sid)
        if leg is None or not (sid in self.placed or (leg.direction != "inbound" and leg.to in self.people)):
            raise Refused(404, f"no call {sid} on the demo phone: call the shop, or be a number the shop rings")
        return PageCall(self.engine, sid, timeout=ACT_WAIT)

    def answer(self, body: dict[str, Any], status: int = 200) -> web.Response:
        return web.json_response(body, status=status, headers=self.headers)

    async def call(self, request: web.Request) -> web.Response:
        sid = request.match_info["sid"]
        self._known(sid)
        return self.answer({"call": self.view(sid)})

    async def incoming(self, request: web.Request) -> web.Response:
        number = request.query.get("number", "").strip()
        if not is_phone_number(number):
            raise Refused(400, NUMBER_FORMAT)
        latest = self.engine.legs_matching(lambda leg: leg.to == number and leg.direction != "inbound")
        shown = self.view(latest[-1].sid) if latest and number in self.people else None
        return self.answer({"number": number, "being": number in self.people, "call": shown})

    async def numbers(self, request: web.Request) -> web.Response:
        """The numbers the page is, and those the shop has called (a person's, to pick from)."""
        called = self.engine.legs_matching(lambda leg: leg.direction == "outbound-api")
        return self.answer({"being": sorted(self.people), "called": sorted({leg.to for leg in called})})

    # -- acting ----------------------------------------------------------------------------------
    async def place(self, request: web.Request) -> web.Response:
        """The chosen number calls the shop."""
        number = (await payload(request)).get("number")
        if not isinstance(number, str) or not is_phone_number(number.strip()):
            raise Refused(400, NUMBER_FORMAT)
        sid = start_inbound_call(self.engine, number.strip(), self.shop_number, self.webhook_url,
                                 status_callback=self.status_url)
        self.placed.add(sid)
        await asyncio.to_thread(PageCall(self.engine, sid, timeout=ACT_WAIT).settle)
        return self.answer({"call": self.view(sid)}, status=201)

    async def be(self, request: web.Request) -> web.Response:
        """The page becomes the phone at ``number``: calls to it ring on the page."""
        number = (await payload(request)).get("number")
        if not isinstance(number, str) or not is_phone_number(number.strip()):
            raise Refused(400, NUMBER_FORMAT)
        if number.strip() == self.shop_number:
            raise Refused(400, f"{self.shop_number} is the shop's own number: be a person's phone instead")
        self.people.add(number.strip())
        Callee(self.engine, number.strip()).rings()
        return self.answer({"number": number.strip(), "being": True})

    async def act(self, request: web.Request) -> web.Response:
        sid, action = request.match_info["sid"], request.match_info["action"]
        body = await payload(request)
        call = self._known(sid)
        do = {"say": self._say, "keys": self._key, "silence": self._silence, "hang-up": self._hang_up,
              "answer": self._pick_up, "decline": self._decline}.get(action)
        if do is None:
            raise Refused(404, f"a call can't {action}: say, keys, silence, hang-up, answer or decline")
        if self.engine.snapshot(lambda: self.engine.legs[sid].ended):
            raise Refused(409, f"the call has ended ({self.engine.legs[sid].status})")
        try:
            await asyncio.to_thread(do, call, body)
        except CallError as problem:
            raise Refused(409, str(problem)) from problem
        return self.answer({"call": self.view(sid)})

    def _say(self, call: PageCall, body: dict[str, Any]) -> None:
        speech = body.get("speech")
        if not isinstance(speech, str) or not speech.strip():
            raise Refused(400, "type what the caller says")
        if len(speech) > MAX_SPEECH:
            raise Refused(400, f"say at most {MAX_SPEECH} characters at a time")
        self._forget_keys(call.sid)
        call.answer(speech.strip(), confidence=CONFIDENCE)

    def _key(self, call: PageCall, body: dict[str, Any]) -> None:
        key = body.get("key")
        if not isinstance(key, str) or len(key) != 1 or key not in KEYS:
            raise Refused(400, "press one key: 0-9, * or #")
        leg = call._leg
        listening, num_digits, finish, mark = self.engine.snapshot(lambda: (
            not leg.ended and leg.idle and leg.waiting == "gather" and "dtmf" in leg.gather_input,
            *leg.gather_keys, len(leg.timeline)))
        if not listening:
            call.press(key)  # in a conference (* leaves under hangupOnStar), or refused with the reason
            return
        keys, send = keypad(self._held(call.sid, mark), key, num_digits, finish)
        with self.lock:
            self.held[call.sid] = (keys, mark)
        if send is not None:
            self._forget_keys(call.sid)
            call.press(send)

    def _silence(self, call: PageCall, body: dict[str, Any]) -> None:
        """The Gather times out: keys already pressed are sent, as Twilio sends them then."""
        leg = call._leg
        keys = self._held(call.sid, self.engine.snapshot(lambda: len(leg.timeline)))
        self._forget_keys(call.sid)
        if keys:
            call.press(keys)
        else:
            call.silence()

    def _hang_up(self, call: PageCall, body: dict[str, Any]) -> None:
        self._forget_keys(call.sid)
        call.hang_up()

    def _pick_up(self, call: PageCall, body: dict[str, Any]) -> None:
        call.pick_up()

    def _decline(self, call: PageCall, body: dict[str, Any]) -> None:
        call.decline()

    def _forget_keys(self, sid: str) -> None:
        with self.lock:
            self.held.pop(sid, None)


async def payload(request: web.Request) -> dict[str, Any]:
    """The JSON object posted; only JSON acts, so a form posted from another site can't."""
    if request.content_type != "application/json":
        raise Refused(415, "send JSON (Content-Type: application/json)")
    try:
        body = json.loads(await request.text() or "{}")
    except json.JSONDecodeError as problem:
        raise Refused(400, "the request is not valid JSON") from problem
    if not isinstance(body, dict):
        raise Refused(400, "send a JSON object")
    return body


def refusing(voice: PhoneVoice, handler: Handler) -> Handler:
    async def handle(request: web.Request) -> web.Response:
        try:
            return await handler(request)
        except Refused as refused:
            return voice.answer({"error": str(refused)}, status=refused.status)
    return handle


def add_routes(app: web.Application, voice: PhoneVoice) -> None:
    app.router.add_post("/phone/calls", refusing(voice, voice.place))
    app.router.add_get("/phone/calls/{sid:CA[0-9a-f]{32}}", refusing(voice, voice.call))
    app.router.add_post("/phone/calls/{sid:CA[0-9a-f]{32}}/{action}", refusing(voice, voice.act))
    app.router.add_post("/phone/people", refusing(voice, voice.be))
    app.router.add_get("/phone/people", refusing(voice, voice.numbers))
    app.router.add_get("/phone/incoming", refusing(voice, voice.incoming))
