"""SMS and WhatsApp as ways out to the customer: what the delivery worker texts, and how.

A ``PhoneChannel`` takes a delivery (a person's words, a status line, the bot's reply bound to
the channel) to the customer's phone through Twilio, asynchronously:

- to the number the conversation last wrote from on this channel (``channel_addresses``: a
  customer may write from another number than the one on file), else the phone on file for a
  known customer (``customer-<id>``); a person of the inbox (``staff-<username>``: approval
  notices, answers to their replies) at the phone on their profile; a one-time code to the
  number it names;
- never to a number that texted STOP (until it texts START): the delivery fails at once, and
  the agent reads why;
- a text longer than one message (1600 characters by SMS, 4096 on WhatsApp) goes as several,
  cut at sentence boundaries, in order;
- on WhatsApp, free text only inside the 24-hour window after the customer last wrote from that
  number; outside it the approved template (``TWILIO_WHATSAPP_TEMPLATE_SID``, the words as its
  variable ``{{1}}``) goes instead, once per 255 characters of the text (Twilio's limit on a
  variable), each on one line (WhatsApp refuses newlines in a variable), so no word is lost; with
  no template set up, the delivery fails and says so.

The messages a delivery becomes (free text, or templates) are decided on its first try and kept
with it, so a retry sends the same ones; only if the window closed in between does what is left
go as templates. Each message is sent once. The delivery's id is the key: how far it got (which
of its messages left, with their SIDs, also kept among every delivery's messages) is kept with
it after each message, so a retry goes on from there; and when a try ended without an answer (a
timeout: Twilio may have taken it), the next try first asks Twilio for a message like it created
since, and adopts it instead of sending another, unless any delivery recorded that message.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Dict, List, Optional

from actions.domain.business import Business
from actions.domain.clock import Clock
from actions.domain.messaging import DeliveryFailed
from actions.domain.sessions import customer_of, staff_of
from actions.domain.texts import SMS_LIMIT, WHATSAPP_LIMIT, split_text, template_variables
from actions.sms.twilio_messages import OutgoingText, TwilioMessages, mask_number
from actions.store.channel_addresses import ChannelAddress, SqlChannelAddresses
from handoff.delivery_queue import PROGRESS, Delivery, DeliveryQueue
from handoff.domain.deliveries import SENT

SMS, WHATSAPP = "sms", "whatsapp"
#: How long after the customer's last message WhatsApp lets a business write freely.
SERVICE_WINDOW = timedelta(hours=24)
#: One message of a delivery's plan: ``{"body": words}`` (free text) or ``{"template": words}`` (the
#: approved template, the words as its variable).
Part = Dict[str, str]


@dataclass(frozen=True)
class PhoneLine:
    """One channel's settings: its name, our sender address on the wire, where Twilio reports on
    its messages, and (WhatsApp) the template for outside the window."""

    name: str  # sms | whatsapp
    sender: str  # +15005550006, or whatsapp:+15005550006
    status_callback: str  # <HITL_PUBLIC_URL>/webhooks/<name>/status
    template_sid: Optional[str] = None

    @property
    def limit(self) -> int:
        return WHATSAPP_LIMIT if self.name == WHATSAPP else SMS_LIMIT

    def wire(self, address: str) -> str:
        return f"whatsapp:{address}" if self.name == WHATSAPP else address


def in_window(known: Optional[ChannelAddress], now: datetime) -> bool:
    """Whether WhatsApp lets a business write freely: the customer wrote in the last 24 hours."""
    return known is not None and known.last_inbound_at is not None and now < known.last_inbound_at + SERVICE_WINDOW


class PhoneChannel:
    """A ``CustomerChannel`` whose messages the worker hands over with their delivery (``deliver``),
    since what left of a delivery is kept with it."""

    #: Twilio answers at once or not at all; a few tries cover its 5xx and timeouts.
    attempts = 5

    def __init__(self, line: PhoneLine, messages: TwilioMessages, queue: DeliveryQueue,
                 addresses: SqlChannelAddresses, business: Business, clock: Clock) -> None:
        self.line = line
        self.messages = messages
        self.queue = queue
        self.addresses = addresses
        self.business = business
        self.clock = clock

    async def deliver(self, item: Delivery, words: str, to: Optional[str] = None) -> str:
        """Text ``words`` for ``item`` (to the number ``to``, else the conversation's); ``sent`` once
        every message left, its last SID recorded.

        Raises ``DeliveryFailed``: not ``retryable`` when the text must not go (STOP, no number,
        WhatsApp's window closed without a template), else one failed try.
        """
        address = to or await asyncio.to_thread(self._address, item.conversation_id)
        if address is None:
            raise DeliveryFailed(f"no phone number is known for this conversation on {self.line.name}",
                                 retryable=False)
        known = await asyncio.to_thread(self.addresses.address, self.line.name, address)
        if known is not None and known.opted_out_at is not None:
            raise DeliveryFailed(f"the customer texted STOP from {mask_number(address)}: nothing is sent to that "
                                 f"number until they text START", retryable=False)
        progress = dict(item.payload.get(PROGRESS) or {})
        sent: List[str] = list(progress.get("sent", []))
        # the plan made on the first try (kept from the first message that left), so a retry sends
        # the same messages; a plan starts as free text, which ``_sendable`` makes templates if need be
        parts: List[Part] = progress.get("parts") or [{"body": part} for part in split_text(words, self.line.limit)]
        while len(sent) < len(parts):
            index = len(sent)
            sid = await self._adopted(self._outgoing(address, parts[index]), index, progress, sent)
            if sid is None:
                parts = self._sendable(parts, index, known)
                try:
                    sid = await self.messages.send(self._outgoing(address, parts[index]))
                except DeliveryFailed as exc:
                    if exc.unsure:  # Twilio may have it: the next try looks before it sends
                        earlier = progress.get("unsure") or {}
                        since = earlier["since"] if earlier.get("part") == index else self.clock.now().isoformat()
                        await self._keep(item, {"sent": sent, "parts": parts,
                                                "unsure": {"part": index, "since": since}}, None)
                    raise
            sent.append(sid)
            progress = {"sent": sent, "parts": parts}
            await self._keep(item, progress, sid)
        return SENT

    async def _adopted(self, text: OutgoingText, index: int, progress: dict, sent: List[str]) -> Optional[str]:
        """The message Twilio took for a try that got no answer, if it did; None to send it."""
        unsure = progress.get("unsure")
        if not unsure or unsure.get("part") != index:
            return None
        found = await self.messages.find(text, datetime.fromisoformat(unsure["since"]))
        if not found:
            return None
        taken = set(sent) | await asyncio.to_thread(self.queue.known_provider_ids, found)
        return next((sid for sid in found if sid not in taken), None)

    async def _keep(self, item: Delivery, progress: dict, sid: Optional[str]) -> None:
        await asyncio.to_thread(self.queue.delivery_progress, item.id, {**item.payload, PROGRESS: progress}, sid)

    def _address(self, conversation_id: str) -> Optional[str]:
        """A person of the inbox's phone on their profile; for a customer, the number this
        conversation last wrote from on this channel (a customer may write from another number
        than the one on file: the answer goes where they wrote from), else the phone on file."""
        username = staff_of(conversation_id)
        if username is not None:
            return self.queue.person_phone(username)
        known = self.addresses.of_conversation(conversation_id, self.line.name)
        if known is not None:
            return known.address
        customer_id = customer_of(conversation_id)
        customer = self.business.get_customer(customer_id) if customer_id else None
        return customer.phone if customer is not None and customer.phone else None

    def _sendable(self, parts: List[Part], index: int, known: Optional[ChannelAddress]) -> List[Part]:
        """The plan with its message ``index`` as it may go now: outside WhatsApp's window, the free
        text still to send becomes templates (one after another, every word kept).

        Raises ``DeliveryFailed`` (not retryable) when a template is needed and none is set up.
        """
        if "body" in parts[index] and self.line.name == WHATSAPP and not in_window(known, self.clock.now()):
            parts = parts[:index] + [{"template": words} for part in parts[index:]
                                     for words in template_variables(part["body"])]
        if "template" in parts[index] and self.line.template_sid is None:
            left = f" ({index} of its messages had left before)" if index else ""
            raise DeliveryFailed(f"the customer last wrote on WhatsApp more than 24 hours ago, and WhatsApp then "
                                 f"takes only an approved template: none is set up (TWILIO_WHATSAPP_TEMPLATE_SID)"
                                 f"{left}", retryable=False)
        return parts

    def _outgoing(self, address: str, part: Part) -> OutgoingText:
        """One message of the plan on the wire: free text, or the template with the words as ``{{1}}``."""
        to, line = self.line.wire(address), self.line
        if "body" in part:
            return OutgoingText(to, line.sender, body=part["body"], status_callback=line.status_callback)
        return OutgoingText(to, line.sender, content_sid=line.template_sid,
                            content_variables=json.dumps({"1": part["template"]}), status_callback=line.status_callback)
