"""The bot's replies to a phone, sent by the process that ran the turn as soon as they are queued.

A reply to an SMS or a WhatsApp message is a delivery like any other (``handoff.delivery_queue``):
queued first, sent once, its outcome recorded, retried with backoff by the inbox's delivery
worker if the try fails. What changes is who makes the first try. When nothing of the
conversation waits before the reply on its channel, the Rasa process queues it already taken
(``enqueue_taken``) and sends it itself, through the same phone channel and the same outcome
records as the worker (``handoff.delivery.Outcomes``). That saves every bot reply the worker's
wake-up, its claim and a hop between processes. A reply behind an earlier delivery (a retry
pending, an agent's words still going) is left to the worker, which sends them in order.

Each reply is sent before the next is queued, as Rasa hands them over one by one, so a turn's
replies leave in the order the bot said them.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Mapping

from actions.domain.clock import Clock
from handoff.delivery import CLAIM_LEASE, Attempt, Outcomes
from handoff.delivery_queue import Delivery, Outgoing
from handoff.phone_channel import PhoneChannel
from handoff.store import InboxStore

logger = logging.getLogger(__name__)


class RepliesAtOnce:
    """``(channel, conversation, text)``: the bot's reply, queued and (when it may go now) sent."""

    def __init__(self, queue: InboxStore, phones: Mapping[str, PhoneChannel], clock: Clock) -> None:
        self.queue = queue
        self.phones = dict(phones)
        self.outcomes = Outcomes(queue, clock)
        self.clock = clock

    async def __call__(self, channel: str, conversation_id: str, text: str) -> None:
        reply = Outgoing("say", {"text": text, "source": "bot"}, channel)
        phone = self.phones.get(channel)
        if phone is None:  # no Twilio set up for the channel: the worker records it as it records any
            await asyncio.to_thread(self.queue.enqueue, conversation_id, reply, self.clock.now())
            return
        item = await asyncio.to_thread(self.queue.enqueue_taken, conversation_id, reply, self.clock.now(), CLAIM_LEASE)
        if item is None:
            return  # the worker sends it after what waits before it
        try:
            await self.outcomes.attempt(item, lambda attempt: self._send(phone, item, attempt))
        except Exception:  # noqa: BLE001 - the try's outcome was not recorded: the worker tries once the lease is over
            logger.exception("the bot's reply %s to %s: its outcome was not recorded", item.id, conversation_id)

    @staticmethod
    async def _send(phone: PhoneChannel, item: Delivery, attempt: Attempt) -> str:
        attempt.allowed, attempt.by = phone.attempts, phone.line.name
        return await phone.deliver(item, str(item.payload["text"]))
