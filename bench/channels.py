"""One customer on one channel, on either side: send a message, time until the bot's first reply.

Every client measures the same span: from just before the message leaves (the HTTP request, the
socket.io emit, Twilio's webhook POST) to the first bot reply reaching the customer (the REST
response, the first ``bot_uttered`` event, the first message the bot sent that customer through
the fake Twilio). ``Sms.ack_ms`` is the webhook's own answer, for the acknowledgement benchmark.

Ours and stock differ only where the systems do: our REST channel wants its bearer token and a
customer on file; our web chat's socket gives the page its conversation (no ``session_request``);
our SMS webhook is signed and checked, stock's twilio webhook checks nothing (signed anyway).
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional

import aiohttp
import socketio

from bench.twilio_arrivals import Arrivals
from devtools.fake_twilio import FakeTwilio
from devtools.fake_twilio.webhooks import inbound_sms_params, signed_request

#: Twilio gives up on a webhook that has not answered in 15 s (and may retry it).
TWILIO_WEBHOOK_TIMEOUT = 15.0
#: Generous: a turn on two shared cores under load.
REPLY_TIMEOUT = 60.0


class NoReply(Exception):
    """The bot's reply never reached the customer (the message counts as lost)."""


def elapsed_ms(started: float) -> float:
    return (time.perf_counter() - started) * 1000


@dataclass
class Rest:
    """A REST caller: ``POST /webhooks/rest/webhook``; the reply is the response body."""

    session: aiohttp.ClientSession
    rasa_url: str
    token: Optional[str] = None  # ours: the trusted channel's bearer token

    async def turn(self, sender: str, text: str) -> float:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        started = time.perf_counter()
        async with self.session.post(f"{self.rasa_url}/webhooks/rest/webhook", json={"sender": sender, "message": text},
                                     headers=headers, timeout=aiohttp.ClientTimeout(total=REPLY_TIMEOUT)) as answer:
            body = await answer.json(content_type=None)
            if answer.status != 200:
                raise RuntimeError(f"REST answered {answer.status}: {body}")
        took = elapsed_ms(started)
        if not body:
            raise NoReply(f"REST answered no reply to {text!r} for {sender}")
        return took


@dataclass
class WebChat:
    """A web chat page on a socket.io client (long-polling, as the project's tests do).

    ``stock``: Rasa's socketio channel wants a ``session_request`` and the session id in each message.
    """

    rasa_url: str
    stock: bool
    token: Optional[str] = None  # ours: the signed identity token the shop's page hands the socket
    sio: socketio.AsyncClient = field(default_factory=socketio.AsyncClient)
    replies: List[Dict[str, Any]] = field(default_factory=list)
    arrived_at: List[float] = field(default_factory=list)  # time.perf_counter() of each reply
    session_id: Optional[str] = None
    _arrived: asyncio.Event = field(default_factory=asyncio.Event)

    async def open(self) -> "WebChat":
        ready = asyncio.Event()
        self.sio.on("bot_uttered", self._on_reply)
        self.sio.on("session_confirm", lambda data: ready.set())
        self.sio.on("history", lambda data: ready.set())
        await self.sio.connect(self.rasa_url, socketio_path="/socket.io", transports=["polling"],
                               auth={"token": self.token} if self.token else None, wait_timeout=30)
        if self.stock:
            await self.sio.emit("session_request", {"session_id": None})
        await asyncio.wait_for(ready.wait(), 30)
        self.session_id = self.sio.get_sid()
        return self

    def _on_reply(self, data: Dict[str, Any]) -> None:
        self.replies.append(data)
        self.arrived_at.append(time.perf_counter())
        self._arrived.set()

    async def reply_containing(self, words: str, timeout: float = REPLY_TIMEOUT) -> float:
        """When (``time.perf_counter()``) a reply with ``words`` in its text reached the page."""
        deadline = time.perf_counter() + timeout
        while True:
            for at, reply in zip(self.arrived_at, self.replies):
                if words in str(reply.get("text", "")):
                    return at
            self._arrived.clear()
            try:
                await asyncio.wait_for(self._arrived.wait(), max(0.01, deadline - time.perf_counter()))
            except asyncio.TimeoutError:
                raise NoReply(f"no reply with {words!r} reached the page within {timeout:.0f} s") from None

    async def turn(self, text: str) -> float:
        self._arrived.clear()
        message: Dict[str, Any] = {"message": text}
        if self.stock:
            message["session_id"] = self.session_id
        started = time.perf_counter()
        await self.sio.emit("user_uttered", message)
        try:
            await asyncio.wait_for(self._arrived.wait(), REPLY_TIMEOUT)
        except asyncio.TimeoutError:
            raise NoReply(f"no bot_uttered within {REPLY_TIMEOUT:.0f} s for {text!r}") from None
        took = elapsed_ms(started)
        await self._settle()
        return took

    async def _settle(self) -> None:
        """Let a turn's further replies (a greeting may be two messages) arrive before the next message."""
        while True:
            self._arrived.clear()
            try:
                await asyncio.wait_for(self._arrived.wait(), 0.05)
            except asyncio.TimeoutError:
                return

    async def close(self) -> None:
        await self.sio.disconnect()


@dataclass
class Sms:
    """A customer's phone texting the shop through the fake Twilio: a signed webhook POST, the reply
    timed at the fake when the bot sends it."""

    session: aiohttp.ClientSession
    fake: FakeTwilio
    arrivals: Arrivals
    webhook_url: str  # ours: /webhooks/sms/webhook; stock: /webhooks/twilio/webhook
    shop_number: str

    async def post(self, phone: str, text: str, timeout: float = TWILIO_WEBHOOK_TIMEOUT) -> float:
        """Deliver the webhook as Twilio would; the ms until it was answered (2xx), TimeoutError past ``timeout``."""
        request = signed_request(self.fake.auth_token, self.webhook_url,
                                 inbound_sms_params(self.fake.account_sid, phone, self.shop_number, text))
        started = time.perf_counter()
        async with self.session.post(request.url, data=request.data, headers=request.headers,
                                     timeout=aiohttp.ClientTimeout(total=timeout)) as answer:
            await answer.read()
            if answer.status >= 300:
                raise RuntimeError(f"the SMS webhook answered {answer.status}")
        return elapsed_ms(started)

    async def turn(self, phone: str, text: str) -> float:
        expected = self.arrivals.count(phone) + 1
        started = time.perf_counter()
        await self.post(phone, text, timeout=REPLY_TIMEOUT)
        try:
            arrival = await self.arrivals.nth(phone, expected, REPLY_TIMEOUT)
        except asyncio.TimeoutError:
            raise NoReply(f"no SMS reached {phone} within {REPLY_TIMEOUT:.0f} s for {text!r}") from None
        took = (arrival.at - started) * 1000
        await self.settle(phone)
        return took

    async def settle(self, phone: str) -> None:
        """Let the turn's further texts arrive before the next message (they would be taken for its reply)."""
        while True:
            seen = self.arrivals.count(phone)
            await asyncio.sleep(0.4)
            if self.arrivals.count(phone) == seen:
                return
