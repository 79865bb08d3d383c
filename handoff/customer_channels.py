"""How people's words, and lines about the conversation, reach the customer: one delivery per channel.

Every channel records what it sends in the Rasa tracker (a person's words as theirs, a status
line such as "Ali joined the conversation" as one), so the conversation has one transcript
whoever spoke. What differs is how it reaches the customer and how it is written:

- the web chat gets it pushed through the web chat channel to every open page of the
  conversation; the page shows who is speaking and the words as plain text, so the words go
  as they were typed; a reply is ``sent`` until a page acknowledges it (then ``delivered``);
- the REST channel (development and tests) cannot push, so there it is only on record, in
  the form a text-only reader needs ("Ali from Acme customer care: ...");
- SMS and WhatsApp text the customer's phone through Twilio (``handoff.phone_channel``), in
  the text-only form; the worker hands them the whole delivery, since what of it left is kept
  with it;
- a caller (voice) gets people's written words by SMS to their phone: a person who wants to talk
  to them takes the call itself (a warm transfer), and a caller who hung up still gets the text.

Which channel: where the customer is now, a web chat page they have open, else the channel
they wrote from last (``latest_input_channel``); a delivery bound to a channel (the bot's reply
to an SMS) goes by that one (``bound``).
"""

from __future__ import annotations

import asyncio
from typing import Any, Dict, Mapping, Optional, Protocol, Union

from actions.domain.waiting import status_message
from handoff.domain.deliveries import RECORDED, SENT
from handoff.phone_channel import PhoneChannel
from handoff.rasa_client import RasaConversations

WEB_CHAT = "webchat"


def named(text: str, metadata: Dict[str, Any]) -> str:
    """A person's words for a channel that shows text only: who is speaking comes first."""
    name = str(metadata.get("agent_name") or "").split(" ")[0]
    return f"{name} from Acme customer care: {text}" if name else text


class CustomerChannel(Protocol):
    #: How many tries before a person's words count as not delivered (each channel knows its own
    #: failures: a provider that queues for us needs fewer than a socket that may be reconnecting).
    attempts: int

    async def send(self, conversation_id: str, text: str, metadata: Dict[str, Any]) -> str:
        """Put a person's words (as typed; ``metadata`` names them) in front of the customer.

        Returns ``sent``, ``delivered`` or ``recorded`` (see ``handoff.domain.deliveries``).
        Raises (``RasaUnavailable``, ``RasaRefused``, a provider's error) when they could not be sent.
        """
        ...

    async def status(self, conversation_id: str, line: str, status: str) -> str:
        """Tell the customer where the conversation stands ("Ali joined the conversation")."""
        ...


class PushedByRasa:
    """Channels Rasa pushes to on its own (the web chat): record and send in one call."""

    attempts = 4

    def __init__(self, rasa: RasaConversations) -> None:
        self.rasa = rasa

    async def send(self, conversation_id: str, text: str, metadata: Dict[str, Any]) -> str:
        await self.rasa.record(conversation_id, text, metadata, push_to=WEB_CHAT)
        return SENT

    async def status(self, conversation_id: str, line: str, status: str) -> str:
        await self.rasa.record(conversation_id, None, {}, push_to=WEB_CHAT, custom=status_message(line, status))
        return SENT


class RecordedOnly:
    """Channels that only answer requests (REST): the words are in the tracker, nothing is pushed."""

    attempts = 4

    def __init__(self, rasa: RasaConversations) -> None:
        self.rasa = rasa

    async def send(self, conversation_id: str, text: str, metadata: Dict[str, Any]) -> str:
        await self.rasa.record(conversation_id, named(text, metadata), metadata, push_to=None)
        return RECORDED

    async def status(self, conversation_id: str, line: str, status: str) -> str:
        await self.rasa.record(conversation_id, None, {}, push_to=None, custom=status_message(line, status))
        return RECORDED


AnyChannel = Union[CustomerChannel, PhoneChannel]


class CustomerChannels:
    """Picks the channel where the customer is now (an open chat page, else the one they used last);
    a channel nobody registered is only recorded."""

    def __init__(self, rasa: RasaConversations, channels: Mapping[str, AnyChannel],
                 fallback: Optional[CustomerChannel] = None) -> None:
        self.rasa = rasa
        self.channels = dict(channels)
        self.fallback = fallback or RecordedOnly(rasa)

    @classmethod
    def for_rasa(cls, rasa: RasaConversations, phones: Mapping[str, PhoneChannel] | None = None) -> "CustomerChannels":
        """The web chat and REST channels, and the phone channels Twilio is set up for (a caller is
        written to by SMS)."""
        phones = dict(phones or {})
        if "sms" in phones:
            phones.setdefault("voice", phones["sms"])
        return cls(rasa, {WEB_CHAT: PushedByRasa(rasa), "rest": RecordedOnly(rasa), **phones})

    async def where(self, conversation_id: str) -> str:
        """Where the customer is now: the phone they texted from last, if they did; else a web chat
        page they have open; else the channel they used last. (A chat tab left open on a laptop
        must not swallow the replies to someone who has since texted from their phone.)

        Rasa knows no channel for a conversation whose first message is still being answered (its
        tracker is stored at the end of the turn); then the phone it texted from is ours to read
        (``channel_addresses``), so an agent who claims it meanwhile reaches the customer's phone."""
        latest = await self.rasa.latest_channel(conversation_id) or ""
        if isinstance(self.channels.get(latest), PhoneChannel):
            return latest
        if WEB_CHAT in self.channels and await self.rasa.open_pages(conversation_id) > 0:
            return WEB_CHAT
        if not latest:
            return await self._phone_written_from(conversation_id) or latest
        return latest

    async def _phone_written_from(self, conversation_id: str) -> Optional[str]:
        """The phone channel the conversation last wrote on, if it has one set up here."""
        phone = next((c for c in self.channels.values() if isinstance(c, PhoneChannel)), None)
        if phone is None:
            return None
        known = await asyncio.to_thread(phone.addresses.latest_of, conversation_id)
        return known.channel if known is not None and isinstance(self.channels.get(known.channel), PhoneChannel) \
            else None

    def bound(self, name: str) -> AnyChannel:
        """The channel a delivery bound to ``name`` goes by (one nobody registered is only recorded)."""
        return self.channels.get(name, self.fallback)
