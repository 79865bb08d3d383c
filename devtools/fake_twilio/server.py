"""``FakeTwilio``: an in-process Twilio REST API on 127.0.0.1, usable from plain sync tests.

The server runs its own event loop in a background thread, so a synchronous test can point
the real twilio client (or our senders) at ``fake.base_url`` and then assert on what arrived.
``python -m devtools.fake_twilio`` serves the same application on its own, for the demo.
"""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Callable, Mapping, Optional

from aiohttp import web
from twilio.rest import Client

from actions.domain.clock import Clock, SystemClock
from actions.sms.twilio_http import build_twilio_client
from devtools.fake_twilio import progress, webhooks
from devtools.fake_twilio.app import create_app
from devtools.fake_twilio.phone import PhoneSettings
from devtools.fake_twilio.phone_calls import Callee, PhoneCall, start_inbound_call
from devtools.fake_twilio.resources import incoming_phone_number_resource, new_sid
from devtools.fake_twilio.state import (
    FakeState,
    InjectedFailure,
    RecordedRequest,
    SentWebhook,
)
from devtools.fake_twilio.voice import CallError, VoiceEngine
from devtools.fake_twilio.voice_model import TwimlFetch
from devtools.fake_twilio.webhooks import ParamValue, WebhookReply


#: The shop's number the fake's account owns unless told otherwise (the demo's SMS number).
DEFAULT_SMS_NUMBER = "+15005550006"


@dataclass(frozen=True)
class StatusCallbackDelivery:
    message_sid: str
    status: str
    url: str
    reply: WebhookReply


class FakeTwilio:
    """Start with ``with FakeTwilio() as fake:`` (or ``start()``/``stop()``).

    ``advance_every``: walk every new message through its statuses on its own, one step every
    so many seconds, posting each to its ``StatusCallback`` (the demo's behaviour; tests
    usually call ``deliver_status_callbacks`` instead). ``phone``: serve the demo phone page.
    ``sms_number``: the account's own number, listed under IncomingPhoneNumbers (None: no number);
    calls placed to it (``place_call``) reach its ``VoiceUrl``.
    ``time_scale``: simulated waits (a call ringing out after its ``Timeout``) last this fraction
    of their seconds.
    """

    def __init__(
        self,
        account_sid: Optional[str] = None,
        auth_token: Optional[str] = None,
        clock: Optional[Clock] = None,
        advance_every: Optional[float] = None,
        phone: Optional[PhoneSettings] = None,
        sms_number: Optional[str] = DEFAULT_SMS_NUMBER,
        time_scale: float = 0.01,
    ) -> None:
        self.account_sid = account_sid or new_sid("AC")
        self.auth_token = auth_token or new_sid("")
        self._state = FakeState(self.account_sid, self.auth_token, clock or SystemClock())
        self._state.advance_every = advance_every
        if sms_number is not None:
            self._state.add_number(incoming_phone_number_resource(self.account_sid, sms_number, self._state.clock.now()))
        self._phone = phone
        self._sms_number = sms_number
        self._voice = VoiceEngine(self._state, time_scale)
        self._loop: Optional[asyncio.AbstractEventLoop] = None
        self._thread: Optional[threading.Thread] = None
        self._runner: Optional[web.AppRunner] = None
        self._port: Optional[int] = None

    # -- lifecycle ---------------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        if self._port is None:
            raise RuntimeError("FakeTwilio is not running: call start() or use it as a context manager")
        return f"http://127.0.0.1:{self._port}"

    def start(self) -> "FakeTwilio":
        if self._thread is not None:
            return self
        loop = asyncio.new_event_loop()
        thread = threading.Thread(target=self._serve, args=(loop,), name="fake-twilio", daemon=True)
        self._loop, self._thread = loop, thread
        thread.start()
        future = asyncio.run_coroutine_threadsafe(self._open_site(), loop)
        self._port = future.result(timeout=10)
        return self

    def _serve(self, loop: asyncio.AbstractEventLoop) -> None:
        asyncio.set_event_loop(loop)
        loop.run_forever()
        loop.close()

    async def _open_site(self) -> int:
        runner = web.AppRunner(create_app(self._state, self._phone, self._voice), access_log=None, shutdown_timeout=1.0)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        self._runner = runner
        return int(runner.addresses[0][1])

    def stop(self) -> None:
        self._voice.close()
        if self._loop is None or self._thread is None:
            return
        asyncio.run_coroutine_threadsafe(self._shutdown(), self._loop).result(timeout=10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._loop = self._thread = self._runner = None
        self._port = None

    async def _shutdown(self) -> None:
        """Close the server, then cancel handlers still waiting (e.g. on ``stall_next``)."""
        if self._runner is not None:
            await self._runner.cleanup()
        current = asyncio.current_task()
        pending = [task for task in asyncio.all_tasks() if task is not current]
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)

    def __enter__(self) -> "FakeTwilio":
        return self.start()

    def __exit__(
        self,
        exc_type: Optional[type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> None:
        self.stop()

    def client(self, timeout: float = 10.0) -> Client:
        """The real twilio ``Client``, authenticated for this fake and redirected to it."""
        return build_twilio_client(self.account_sid, self.auth_token, base_url=self.base_url, timeout=timeout)

    # -- what arrived ------------------------------------------------------------------------
    def on_message(self, observer: Callable[[dict[str, Any]], None]) -> None:
        """Call ``observer`` with every message as the fake creates it (sent through the API, or texted
        from the demo phone), on the fake's own thread, the moment it is stored: a benchmark stamps
        arrival times finer than Twilio's whole-second ``date_created``. It must be quick and not raise."""
        self._state.message_observers.append(observer)

    @property
    def requests(self) -> list[RecordedRequest]:
        """Every request received (including refused ones), oldest first."""
        return self._state.requests()

    @property
    def messages(self) -> list[dict[str, Any]]:
        """Every message sent through the API, oldest first, as the JSON resource Twilio would return."""
        return [m for m in self._state.messages() if m["direction"] != "inbound"]

    @property
    def inbound(self) -> list[dict[str, Any]]:
        """Every message the demo phone sent to the account's numbers, oldest first."""
        return [m for m in self._state.messages() if m["direction"] == "inbound"]

    @property
    def webhooks(self) -> list[SentWebhook]:
        """Every webhook delivered (inbound messages, status callbacks; each copy of a duplicate)."""
        return self._state.webhooks()

    @property
    def calls(self) -> list[dict[str, Any]]:
        """Every call (inbound, created through the API, dialled), oldest first, as Twilio's Call resource."""
        return self._voice.snapshot(lambda: [leg.resource() for leg in self._voice.legs.values()])

    @property
    def incoming_phone_numbers(self) -> list[dict[str, Any]]:
        """The account's numbers as Twilio lists them, with their webhooks as last set."""
        return self._state.numbers()

    def message(self, sid: str) -> dict[str, Any]:
        found = self._state.message(sid)
        if found is None:
            raise KeyError(f"no message {sid} was created on this fake")
        return found

    def params_of(self, sid: str) -> dict[str, list[str]]:
        """The form parameters the message or call ``sid`` was created with."""
        return self._state.params_of(sid)

    # -- failure injection -------------------------------------------------------------------
    def fail_next(
        self,
        status: int = 500,
        code: Optional[int] = None,
        message: str = "Internal Server Error",
        times: int = 1,
    ) -> None:
        """The next ``times`` API requests get ``status`` with Twilio's error body (``code``
        defaults to the status, as Twilio does for errors without a specific code)."""
        self._state.add_failure(InjectedFailure(status, code, message), times)

    def stall_next(self, seconds: float, times: int = 1) -> None:
        """Hold the next requests for ``seconds`` before answering normally: for timeout tests."""
        self._state.add_failure(InjectedFailure(None, None, "", delay=seconds), times)

    def refuse(self, number: str, code: int = 21610) -> None:
        """Refuse to message or call ``number`` with ``code`` (21610 unsubscribed, 21211 invalid,
        21614 not mobile, 21408 region not enabled)."""
        self._state.refuse(number, code)

    def make_undeliverable(self, address: str, code: int = 30003) -> None:
        """Accept messages to ``address`` (``+1555...`` or ``whatsapp:+1555...``), then let them
        end ``undelivered`` with ``code`` (30003 unreachable, 63016 outside the WhatsApp window)."""
        self._state.make_undeliverable(address, code)

    def duplicate_next_webhooks(self, times: int = 1, concurrently: bool = False) -> None:
        """Deliver each of the next ``times`` webhooks twice, as Twilio does when it retries: the
        same parameters, signature and ``I-Twilio-Idempotency-Token``; both copies at the same
        moment when ``concurrently``."""
        self._state.duplicate_webhooks(times, concurrently)

    # -- webhooks ----------------------------------------------------------------------------
    def sign(self, url: str, params: Mapping[str, ParamValue]) -> str:
        return webhooks.sign(self.auth_token, url, params)

    def send_webhook(
        self, url: str, params: Mapping[str, ParamValue], method: str = "POST", signature: Optional[str] = None
    ) -> WebhookReply:
        """Call ``url`` as Twilio would, signed with this fake's auth token (or ``signature``).

        Returns the (first) answer; status 0 if ``url`` could not be reached."""
        request = webhooks.signed_request(self.auth_token, url, params, method=method, signature=signature)
        return webhooks.deliver(self._state, request)[0]

    def send_inbound_sms(self, url: str, from_: str, to: str, body: str, **extra: str) -> WebhookReply:
        params = {**webhooks.inbound_sms_params(self.account_sid, from_, to, body), **extra}
        return self.send_webhook(url, params)

    def send_inbound_whatsapp(
        self, url: str, from_: str, to: str, body: str, profile_name: str = "Customer", **extra: str
    ) -> WebhookReply:
        params = webhooks.inbound_whatsapp_params(self.account_sid, from_, to, body, profile_name)
        return self.send_webhook(url, {**params, **extra})

    def deliver_status_callbacks(
        self, final_status: str = "delivered", error_code: Optional[int] = None
    ) -> list[StatusCallbackDelivery]:
        """Advance every message that asked for a ``StatusCallback`` to ``final_status``,
        POSTing each step (queued, sent, final) signed like Twilio; returns what was sent."""
        steps = progress.steps_to(final_status)
        deliveries: list[StatusCallbackDelivery] = []
        for message in self.messages:
            sid = message["sid"]
            if progress.status_callback_url(self._state, sid) is None or message["status"] in progress.FINAL_STATUSES:
                continue
            already = self._state.callbacks_sent(sid)
            for status in (s for s in steps if s not in already):
                reported = progress.report(self._state, sid, status, error_code)
                assert reported is not None  # the message has a StatusCallback
                deliveries.append(StatusCallbackDelivery(sid, status, *reported))
        return deliveries

    # -- phone calls -----------------------------------------------------------------------------
    @property
    def voice_number(self) -> str:
        """The account's number: calls to it reach its ``VoiceUrl`` (``place_call``)."""
        if self._sms_number is None:
            raise RuntimeError("this FakeTwilio has no number: create it with sms_number=...")
        return self._sms_number

    @property
    def time_scale(self) -> float:
        return self._voice.time_scale

    @time_scale.setter
    def time_scale(self, value: float) -> None:
        self._voice.time_scale = value

    def place_call(
        self, from_: str, to: Optional[str] = None, url: Optional[str] = None, method: Optional[str] = None,
        status_callback: Optional[str] = None,
    ) -> PhoneCall:
        """A phone calls ``to`` (the account's number by default): Twilio's signed voice webhook goes
        to ``url`` (default: the number's ``VoiceUrl``); status callbacks go to ``status_callback``
        (default: the number's ``StatusCallback``). Returns once the call waits for the caller."""
        to = to or self.voice_number
        number = next((n for n in self._state.numbers() if n["phone_number"] == to), {})
        url = url or number.get("voice_url")
        if not url:
            raise ValueError(f"no URL to call: pass url= or set the VoiceUrl of {to} through the API")
        sid = start_inbound_call(self._voice, from_, to, url, method or number.get("voice_method") or "POST",
                                 status_callback or number.get("status_callback"),
                                 number.get("status_callback_method") or "POST")
        return PhoneCall(self._voice, sid).settle()

    def callee(self, number: str) -> Callee:
        """Choose how the phone at ``number`` answers: ``.answers(press="1")``, ``.declines()``,
        ``.no_answer()``, ``.rings()``, ``.voicemail()``, ``.fails()``, ``.hangs_up_after(s)``."""
        return Callee(self._voice, number)

    def call(self, sid: str) -> PhoneCall:
        if self._voice.leg(sid) is None:
            raise KeyError(f"no call {sid} on this fake")
        return PhoneCall(self._voice, sid)

    def calls_to(self, number: str) -> list[PhoneCall]:
        return [PhoneCall(self._voice, leg.sid) for leg in self._voice.legs_matching(lambda leg: leg.to == number)]

    def call_to(self, number: str, timeout: float = 10.0) -> PhoneCall:
        """The latest call to ``number``, waiting for the application to make one."""
        self._voice.wait_for(lambda: bool(self._voice.legs_matching(lambda leg: leg.to == number)),
                             f"a call to {number}", timeout)
        return self.calls_to(number)[-1]

    def settle(self, timeout: float = 10.0, raise_errors: bool = True) -> None:
        """Wait until every call waits for the test or has ended and every callback went out;
        then raise ``CallError`` if any call's application broke it (unless ``raise_errors=False``)."""
        self._voice.settle(timeout)
        broken = self._voice.legs_matching(lambda leg: leg.error is not None)
        if raise_errors and broken:
            raise CallError("; ".join(f"call {leg.sid} to {leg.to}: {leg.error}" for leg in broken))

    def wait_until(self, check: Any, what: str = "the condition", timeout: float = 10.0) -> None:
        """Wait until ``check()`` is true (e.g. the application created a call), then settle."""
        self._voice.wait_for(check, what, timeout)
        self._voice.settle(timeout)

    def conference(self, name_or_sid: str) -> dict[str, Any]:
        """The conference (the live one of that name, else the latest) as Twilio's resource."""
        found = self._voice.find_conference(name_or_sid)
        if found is None:
            raise KeyError(f"no conference {name_or_sid} on this fake")
        return self._voice.snapshot(found.resource)

    def conference_events(self, name_or_sid: str) -> list[tuple[str, Optional[str]]]:
        """Every event of the conference, subscribed to or not: ``("participant-join", call_sid)``..."""
        found = self._voice.find_conference(name_or_sid)
        return self._voice.snapshot(lambda: list(found.events)) if found else []

    def participants(self, name_or_sid: str) -> list[dict[str, Any]]:
        found = self._voice.find_conference(name_or_sid)
        return self._voice.snapshot(lambda: [p.resource() for p in found.participants.values()]) if found else []

    @property
    def twiml_documents(self) -> list[TwimlFetch]:
        """Every TwiML document fetched (or given inline), for every call, in order."""
        return self._voice.snapshot(lambda: list(self._voice.documents))

    @property
    def twiml_errors(self) -> list[TwimlFetch]:
        return [d for d in self.twiml_documents if d.error]
