"""Sends what people and decisions put in the delivery queue, in order, until it is taken.

An agent's reply is retried a few times, then marked failed so the agent sees it was not
delivered and can send it again. News for the bot (a hand-back, a decision) is retried until
Rasa takes it: the customer must hear it even if Rasa was down for an hour.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

from actions.domain.clock import Clock
from handoff.rasa_client import RasaConversations, RasaUnavailable
from handoff.store import Delivery, InboxStore

logger = logging.getLogger(__name__)

REPLY_ATTEMPTS = 4
MAX_BACKOFF = timedelta(seconds=60)


def backoff(attempts: int) -> timedelta:
    return min(timedelta(seconds=2 ** attempts), MAX_BACKOFF)


class DeliveryWorker:
    def __init__(self, store: InboxStore, rasa: RasaConversations, clock: Clock, interval: float = 0.3) -> None:
        self.store = store
        self.rasa = rasa
        self.clock = clock
        self.interval = interval

    async def run(self) -> None:
        while True:
            try:
                await self.deliver_due()
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001 - a bad row or a database hiccup must not stop deliveries
                logger.exception("delivery round failed; trying again")
            await asyncio.sleep(self.interval)

    async def deliver_due(self) -> int:
        due = await asyncio.to_thread(self.store.due_deliveries, self.clock.now())
        await asyncio.gather(*(self._deliver(item) for item in due))
        return len(due)

    async def _deliver(self, item: Delivery) -> None:
        try:
            if item.kind == "say":
                status = await self.rasa.say(item.conversation_id, item.payload["text"],
                                             {"source": "inbox", "agent": item.payload.get("agent"),
                                              "agent_name": item.payload.get("agent_name")})
            else:
                await self.rasa.run_action(item.conversation_id, item.payload["action"])
                status = "delivered"
        except RasaUnavailable as exc:
            now = self.clock.now()
            gives_up = item.kind == "say" and item.attempts + 1 >= REPLY_ATTEMPTS
            retry_at = None if gives_up else now + backoff(item.attempts)
            logger.warning("delivery %s to %s not taken (%s)%s", item.id, item.conversation_id, exc,
                           "; giving up" if gives_up else "; will retry")
            await asyncio.to_thread(self.store.delivery_done, item, "failed", str(exc), now, retry_at)
            return
        await asyncio.to_thread(self.store.delivery_done, item, status, None, self.clock.now())
