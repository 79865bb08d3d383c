"""SMS and WhatsApp as ways out to the customer: what the delivery worker texts, and how.

A ``PhoneChannel`` takes a delivery (a person's words, a status line, the bot's reply bound to
the channel) to the customer's phone through Twilio, asynchronously:

- to the phone on file for a known customer (``customer-<id>``), else to the number the
  conversation wrote from on this channel (``channel_addresses``); a person of the inbox
  (``staff-<username>``: approval notices, answers to their replies) at the phone on their profile;
- never to a number that texted STOP (until it texts START): the delivery fails at once, and
  the agent reads why;
- on WhatsApp, free text only inside the 24-hour window after the customer last wrote; outside
  it an approved template (``TWILIO_WHATSAPP_TEMPLATE_SID``, the words as its variable ``{{1}}``)
  goes instead, or, with none set up, the delivery fails and says so;
- a text longer than one message (1600 characters by SMS, 4096 on WhatsApp) goes as several,
  cut at sentence boundaries, in order.

Each message is sent once. The delivery's id is the key: how far it got (which of its messages
left, with their SIDs) is kept with it after each message, so a retry goes on from there; and
when a try ended without an answer (a timeout: Twilio may have taken it), the next try first
asks Twilio for a message like it created since, and adopts it instead of sending another.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import List, Optional

from actions.domain.business import Business
from actions.domain.clock import Clock
from actions.domain.messaging import DeliveryFailed
from actions.domain.sessions import customer_of, staff_of
from actions.domain.texts import SMS_LIMIT, WHATSAPP_LIMIT, split_text
from actions.sms.twilio_messages import OutgoingText, TwilioMessages, mask_number
from actions.store.channel_addresses import ChannelAddress, SqlChannelAddresses
from handoff.delivery_queue import PROGRESS, Delivery, DeliveryQueue
from handoff.domain.deliveries import SENT

SMS, WHATSAPP = "sms", "whatsapp"
#: How long after the customer's last message WhatsApp lets a business write freely.
SERVICE_WINDOW = timedelta(hours=24)


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
        texts = self._texts(address, words, known)
        progress = dict(item.payload.get(PROGRESS) or {})
        sent: List[str] = list(progress.get("sent", []))
        for index in range(len(sent), len(texts)):
            sid = await self._adopted(texts[index], index, progress, sent)
            if sid is None:
                try:
                    sid = await self.messages.send(texts[index])
                except DeliveryFailed as exc:
                    if exc.unsure:  # Twilio may have it: the next try looks before it sends
                        earlier = progress.get("unsure") or {}
                        since = earlier["since"] if earlier.get("part") == index else self.clock.now().isoformat()
                        await self._keep(item, {"sent": sent, "unsure": {"part": index, "since": since}}, None)
                    raise
            sent.append(sid)
            progress = {"sent": sent}
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
        """A person of the inbox's phone on their profile; the customer's phone on file, else the
        number this conversation wrote from here."""
        username = staff_of(conversation_id)
        if username is not None:
            return self.queue.person_phone(username)
        customer_id = customer_of(conversation_id)
        customer = self.business.get_customer(customer_id) if customer_id else None
        if customer is not None and customer.phone:
            return customer.phone
        known = self.addresses.of_conversation(conversation_id, self.line.name)
        return known.address if known is not None else None

    def _texts(self, address: str, words: str, known: Optional[ChannelAddress]) -> List[OutgoingText]:
        to, line = self.line.wire(address), self.line
        if line.name != WHATSAPP or in_window(known, self.clock.now()):
            return [OutgoingText(to, line.sender, body=part, status_callback=line.status_callback)
                    for part in split_text(words, line.limit)]
        if line.template_sid is None:
            raise DeliveryFailed("the customer last wrote on WhatsApp more than 24 hours ago, and WhatsApp then takes "
                                 "only an approved template: none is set up (TWILIO_WHATSAPP_TEMPLATE_SID)",
                                 retryable=False)
        variables = json.dumps({"1": split_text(words, line.limit)[0]})
        return [OutgoingText(to, line.sender, content_sid=line.template_sid, content_variables=variables,
                             status_callback=line.status_callback)]
