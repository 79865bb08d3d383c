"""Sustained load: simulated customers over mixed channels for a fixed time, on one side at a time.

Each customer keeps to one channel (REST, web chat and SMS in turn) and is a closed loop: send a
greeting, wait for the bot's reply, send the next at once; so throughput is what the system
sustains on this machine. Each message has an id (customer, sequence number) in the ledger:
- error: the channel refused it or failed (non-2xx, exception); no reply is waited for;
- lost: accepted, but no reply reached the customer within 60 s, or the conversation's tracker
  holds fewer of the customer's messages than were accepted (counted per channel);
- duplicated: the tracker holds more of them than were sent (a message turned twice).
Every conversation is a fresh one used by this customer only, so its tracker's user messages are
exactly the ones the ledger sent. Throughput counts the replies that arrived within the load's
time. Ours and stock get the same load, one after the other.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Tuple

import aiohttp

from bench.channels import NoReply, WebChat
from bench.customers import BenchCustomer
from bench.sides import Side

LOAD_TEXT = "hi there"
CHANNELS = ("rest", "webchat", "sms")


@dataclass
class Ledger:
    sent: Dict[str, int] = field(default_factory=Counter)  # conversation -> messages accepted
    channel_of: Dict[str, str] = field(default_factory=dict)  # conversation -> its channel
    answered_in_time: int = 0  # replies that arrived before the load's time was up
    no_reply: Dict[str, int] = field(default_factory=Counter)  # channel -> accepted, never answered
    errors: List[str] = field(default_factory=list)


@dataclass(frozen=True)
class LoadResult:
    side: str
    customers: int
    seconds: float
    turns: int  # answered within the load's time
    throughput: float  # answered turns per second of load
    lost: int
    duplicated: int
    errors: int
    error_kinds: Tuple[str, ...]
    lost_by_channel: Dict[str, int]


async def _customer(side: Side, customer: BenchCustomer, channel: str, page: Optional[WebChat], until: float,
                    ledger: Ledger) -> None:
    try:
        while time.monotonic() < until:
            if page is not None and not page.sio.connected:
                # the page's socket dropped (it happens to long-polling clients under load): counted, and the
                # page opens again, as a browser's would
                ledger.errors.append("webchat: the socket was disconnected; the page connected again")
                await page.close()
                page = await side.web_chat(customer)
            conversation = _conversation_of(side, customer, page)
            ledger.channel_of[conversation] = channel
            try:
                if page is not None:
                    await page.turn(LOAD_TEXT)
                elif channel == "rest":
                    await side.rest.turn(customer.phone, LOAD_TEXT)
                else:
                    await side.sms.turn(customer.phone, LOAD_TEXT)
            except NoReply:
                ledger.sent[conversation] += 1
                ledger.no_reply[channel] += 1
            except Exception as problem:  # noqa: BLE001 - every failure is counted and named in the report
                ledger.errors.append(f"{channel}: {type(problem).__name__}: {str(problem)[:120]}")
                await asyncio.sleep(0.5)
            else:
                ledger.sent[conversation] += 1
                ledger.answered_in_time += time.monotonic() <= until
    finally:
        if page is not None:
            await page.close()


def _conversation_of(side: Side, customer: BenchCustomer, page: Optional[WebChat]) -> str:
    """Whose tracker holds this customer's messages: ours keys every channel by the customer; stock
    keys REST and SMS by the sender's number and the web chat by the socket's session id."""
    if not side.stock:
        return customer.conversation_id
    return page.session_id if page is not None else customer.phone


async def run_load(side: Side, session: aiohttp.ClientSession, customers: List[BenchCustomer],
                   seconds: float) -> LoadResult:
    ledger = Ledger()
    channels = [CHANNELS[index % len(CHANNELS)] for index in range(len(customers))]
    # the web chat pages are open before the clock starts, as a customer's page is before they type
    pages = [await side.web_chat(customer) if channel == "webchat" else None
             for customer, channel in zip(customers, channels)]
    started = time.monotonic()
    until = started + seconds
    await asyncio.gather(*(_customer(side, customer, channel, page, until, ledger)
                           for customer, channel, page in zip(customers, channels, pages)))
    lost, duplicated = Counter(ledger.no_reply), 0
    for conversation, sent in ledger.sent.items():
        held = sum(1 for text in await side.tracker_user_texts(session, conversation) if text == LOAD_TEXT)
        lost[ledger.channel_of[conversation]] += max(0, sent - held)
        duplicated += max(0, held - sent)
    kinds = tuple(f"{count} x {kind}" for kind, count in Counter(ledger.errors).most_common(5))
    return LoadResult(side.name, len(customers), seconds, ledger.answered_in_time, ledger.answered_in_time / seconds,
                      sum(lost.values()), duplicated, len(ledger.errors), kinds, dict(lost))
