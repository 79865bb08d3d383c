"""The demo phone: a page where a newcomer texts or calls the bot without Twilio.

The page picks a demo customer (or any number) and posts what they type here; the fake
turns it into the inbound webhook Twilio would send (the same form fields, signed with the
account's auth token) and POSTs it to the bot's ``/webhooks/<channel>/webhook`` under the
configured public URL. The page then lists every message to and from that number, with its
delivery state and how the bot's server answered, polling ``/phone/messages``. Calls, to the
shop or to a person's phone the shop rings, are ``phone_voice``'s.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

from aiohttp import web

from actions.acme.seed import DEMO_CUSTOMERS, DemoCustomer
from handoff.demo_users import demo_people_phones
from devtools.fake_twilio import phone_voice, resources, webhooks
from devtools.fake_twilio.state import FakeState, SentWebhook
from devtools.fake_twilio.validation import is_phone_number
from devtools.fake_twilio.voice import VoiceEngine

STATIC = Path(__file__).parent / "static"
CHANNELS = ("sms", "whatsapp")
MAX_BODY = 1600  # Twilio's limit for one message body
PAGE_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
PAGE_HEADERS = {"Content-Security-Policy": PAGE_POLICY, "X-Content-Type-Options": "nosniff",
                "Referrer-Policy": "same-origin", "Cache-Control": "no-store"}


@dataclass(frozen=True)
class PhoneSettings:
    """Where the phone's texts go and which numbers they are sent to."""

    #: The bot's public base URL (``HITL_PUBLIC_URL``): the URL Twilio would call, and sign.
    bot_url: str
    sms_number: str = "+15005550006"
    whatsapp_number: str = "whatsapp:+14155238886"
    customers: tuple[DemoCustomer, ...] = field(default=DEMO_CUSTOMERS)
    #: (name, phone) of the inbox's demo people who take calls: the page offers to be their phones.
    people: tuple[tuple[str, str], ...] = field(default_factory=lambda: tuple(demo_people_phones()))

    def webhook_url(self, channel: str) -> str:
        return f"{self.bot_url.rstrip('/')}/webhooks/{channel}/webhook"

    def shop_address(self, channel: str) -> str:
        return self.whatsapp_number if channel == "whatsapp" else self.sms_number

    @property
    def voice_status_url(self) -> str:
        """Where a configured number's call status callbacks go (the bot's ``/webhooks/voice/status``)."""
        return f"{self.bot_url.rstrip('/')}/webhooks/voice/status"


class PhoneInputError(ValueError):
    """What the page sent can't be texted; the message says what to change."""


@dataclass(frozen=True)
class Text:
    number: str
    channel: str
    body: str
    name: str


def read_text(payload: Any) -> Text:
    if not isinstance(payload, dict):
        raise PhoneInputError("send a JSON object with number, channel and body")
    number, channel, body, name = (payload.get(k) for k in ("number", "channel", "body", "name"))
    if not isinstance(number, str) or not is_phone_number(number.strip()):
        raise PhoneInputError("type the phone number in international format, e.g. +15550100001")
    if channel not in CHANNELS:
        raise PhoneInputError("choose SMS or WhatsApp")
    if not isinstance(body, str) or not body.strip():
        raise PhoneInputError("type a message")
    if len(body) > MAX_BODY:
        raise PhoneInputError(f"a message has at most {MAX_BODY} characters")
    if name is not None and not isinstance(name, str):
        raise PhoneInputError("name must be text")
    return Text(number.strip(), channel, body, (name or "").strip() or "Customer")


def bare(address: Optional[str]) -> str:
    return (address or "").removeprefix("whatsapp:")


def answer(reply: SentWebhook, who: str) -> dict[str, Any]:
    """How the bot's server answered a webhook, in words the page shows as they are."""
    if reply.status == 0:
        return {"status": 0, "ok": False, "text": f"{who} could not be reached ({reply.body.split(': ')[-1]})"}
    return {"status": reply.status, "ok": 200 <= reply.status < 300, "text": f"{who} answered {reply.status}"}


def conversation(state: FakeState, number: str) -> list[dict[str, Any]]:
    """Every message to and from ``number`` on either channel, oldest first, as the page shows it."""
    sent = state.webhooks()
    rows = []
    for message in state.messages():
        if number not in (bare(message["to"]), bare(message["from"])):
            continue
        inbound = message["direction"] == "inbound"
        hooks = [h for h in sent if h.params.get("MessageSid") == message["sid"]]
        webhook = next((h for h in reversed(hooks) if "MessageStatus" not in h.params), None)
        callback = next((h for h in reversed(hooks) if "MessageStatus" in h.params), None)
        rows.append({
            "sid": message["sid"],
            "from_phone": inbound,
            "channel": "whatsapp" if str(message["to"]).startswith("whatsapp:") else "sms",
            "body": message["body"],
            "status": message["status"],
            "error_code": message["error_code"],
            "date": message["date_created"],
            "webhook": answer(webhook, "the bot's server") if webhook else None,
            "callback": answer(callback, "its status callback") if callback else None,
        })
    return rows


class Phone:
    def __init__(self, state: FakeState, settings: PhoneSettings) -> None:
        self.state = state
        self.settings = settings

    async def page(self, request: web.Request) -> web.FileResponse:
        return web.FileResponse(STATIC / "phone.html", headers=PAGE_HEADERS)

    async def config(self, request: web.Request) -> web.Response:
        return web.json_response({
            "customers": [{"name": c.name, "phone": c.phone} for c in self.settings.customers],
            "people": [{"name": name, "phone": phone} for name, phone in self.settings.people],
            "numbers": {channel: self.settings.shop_address(channel) for channel in CHANNELS},
            "webhooks": {channel: self.settings.webhook_url(channel) for channel in CHANNELS},
            "voice": {"number": self.settings.sms_number, "webhook": self.settings.webhook_url("voice"),
                      "status": self.settings.voice_status_url},
        }, headers=PAGE_HEADERS)

    async def messages(self, request: web.Request) -> web.Response:
        number = request.query.get("number", "").strip()
        if not is_phone_number(number):
            return refusal(400, "type the phone number in international format, e.g. +15550100001")
        return web.json_response({"messages": conversation(self.state, number)}, headers=PAGE_HEADERS)

    async def send(self, request: web.Request) -> web.Response:
        # JSON only: a form posted from another site can't make the fake text as a customer.
        if request.content_type != "application/json":
            return refusal(415, "send the message as JSON (Content-Type: application/json)")
        try:
            text = read_text(json.loads(await request.text()))
        except json.JSONDecodeError:
            return refusal(400, "the request is not valid JSON")
        except PhoneInputError as problem:
            return refusal(400, str(problem))
        params = self._inbound_params(text)
        self.state.add_message(
            resources.inbound_message_resource(self.state.account_sid, params, self.state.clock.now()), {}
        )
        request_ = webhooks.signed_request(self.state.auth_token, self.settings.webhook_url(text.channel), params)
        await asyncio.to_thread(webhooks.deliver, self.state, request_)
        [row] = [r for r in conversation(self.state, text.number) if r["sid"] == params["MessageSid"]]
        return web.json_response({"message": row}, headers=PAGE_HEADERS)

    def _inbound_params(self, text: Text) -> dict[str, str]:
        shop = self.settings.shop_address(text.channel)
        if text.channel == "whatsapp":
            return webhooks.inbound_whatsapp_params(self.state.account_sid, text.number, shop, text.body, text.name)
        return webhooks.inbound_sms_params(self.state.account_sid, text.number, shop, text.body)


def refusal(status: int, message: str) -> web.Response:
    return web.json_response({"error": message}, status=status, headers=PAGE_HEADERS)


def add_routes(app: web.Application, state: FakeState, settings: PhoneSettings, voice: VoiceEngine) -> None:
    """The page, its texts, and its calls (``phone_voice``) played by ``voice``."""
    phone = Phone(state, settings)
    app.router.add_get("/phone", phone.page)
    app.router.add_get("/phone/config", phone.config)
    app.router.add_get("/phone/messages", phone.messages)
    app.router.add_post("/phone/send", phone.send)
    app.router.add_static("/phone/static", STATIC, append_version=False)
    names = {customer.phone: customer.name for customer in settings.customers}
    phone_voice.add_routes(app, phone_voice.PhoneVoice(voice, settings.sms_number, settings.webhook_url("voice"),
                                                       settings.voice_status_url, names, PAGE_HEADERS))
