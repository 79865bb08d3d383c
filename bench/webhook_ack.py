"""Webhook acknowledgement when the turn's action takes 20 s (``bench.slow_actions`` on both sides).

Twilio waits 15 s for a webhook's answer, then gives up on it (and may retry it). Ours answers
the SMS webhook as soon as the message is stored and runs the turn after; stock Rasa's twilio
channel runs the whole turn before it answers. Each sample is a greeting texted by a different
customer (so no turn waits for another's conversation lock). Ours: every acknowledgement, then
every reply reaching the fake Twilio once its turn finished. Stock: a few webhooks at once (each
costs the full delay), timed until the channel answers. The first ``WARMUP`` customers' webhooks
are sent first and not counted, as in every other measurement: the Rasa servers were just started
again, and a first request pays for what a server loads on first use.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import List

from bench.channels import TWILIO_WEBHOOK_TIMEOUT
from bench.latency import GREETING
from bench.sides import Side


@dataclass(frozen=True)
class AckSamples:
    delay_s: float
    ours_ms: List[float]
    ours_past_window: int  # webhooks Twilio would have given up on
    ours_replies: int  # replies that reached the fake Twilio after the slow turn
    ours_reply_ms: List[float]
    stock_ms: List[float]
    stock_past_window: int


WARMUP = 2


async def measure_ack(ours: Side, stock: Side, samples: int, stock_samples: int, delay_s: float) -> AckSamples:
    """``ours.customers`` holds ``WARMUP`` more customers than ``samples``."""
    for customer in ours.customers[:WARMUP]:
        await ours.sms.post(customer.phone, GREETING, timeout=TWILIO_WEBHOOK_TIMEOUT)
    ours_ms: List[float] = []
    posted = {}
    for customer in ours.customers[WARMUP:WARMUP + samples]:
        before = ours.sms.arrivals.count(customer.phone)
        started = time.perf_counter()
        try:
            ours_ms.append(await ours.sms.post(customer.phone, GREETING, timeout=TWILIO_WEBHOOK_TIMEOUT))
        except asyncio.TimeoutError:
            ours_ms.append(TWILIO_WEBHOOK_TIMEOUT * 1000)
        posted[customer.phone] = (before, started)
    replies = await asyncio.gather(*(ours.sms.arrivals.nth(phone, before + 1, delay_s + 90)
                                     for phone, (before, _) in posted.items()), return_exceptions=True)
    reply_ms = [(arrival.at - posted[phone][1]) * 1000 for phone, arrival in zip(posted, replies)
                if not isinstance(arrival, BaseException)]
    stock_ms = await asyncio.gather(*(_stock_ack(stock, customer.phone, delay_s)
                                      for customer in stock.customers[:stock_samples]))
    return AckSamples(delay_s, ours_ms, _past_window(ours_ms), len(reply_ms), reply_ms, list(stock_ms),
                      _past_window(stock_ms))


async def _stock_ack(stock: Side, phone: str, delay_s: float) -> float:
    """How long stock's twilio webhook took to answer (waiting past Twilio's 15 s to see the real figure)."""
    return await stock.sms.post(phone, GREETING, timeout=delay_s + 60)


def _past_window(samples_ms: List[float]) -> int:
    return sum(1 for ms in samples_ms if ms >= TWILIO_WEBHOOK_TIMEOUT * 1000)
