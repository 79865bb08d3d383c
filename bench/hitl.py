"""The hops between the bot and people, on our stack only (stock Rasa has no inbox to compare with).

Every sample uses a fresh bench customer, so no ticket or approval of one sample meets another's.

- Handoff: from the ticket's ``created_at`` (stamped by the action server when the risk check
  decides "handoff", before the evidence pack is assembled and stored) to a signed-in agent's
  inbox websocket client holding the ticket with its evidence pack (the "created" push, then
  ``GET /api/tickets/{id}`` with ``evidence``). Both clocks are this machine's wall clock.
- Agent reply: from the agent's ``POST /api/tickets/{id}/reply`` leaving to the message reaching
  the customer: at the fake Twilio (SMS), or on the customer's web chat socket.
- Approval loop: a $700 refund (above the bot's limit) asked and confirmed by SMS; from the
  manager's ``POST /api/approvals/{id}/approve`` leaving, through the refund executed, to the
  customer's text reaching the fake Twilio.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime
from typing import Dict, List, Optional

import aiohttp

from bench.channels import REPLY_TIMEOUT
from bench.customers import BenchCustomer
from bench.inbox_client import InboxRefused, Page, Person
from bench.sides import Side

HANDOFF_REQUEST = "I want to talk to a person"
WAIT = 30.0


@dataclass(frozen=True)
class HitlSamples:
    handoff_ms: List[float]
    reply_sms_ms: List[float]
    reply_webchat_ms: List[float]
    approval_ms: List[float]


class Hops:
    def __init__(self, side: Side, session: aiohttp.ClientSession, inbox_url: str) -> None:
        self.side, self.session, self.inbox_url = side, session, inbox_url
        self.agent: Optional[Person] = None
        self.manager: Optional[Person] = None
        self.page: Optional[Page] = None

    async def open(self) -> "Hops":
        self.agent = await Person(self.session, self.inbox_url, "ali").sign_in()
        self.manager = await Person(self.session, self.inbox_url, "maria").sign_in()
        self.page = await Page(self.agent).open()
        return self

    async def close(self) -> None:
        if self.page is not None:
            await self.page.close()

    async def _ticket_seen(self) -> tuple[float, Dict]:
        """The next ticket pushed to the agent's page, read with its evidence: (ms since created, ticket)."""
        assert self.page is not None and self.agent is not None
        _, ticket_id = await self.page.next_ticket_created(WAIT)
        ticket = await self.agent.get(f"/api/tickets/{ticket_id}")
        received = time.time()
        if not ticket.get("evidence"):
            raise InboxRefused(f"ticket {ticket_id} reached the inbox without its evidence pack")
        created = datetime.fromisoformat(ticket["created_at"].replace("Z", "+00:00")).timestamp()
        return (received - created) * 1000, ticket

    async def _claim(self, ticket: Dict) -> None:
        assert self.agent is not None
        await self.agent.post(f"/api/tickets/{ticket['id']}/claim", {"version": ticket["version"]})

    async def by_sms(self, customer: BenchCustomer) -> tuple[float, float]:
        """Handoff and agent reply for a customer texting: (handoff ms, reply ms)."""
        assert self.agent is not None
        sms, arrivals = self.side.sms, self.side.sms.arrivals
        await sms.post(customer.phone, HANDOFF_REQUEST)
        handoff_ms, ticket = await self._ticket_seen()
        await arrivals.containing(customer.phone, "specialist", 0, WAIT)  # the bot's own words first
        await self._claim(ticket)
        await sms.settle(customer.phone)
        words = f"Hello {customer.id}, this is Ali."
        before = arrivals.count(customer.phone)
        started = time.perf_counter()
        await self.agent.post(f"/api/tickets/{ticket['id']}/reply", {"text": words})
        arrival = await arrivals.containing(customer.phone, words, before, REPLY_TIMEOUT)
        return handoff_ms, (arrival.at - started) * 1000

    async def by_web_chat(self, customer: BenchCustomer) -> tuple[float, float]:
        """Handoff and agent reply for a customer on the web chat: (handoff ms, reply ms)."""
        assert self.agent is not None
        page = await self.side.web_chat(customer)
        try:
            await page.sio.emit("user_uttered", {"message": HANDOFF_REQUEST})
            handoff_ms, ticket = await self._ticket_seen()
            await page.reply_containing("specialist", WAIT)
            await self._claim(ticket)
            words = f"Hi {customer.id}, Ali here on the chat."
            started = time.perf_counter()
            await self.agent.post(f"/api/tickets/{ticket['id']}/reply", {"text": words})
            return handoff_ms, (await page.reply_containing(words) - started) * 1000
        finally:
            await page.close()

    async def approval(self, customer: BenchCustomer) -> float:
        """A refund above the limit, confirmed by SMS, approved by the manager: ms to the customer's text."""
        assert self.manager is not None
        sms, arrivals = self.side.sms, self.side.sms.arrivals
        await sms.post(customer.phone, f"I want $700 back for order {customer.order_id}")
        await arrivals.containing(customer.phone, "YES", 0, WAIT)
        await sms.settle(customer.phone)
        seen = arrivals.count(customer.phone)
        await sms.post(customer.phone, "yes")
        await arrivals.containing(customer.phone, "approval", seen, WAIT)
        await sms.settle(customer.phone)
        approval = await self._pending_approval(customer)
        before = arrivals.count(customer.phone)
        started = time.perf_counter()
        await self.manager.post(f"/api/approvals/{approval['id']}/approve", {"version": approval["version"]})
        arrival = await arrivals.containing(customer.phone, "approved", before, REPLY_TIMEOUT)
        return (arrival.at - started) * 1000

    async def _pending_approval(self, customer: BenchCustomer) -> Dict:
        assert self.manager is not None
        for item in await self.manager.get("/api/approvals?state=pending"):
            if (item.get("customer") or {}).get("id") == customer.id:
                return item
        raise InboxRefused(f"no pending approval for {customer.id}'s $700 refund")


async def measure_hops(side: Side, session: aiohttp.ClientSession, inbox_url: str,
                       customers: List[BenchCustomer], samples: int) -> HitlSamples:
    """``samples`` of each hop; needs ``3 * samples`` fresh customers."""
    if len(customers) < 3 * samples:
        raise ValueError(f"{3 * samples} fresh customers are needed for {samples} samples of each hop")
    hops = await Hops(side, session, inbox_url).open()
    handoff, by_sms, by_chat, approval = [], [], [], []
    try:
        for index in range(samples):
            handed, replied = await hops.by_sms(customers[index])
            handoff.append(handed)
            by_sms.append(replied)
            handed, replied = await hops.by_web_chat(customers[samples + index])
            handoff.append(handed)
            by_chat.append(replied)
            approval.append(await hops.approval(customers[2 * samples + index]))
    finally:
        await hops.close()
    return HitlSamples(handoff, by_sms, by_chat, approval)
