"""Sends what people, decisions and the assistant put in the delivery queue, in order, until it is taken.

An agent's reply (or a line such as "Ali joined the conversation") is retried a few times, then
marked failed so the agent sees it was not delivered and can send it again. News for the bot (a hand-back, a decision) is retried until
Rasa takes it: the customer must hear it even if Rasa was down for an hour. A request Rasa
refuses outright (a 4xx: a bad request, a conversation it can't act on) would be refused
again, so it fails at once and no longer holds back the conversation's later deliveries.

A reply bound to a channel (the bot's answer to an SMS, queued by Rasa's output channel) goes
by that channel; everything else for the customer goes where they are now. SMS and WhatsApp
(``handoff.phone_channel``) text through Twilio's asyncio client; a text that must not go
(the number texted STOP, WhatsApp's window closed without a template) fails at once, with
the reason the agent reads.

A one-time code (queued by the action server, ``actions.domain.outbound``) goes by SMS to the
phone on file, whatever channel the customer writes on, unless that number texted STOP; an
approval notice (``handoff.phone_approvals``) is a code for a person of the inbox, sent by their
channel (SMS or WhatsApp) to the phone on their profile. It is
retried while it would still be valid on arrival; one that could not be sent is reported to
the conversation (``action_code_not_sent``), and its text is not kept once it left or failed.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Awaitable, Callable, Mapping, Optional

from actions.domain.clock import Clock
from actions.domain.messaging import DeliveryFailed, SmsSender
from actions.domain.outbound import REDACTED, CodeText, next_code_try
from actions.domain.wakeup import Listener, Wakeup
from actions.domain.sessions import staff_of
from actions.store.channel_addresses import SqlChannelAddresses
from handoff.customer_channels import CustomerChannels, named
from handoff.phone_channel import PhoneChannel
from handoff.rasa_client import RasaConversations, RasaRefused, RasaUnavailable
from handoff.domain.deliveries import CANCELLED, FAILED, SENT
from handoff.delivery_queue import Delivery, Outgoing
from handoff.store import InboxStore

logger = logging.getLogger(__name__)

#: What Rasa runs when a code could not be sent.
CODE_NOT_SENT = Outgoing("trigger", {"action": "action_code_not_sent"})
#: How many times a person's words are tried on a channel that doesn't say otherwise (``attempts``).
REPLY_ATTEMPTS = 4
MAX_BACKOFF = timedelta(seconds=60)
#: Seconds the worker waits at most between two looks when no wake-up comes (one was lost).
SAFETY_NET = 2.0
#: The shortest wait between rounds when nothing wakes the worker: a delivery whose outcome could
#: not be recorded (it is still due) is tried again after this, not in a tight loop.
SHORTEST_WAIT = 0.3
#: How long a worker holds a delivery it is sending; longer than any send may take (Rasa's and
#: Twilio's timeouts), so no other inbox process sends it meanwhile.
CLAIM_LEASE = timedelta(seconds=90)


def delivery_message_id(delivery_id: int) -> str:
    """The id a reply carries to the customer's page, which acknowledges it by that id."""
    return f"d-{delivery_id}"


def delivery_of(message_id: str) -> Optional[int]:
    """The delivery a page acknowledged, or None for any other message id."""
    prefix, _, number = message_id.partition("-")
    return int(number) if prefix == "d" and number.isdigit() and len(number) < 18 else None


def backoff(attempts: int) -> timedelta:
    return min(timedelta(seconds=2 ** attempts), MAX_BACKOFF)


@dataclass
class Attempt:
    """One try at a delivery as it goes: how many tries its channel allows, and the channel it went by
    (shown beside a person's words)."""

    allowed: int = REPLY_ATTEMPTS  # until the customer's channel is known, which may say otherwise
    by: Optional[str] = None


class Outcomes:
    """Makes one try at a delivery and records how it went: sent, refused for good, or pending again
    after a backoff. The worker makes its tries through it, and so does the Rasa process that sends
    a bot's reply to a phone itself (``handoff.replies_at_once``)."""

    def __init__(self, store: InboxStore, clock: Clock) -> None:
        self.store = store
        self.clock = clock

    async def attempt(self, item: Delivery, send: Callable[[Attempt], Awaitable[str]]) -> None:
        attempt = Attempt()
        try:
            status = await send(attempt)
        except (RasaRefused, DeliveryFailed) as refused:
            if isinstance(refused, DeliveryFailed) and refused.retryable:
                await self._failed(item, refused, attempt.allowed)
                return
            # a refusal the customer chose (STOP) or the channel's rules make is no fault of ours
            log = logger.warning if isinstance(refused, DeliveryFailed) else logger.error
            log("delivery %s (%s) to %s refused by %s, not retried: %s", item.id, item.kind,
                item.conversation_id, "Rasa" if isinstance(refused, RasaRefused) else "its channel", refused)
            await asyncio.to_thread(self.store.delivery_done, item, FAILED, str(refused), self.clock.now())
            return
        except Exception as exc:  # noqa: BLE001 - Rasa down or hung, or anything else: one failed attempt
            await self._failed(item, exc, attempt.allowed)
            return
        await asyncio.to_thread(self.store.delivery_done, item, status, None, self.clock.now(),
                                channel=attempt.by or None)

    async def _failed(self, item: Delivery, exc: Exception, allowed: int) -> None:
        now = self.clock.now()
        gives_up = item.kind in ("say", "status") and item.attempts + 1 >= allowed
        retry_at = None if gives_up else now + backoff(item.attempts)
        expected = isinstance(exc, (RasaUnavailable, DeliveryFailed))
        error = str(exc) if expected else f"the delivery failed ({type(exc).__name__}: {exc})"
        logger.warning("delivery %s to %s not taken (%s)%s", item.id, item.conversation_id, error,
                       "; giving up" if gives_up else "; will retry", exc_info=None if expected else exc)
        await asyncio.to_thread(self.store.delivery_done, item, "failed", error, now, retry_at)


class DeliveryWorker:
    def __init__(self, store: InboxStore, rasa: RasaConversations, clock: Clock, safety_net: float = SAFETY_NET,
                 channels: CustomerChannels | None = None, texts: Mapping[str, SmsSender] | None = None,
                 addresses: SqlChannelAddresses | None = None) -> None:
        self.store = store
        self.outcomes = Outcomes(store, clock)
        self.rasa = rasa
        self.channels = channels or CustomerChannels.for_rasa(rasa)
        #: The senders of the channels that text a phone, by channel ("sms"): codes go by them.
        self.texts = dict(texts or {})
        #: Who texted STOP: no code goes to them.
        self.addresses = addresses
        self.clock = clock
        #: The longest the worker waits without a wake-up before it looks anyway (a lost signal).
        self.safety_net = safety_net

    async def run(self, listener: Optional[Listener] = None) -> None:
        """Deliver what is due, then wait: for a wake-up (something was queued, or a delivery was
        recorded and the conversation's next one may go), for the soonest retry, or at most the safety net."""
        wakeup = listener or Wakeup()
        while True:
            wait = self.safety_net
            try:
                await self.deliver_due()
                wait = await self._until_next_try()
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001 - a bad row or a database hiccup must not stop deliveries
                logger.exception("delivery round failed; trying again")
            await wakeup.wait(wait)

    async def _until_next_try(self) -> float:
        """Seconds until the soonest waiting retry is due, within the safety net."""
        soonest = await asyncio.to_thread(self.store.next_try_at)
        if soonest is None:
            return self.safety_net
        return min(max((soonest - self.clock.now()).total_seconds(), SHORTEST_WAIT), self.safety_net)

    async def deliver_due(self) -> int:
        due = await asyncio.to_thread(self.store.claim_due_deliveries, self.clock.now(), CLAIM_LEASE)
        results = await asyncio.gather(*(self._deliver(item) for item in due), return_exceptions=True)
        for item, result in zip(due, results):
            if isinstance(result, Exception):  # recording the outcome failed: the row is tried again
                logger.error("delivery %s to %s: its outcome was not recorded", item.id, item.conversation_id,
                             exc_info=result)
        return len(due)

    async def _deliver(self, item: Delivery) -> None:
        if item.kind == "code":
            await self._text_code(item)
            return
        await self.outcomes.attempt(item, lambda attempt: self._send(item, attempt))

    async def _send(self, item: Delivery, attempt: Attempt) -> str:
        """Put ``item`` in front of the customer (or run the bot's news); the delivery's new status."""
        if item.kind in ("say", "status"):
            attempt.by = item.channel or await self.channels.where(item.conversation_id)
            channel = self.channels.bound(attempt.by)
            attempt.allowed = getattr(channel, "attempts", REPLY_ATTEMPTS)
            if isinstance(channel, PhoneChannel):
                words = (named(str(item.payload["text"]), item.payload) if item.kind == "say"
                         else str(item.payload["line"]))
                return await channel.deliver(item, words)
            if item.kind == "say":
                return await channel.send(item.conversation_id, str(item.payload["text"]),
                                          {"source": "inbox", "agent": item.payload.get("agent"),
                                           "agent_name": item.payload.get("agent_name"),
                                           "message_id": delivery_message_id(item.id)})
            return await channel.status(item.conversation_id, str(item.payload["line"]), str(item.payload["status"]))
        # the bot's news goes where the customer is now (an open chat page first)
        where = await self.channels.where(item.conversation_id)
        await self.rasa.run_action(item.conversation_id, item.payload["action"],
                                   output_channel=where if where in self.channels.channels else "latest")
        return "delivered"

    async def _text_code(self, item: Delivery) -> None:
        now = self.clock.now()
        try:
            code = CodeText.of(item.conversation_id, item.payload)
        except (KeyError, TypeError, ValueError) as unreadable:  # never holds up the codes queued after it
            logger.error("code delivery %s can't be read (%r): dropped", item.id, unreadable)
            await asyncio.to_thread(self.store.delivery_done, item, FAILED, "the queued code could not be read", now,
                                    payload={"text": REDACTED})
            return
        if not await asyncio.to_thread(self.store.code_wanted, code):
            # a newer code replaced it, or the request it confirms is over: sending it would only mislead
            await asyncio.to_thread(self.store.delivery_done, item, CANCELLED, None, now, payload=code.sent_payload())
            return
        person = staff_of(item.conversation_id) is not None
        sender = self._code_sender(item)
        if sender is None:
            error, again = f"no sender is set up for the {item.channel!r} channel", None
        elif await self._opted_out(item.channel or "", code.to):
            error, again = f"the number ***{code.to[-4:]} texted STOP: nothing is sent to it until START", None
        elif now >= code.until:
            error, again = "the code expired before it could be sent", None
        else:
            try:
                provider_id = await self._send_code(sender, item, code)
            except DeliveryFailed as exc:
                error, again = str(exc), next_code_try(code, item.attempts, now, exc.retryable)
            except Exception as exc:  # noqa: BLE001 - a sender's bug is one failed try, and is logged
                logger.exception("delivery %s: the %s sender failed", item.id, item.channel)
                error, again = f"the {item.channel} sender failed ({type(exc).__name__})", next_code_try(code, item.attempts, now, True)
            else:
                await asyncio.to_thread(self.store.delivery_done, item, SENT, None, now, provider_id=provider_id,
                                        payload=code.sent_payload())
                return
        logger.warning("code delivery %s to %s not sent (%s)%s", item.id, item.conversation_id, error,
                       "; will retry" if again else "; giving up")
        if again:
            await asyncio.to_thread(self.store.delivery_done, item, FAILED, error, now, again)
        else:  # a person's approval code has no conversation to tell: the request waits in the inbox
            await asyncio.to_thread(self.store.delivery_done, item, FAILED, error, now,
                                    payload=code.sent_payload(), then=None if person else CODE_NOT_SENT)

    def _code_sender(self, item: Delivery) -> Optional[SmsSender | PhoneChannel]:
        """The code's channel through Twilio when it is set up (SMS, or WhatsApp for a person who
        asked for it: sent once even after a try that got no answer), else the development outbox."""
        channel = self.channels.channels.get(item.channel or "")
        return channel if isinstance(channel, PhoneChannel) else self.texts.get(item.channel or "")

    @staticmethod
    async def _send_code(sender: SmsSender | PhoneChannel, item: Delivery, code: CodeText) -> Optional[str]:
        """Text the code; the provider's id for it (a phone channel keeps that with the delivery itself)."""
        if isinstance(sender, PhoneChannel):
            await sender.deliver(item, code.text, to=code.to)
            return None
        return await sender.send_sms(code.to, code.text)

    async def _opted_out(self, channel: str, address: str) -> bool:
        if self.addresses is None:
            return False
        return await asyncio.to_thread(self.addresses.opted_out, channel, address)
