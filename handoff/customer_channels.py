"""How a person's words reach the customer: one delivery per channel, chosen by where they are now.

Every channel records the words in the Rasa tracker as the agent's, so the conversation has
one transcript whoever spoke. What differs is how they reach the customer: the web chat gets
them pushed through Rasa's own socket.io output channel; the REST channel (development and
tests) cannot push, so there they are only on record. SMS, WhatsApp and voice plug in here as
further ``CustomerChannel``s.
"""

from __future__ import annotations

from typing import Any, Dict, Mapping, Optional, Protocol

from handoff.domain.deliveries import RECORDED, SENT
from handoff.rasa_client import RasaConversations


class CustomerChannel(Protocol):
    async def send(self, conversation_id: str, text: str, metadata: Dict[str, Any]) -> str:
        """Put the words in front of the customer; returns ``sent``, ``delivered`` or ``recorded``
        (see ``handoff.domain.deliveries``).

        Raises (``RasaUnavailable``, ``RasaRefused``, a provider's error) when they could not be sent.
        """
        ...


class PushedByRasa:
    """Channels Rasa can push to on its own (the web chat): record and send in one call.

    The reply is ``sent``: it becomes ``delivered`` when a page of the conversation shows it
    and acknowledges it (``channels/webchat``), now or when the customer comes back.
    """

    def __init__(self, rasa: RasaConversations) -> None:
        self.rasa = rasa

    async def send(self, conversation_id: str, text: str, metadata: Dict[str, Any]) -> str:
        await self.rasa.record(conversation_id, text, metadata, push=True)
        return SENT


class RecordedOnly:
    """Channels that only answer requests (REST): the words are in the tracker, nothing is pushed."""

    def __init__(self, rasa: RasaConversations) -> None:
        self.rasa = rasa

    async def send(self, conversation_id: str, text: str, metadata: Dict[str, Any]) -> str:
        await self.rasa.record(conversation_id, text, metadata, push=False)
        return RECORDED


class CustomerChannels:
    """Sends on the channel the customer used last; a channel nobody registered is only recorded."""

    def __init__(self, rasa: RasaConversations, channels: Mapping[str, CustomerChannel],
                 fallback: Optional[CustomerChannel] = None) -> None:
        self.rasa = rasa
        self.channels = dict(channels)
        self.fallback = fallback or RecordedOnly(rasa)

    @classmethod
    def for_rasa(cls, rasa: RasaConversations) -> "CustomerChannels":
        return cls(rasa, {"webchat": PushedByRasa(rasa), "rest": RecordedOnly(rasa)})

    async def send(self, conversation_id: str, text: str, metadata: Dict[str, Any]) -> str:
        channel = await self.rasa.latest_channel(conversation_id)
        return await self.channels.get(channel or "", self.fallback).send(conversation_id, text, metadata)
