"""What the SMS and WhatsApp channels share: Twilio's signed webhooks, accepted at once, handled in order.

A webhook is believed only if Twilio signed it: ``X-Twilio-Signature`` is checked with the
twilio library's ``RequestValidator`` against the URL Twilio called, built from the configured
public base URL (so it holds behind a proxy or a tunnel). A missing or wrong signature is a 403
and nothing is read further. The conversation comes from the signed ``From`` through the
channel's identity resolver (``actions.domain.sessions``), never from anything else the
request says.

The webhook then only accepts the message (``actions.domain.inbound``: stored under its
MessageSid, unique in the database) and answers an empty TwiML ``<Response/>`` at once; the
turn runs afterwards, each conversation's messages one at a time and in order, whichever
process took them. So Twilio never waits for an action (it retries after 15 s), a duplicate
delivery is never a second turn, and what was accepted survives a crash: a chat server
handles what is waiting when it starts.

The bot's replies go out as every message to a phone does, as deliveries (``handoff.delivery``):
queued, sent through Twilio's API with splitting and delivery states, retried by the inbox's
delivery worker. The turn's own process makes the first try as soon as a reply is queued
(``handoff.replies_at_once``), unless something of the conversation waits before it.

A message answering a code prompt is sealed before it is queued (``actions.domain.sealed``): the
queue and Rasa's tracker hold ``/provide_otp`` and a reference, never the code.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, Awaitable, Callable, Dict, List, Optional, Set, Text, Tuple, Union

from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request, RequestParameters
from sanic.response import HTTPResponse

from actions.domain.attachments import attachment_line
from actions.domain.inbound import STILL_HANDLING_EVERY, Accepted, InboundMessage, InboundQueue, Media
from actions.domain.sealed import SEALED_CODE_MESSAGE, SEALED_KEY, CodeSealer, sealed_ref_in, sealed_text
from actions.domain.sessions import Refused, Resolver, staff_key, staff_of
from actions.json_input import storable_text_problem
from channels.twilio_signed import BadWebhook, TwilioSigned, validators_for

logger = logging.getLogger(__name__)

EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response/>'
#: How Twilio writes a phone number (the address behind ``whatsapp:`` too).
E164 = re.compile(r"^\+[1-9][0-9]{6,14}$")
#: How often a chat server looks for accepted messages nobody is handling.
LOOK_AGAIN_EVERY = timedelta(seconds=30)
#: The longest body Twilio delivers (a WhatsApp message; an SMS is at most 1,600 characters).
MAX_BODY_CHARS = 4096


@dataclass(frozen=True)
class TwilioParts:
    """What a Twilio channel works with, made by the composition root (``bot.composition``)."""

    auth_token: str
    public_url: str  # how Twilio reaches this server: signatures are computed over it
    resolver: Resolver
    queue: InboundQueue
    addresses: Any  # actions.store.channel_addresses.SqlChannelAddresses
    #: (channel, conversation, text): the bot's reply, queued and sent (``handoff.replies_at_once``).
    reply: Callable[[str, str, str], Awaitable[None]]
    audit: Callable[[str, str, Dict[str, Any]], None]
    now: Callable[[], datetime]
    #: Twilio's delivery report on a message the worker sent: (MessageSid, MessageStatus, ErrorCode,
    #: ErrorMessage, when) -> whether it moved the delivery on (``handoff.delivery_queue``).
    reported: Callable[[str, str, Optional[int], Optional[str], datetime], bool]
    #: The username of the inbox person whose profile has this phone number (E.164), if any.
    staff: Callable[[str], Optional[str]]
    #: The customer of this conversation texted STOP: what waited for their answer is cancelled.
    stopped: Callable[[str], None]
    #: Seals a message answering a code prompt before it is queued (``actions.domain.sealed``).
    sealer: Optional[CodeSealer] = None
    #: The auth token being rotated out, whose signatures are still believed (``TWILIO_AUTH_TOKEN_PREVIOUS``).
    previous_auth_token: Optional[str] = None


class TwilioWebhookInput(TwilioSigned, InputChannel):
    """A Rasa input channel for one Twilio channel (``name()``): ``POST /webhooks/<name>/webhook``."""

    #: How Twilio writes this channel's addresses: "whatsapp:" for WhatsApp, nothing for SMS.
    prefix = ""
    #: The conversations being handled in this process now. A conversation's messages are taken one
    #: at a time whichever channel they came by: the SMS channel may hand its next message to the
    #: turn loop the WhatsApp one is running (each turn replies by its message's own channel).
    _draining: Set[str] = set()
    _again: Set[str] = set()  # a message came in while the conversation's loop was looking
    _taken: Dict[str, InboundMessage] = {}  # a conversation's next message, taken as it was accepted
    _looking = False  # the process looks for waiting messages (``_look_again``)
    _tasks: Set[asyncio.Task] = set()

    def __init__(self, parts: TwilioParts) -> None:
        self.parts = parts
        self.validators = validators_for(parts.auth_token, parts.previous_auth_token)
        self.auth_token, self.public_url = parts.auth_token, parts.public_url

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> "TwilioWebhookInput":
        from bot.composition import twilio_input

        return twilio_input(cls, credentials or {})

    def get_output_channel(self) -> Optional[OutputChannel]:
        """What the bot says outside a turn here (news after a hand-back or a decision, asked for
        with this channel as the output channel) goes out as its replies do."""
        return QueuedReplies(self.name(), self.parts.reply)

    # -- the webhook ---------------------------------------------------------------------------

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        hooks = Blueprint(f"{self.name()}_twilio_webhook", __name__)

        @hooks.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @hooks.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            return await self.receive(request, on_new_message)

        @hooks.route("/status", methods=["POST"])
        async def status(request: Request) -> HTTPResponse:
            return await self.status(request)

        @hooks.listener("after_server_start")
        async def handle_waiting(app: Any, loop: Any) -> None:
            if not TwilioWebhookInput._looking:  # one look-out for the process, whichever channel starts it
                TwilioWebhookInput._looking = True
                self._tasks.add(asyncio.get_running_loop().create_task(self._look_again(on_new_message)))

        @hooks.listener("before_server_stop")
        async def give_back(app: Any, loop: Any) -> None:
            """Turns still running are stopped, and their messages given back for the next process."""
            running = list(self._tasks)
            for task in running:
                task.cancel()
            await asyncio.gather(*running, return_exceptions=True)
            # taken as accepted, for a loop cancelled before it began: given back, not left to time out
            for conversation_id in list(self._taken):
                await asyncio.to_thread(self._give_back, self._taken.pop(conversation_id))

        return hooks

    async def receive(self, request: Request, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> HTTPResponse:
        form = self._signed_or_refusal(request, "webhook")
        if isinstance(form, HTTPResponse):
            return form
        if form.get("MessageStatus"):  # a delivery report sent to the message webhook: no message in it
            return response.text(f"this is a delivery report: point status callbacks at /webhooks/{self.name()}/status",
                                 status=400)
        try:
            message, address = self.read(form)
        except BadWebhook as bad:
            logger.warning("%s webhook not taken: %s", self.name(), bad)
            return response.text(str(bad), status=400)
        own = await self.channels_own(message)
        taken = await asyncio.to_thread(self.arrived, address, message, own is not None)
        if isinstance(taken, Refused):
            logger.warning("%s webhook from an unusable number: %s", self.name(), taken.reason)
            return response.text(taken.reason, status=400)
        message, accepted = taken
        conversation_id = message.conversation_id
        staff = staff_of(conversation_id) is not None  # a person's phone messages are the inbox's to read, all
        if accepted is None:  # delivered again: what the first delivery started is made sure of, once more
            logger.info("%s message %s delivered again: already accepted", self.name(), message.provider_id)
        if own is not None and accepted is not None:
            await self.at_once(message, own)
        elif own is None and not staff:
            taken_now = replace(message, id=accepted.id) if accepted is not None and accepted.taken else None
            self.drain_soon(conversation_id, on_new_message, taken_now)
        return self.twiml()

    def arrived(self, address: str, message: InboundMessage, channels_own: bool) -> Union[
            Tuple[InboundMessage, Optional[Accepted]], Refused]:
        """The webhook's reads and writes, in one worker thread: whose message it is (``whose``), and
        its acceptance (None: it was delivered before). A message for the bot is taken at once
        for this process's turn loop when nothing of its conversation waits before it."""
        whose = self.whose(address, message)
        if isinstance(whose, Refused):
            return whose
        staff = staff_of(whose.conversation_id) is not None
        return whose, self.parts.queue.accept(whose, handled=channels_own and not staff,
                                              take=not channels_own and not staff)

    def whose(self, address: str, message: InboundMessage) -> Union[InboundMessage, Refused]:
        """The message as it is queued: in its conversation (``conversation_of``), stamped now, and
        sealed if it answers a code prompt (``sealed_if_code``)."""
        conversation_id = self.conversation_of(address)
        if isinstance(conversation_id, Refused):
            return conversation_id
        staff = staff_of(conversation_id) is not None  # a person's phone messages are the inbox's to read, all
        text = message.text if staff else self.sealed_if_code(conversation_id, message)
        return InboundMessage(message.provider_id, self.name(), address, conversation_id, text, self.parts.now(),
                              message.media)

    def sealed_if_code(self, conversation_id: str, message: InboundMessage) -> str:
        """The text to queue: a code answering the bot's prompt (with no attachment) is queued sealed,
        so neither the queue nor Rasa's tracker ever holds it (``actions.domain.sealed``)."""
        if self.parts.sealer is None or message.media:
            return message.text
        ref = self.parts.sealer.seal_if_code(conversation_id, message.text)
        return message.text if ref is None else sealed_text(ref)

    async def channels_own(self, message: InboundMessage) -> Optional[str]:
        """What the channel itself does with the message as it arrives, ahead of anything queued
        before it (SMS: "stop" must stop what is about to go out); None if it is for the bot."""
        return None

    async def at_once(self, message: InboundMessage, what: str) -> None:
        """Do what ``channels_own`` said, once per message (a person's phone messages go on to the
        inbox as well)."""

    def conversation_of(self, address: str) -> Union[str, Refused]:
        """Whose message it is: a person of the inbox by the phone on their profile, else the
        customer (or visitor) the channel's identity resolver finds for the signed ``From``."""
        username = self.parts.staff(address)
        if username is not None:
            return staff_key(username)
        resolution = self.parts.resolver.resolve({"from": self.prefix + address})
        return resolution if isinstance(resolution, Refused) else resolution.conversation_id

    async def status(self, request: Request) -> HTTPResponse:
        """Twilio's report on a message sent by this channel: the delivery's state moves on (never back)."""
        form = self._signed_or_refusal(request, "status callback")
        if isinstance(form, HTTPResponse):
            return form
        sid, state = form.get("MessageSid") or "", form.get("MessageStatus") or ""
        if not sid or not state:
            return response.text("MessageSid and MessageStatus are needed in a status callback", status=400)
        code = form.get("ErrorCode") or ""
        if code and not (code.isascii() and code.isdigit() and len(code) < 10):
            return response.text(f"ErrorCode must be Twilio's error number, got {code!r}", status=400)
        await asyncio.to_thread(self.parts.reported, sid, state, int(code) if code else None,
                                form.get("ErrorMessage"), self.parts.now())
        return response.empty()

    def read(self, form: RequestParameters) -> Tuple[InboundMessage, str]:
        """The message Twilio delivered, and the sender's address as this channel writes it (E.164)."""
        sid, sender = form.get("MessageSid") or form.get("SmsSid") or "", form.get("From") or ""
        if not sid:
            raise BadWebhook("MessageSid is missing: this is not a message webhook")
        if not sender:
            raise BadWebhook("From is missing: whose message is it?")
        if not sender.lower().startswith(self.prefix) or not E164.match(sender[len(self.prefix):]):
            raise BadWebhook(f"From must be a {self.name()} address such as {self.prefix}+15550100001 (Twilio writes "
                             f"numbers in E.164), got {sender!r}")
        text = form.get("Body") or ""
        if len(text) > MAX_BODY_CHARS:
            raise BadWebhook(f"Body is {len(text)} characters: Twilio delivers at most {MAX_BODY_CHARS}")
        problem = storable_text_problem(text) or storable_text_problem(sid)
        if problem:
            raise BadWebhook(problem)
        media = tuple(Media(form.get(f"MediaUrl{i}") or "", form.get(f"MediaContentType{i}") or "")
                      for i in range(_count(form.get("NumMedia"))))
        if form.get("Latitude") and form.get("Longitude"):
            media += (Media(f"geo:{form.get('Latitude')},{form.get('Longitude')}", "location"),)
        message = InboundMessage(sid, self.name(), sender[len(self.prefix):], "", text, self.parts.now(), media)
        return message, sender[len(self.prefix):]

    @staticmethod
    def twiml() -> HTTPResponse:
        return response.text(EMPTY_TWIML, content_type="text/xml")

    # -- the turns -----------------------------------------------------------------------------

    def drain_soon(self, conversation_id: str, on_new_message: Callable[[UserMessage], Awaitable[Any]],
                   taken: Optional[InboundMessage] = None) -> None:
        """Handle the conversation's waiting messages in the background, once per conversation at a
        time; ``taken``: its next message, already taken for this process, goes first."""
        if taken is not None:
            self._taken[conversation_id] = taken
        if conversation_id in self._draining:
            self._again.add(conversation_id)  # the running loop looks again before it stops
            return
        self._draining.add(conversation_id)
        task = asyncio.get_running_loop().create_task(self._drain(conversation_id, on_new_message))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _drain(self, conversation_id: str, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> None:
        try:
            while True:
                self._again.discard(conversation_id)
                message = self._taken.pop(conversation_id, None) or await asyncio.to_thread(
                    self.parts.queue.claim_next, conversation_id, self.parts.now())
                if message is None and conversation_id not in self._again:
                    return  # nothing came in while it looked: no message is left behind
                if message is not None:
                    await self._turn(message, on_new_message)
        except Exception:  # noqa: BLE001 - a database hiccup: what is left is taken at the next message or start
            logger.exception("%s: handling %s's messages stopped", self.name(), conversation_id)
        finally:
            self._draining.discard(conversation_id)
            left = self._taken.pop(conversation_id, None)
            if left is not None:  # taken for a loop that stopped before its turn: given back, not lost
                self._give_back(left)

    def _give_back(self, message: InboundMessage) -> None:
        assert message.id is not None
        try:
            self.parts.queue.release(message.id)
        except Exception:  # noqa: BLE001 - the database is away: the message is taken again after CLAIM_TIMEOUT
            logger.exception("%s: message %s could not be given back", self.name(), message.provider_id)

    async def _turn(self, message: InboundMessage, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> None:
        """One message's turn, replied to by the channel it came by.

        While it runs the message stays this process's (``still_handling``); if the server stops
        meanwhile, the message is given back so the next process takes it at once."""
        assert message.id is not None
        replies = QueuedReplies(message.channel, self.parts.reply)
        metadata: Dict[str, Any] = {"provider_id": message.provider_id,
                                    "media": [{"url": m.url, "kind": m.kind} for m in message.media]}
        words, ref = self.words_of(message), sealed_ref_in(message.text)
        if ref is not None:
            words, metadata[SEALED_KEY] = SEALED_CODE_MESSAGE, ref
        keeping = asyncio.get_running_loop().create_task(self._keep_handling(message.id))
        try:
            await on_new_message(UserMessage(words, replies, message.conversation_id,
                                             input_channel=message.channel, metadata=metadata))
        except asyncio.CancelledError:
            self._give_back(message)  # the server is stopping: not handled, not lost
            raise
        except Exception as exc:  # noqa: BLE001 - one bad turn must not stop the conversation's next ones
            logger.exception("%s: the turn for %s failed", self.name(), message.provider_id)
            await asyncio.to_thread(self.parts.queue.done, message.id, self.parts.now(), f"{type(exc).__name__}: {exc}")
            return
        finally:
            keeping.cancel()
        await asyncio.to_thread(self.parts.queue.done, message.id, self.parts.now())

    async def _keep_handling(self, message_id: int) -> None:
        while True:
            await asyncio.sleep(STILL_HANDLING_EVERY.total_seconds())
            await asyncio.to_thread(self.parts.queue.still_handling, message_id, self.parts.now())

    @staticmethod
    def words_of(message: InboundMessage) -> str:
        """What the assistant reads: the text, then a line for each attachment (``actions.domain.attachments``)."""
        return "\n".join([message.text.strip(), *(attachment_line(m.url, m.kind) for m in message.media)]).strip()

    async def _look_again(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> None:
        """Now and every ``LOOK_AGAIN_EVERY``: what was accepted and is still waiting (a restart, a
        process that died on it, a database hiccup that stopped a conversation's loop) is handled."""
        while True:
            try:
                await self.resume(on_new_message)
            except Exception:  # noqa: BLE001 - the database may be back next time
                logger.exception("%s: looking for waiting messages failed", self.name())
            await asyncio.sleep(LOOK_AGAIN_EVERY.total_seconds())

    async def resume(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> None:
        """Handle the messages accepted but not handled: never taken, or taken by a process that died."""
        waiting = await asyncio.to_thread(self.parts.queue.waiting_conversations, self.parts.now())
        for conversation_id in waiting:
            if conversation_id.startswith(("customer-", "visitor-")):
                self.drain_soon(conversation_id, on_new_message)


class QueuedReplies(OutputChannel):
    """The bot's replies to a phone: deliveries, queued and sent through Twilio one after another."""

    def __init__(self, channel: str, reply: Callable[[str, str, str], Awaitable[None]]) -> None:
        self.channel = channel
        self.reply = reply

    @classmethod
    def name(cls) -> Text:
        return "twilio_queue"

    async def send_text_message(self, recipient_id: Text, text: Text, **kwargs: Any) -> None:
        if text.strip():
            await self.reply(self.channel, recipient_id, text.strip())

    async def send_custom_json(self, recipient_id: Text, json_message: Dict[Text, Any], **kwargs: Any) -> None:
        """A custom message as text: its words, or a status line ("You're next in the queue ...",
        ``actions.domain.waiting.status_message``); one with no words is not sent."""
        line = json_message.get("text") or json_message.get("status_line") or json_message.get("line")
        if isinstance(line, str) and line.strip():
            await self.send_text_message(recipient_id, line)
        else:
            logger.info("a custom message with no text is not sent to a phone: %s", json.dumps(json_message)[:200])

    async def send_text_with_buttons(self, recipient_id: Text, text: Text, buttons: List[Dict[Text, Any]],
                                     **kwargs: Any) -> None:
        choices = " / ".join(str(b.get("title")) for b in buttons if b.get("title"))
        await self.send_text_message(recipient_id, f"{text}\n\n{choices}" if choices else text)


def _count(value: Optional[str]) -> int:
    try:
        return max(0, min(int(value or 0), 10))  # Twilio sends at most 10 media per message
    except ValueError:
        raise BadWebhook(f"NumMedia must be a whole number, got {value!r}") from None
