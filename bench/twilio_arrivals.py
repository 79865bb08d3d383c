"""When each message reached the fake Twilio, to the millisecond, and a way to wait for the next one.

The fake keeps messages with Twilio's own ``date_created`` (RFC 2822, whole seconds): too coarse
for a latency. ``Arrivals`` observes the in-process fake's messages (``FakeTwilio.on_message``) and
stamps each with ``time.perf_counter()`` the moment the fake stores it; waiters on an asyncio loop
are woken through ``call_soon_threadsafe``.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections import defaultdict
from dataclasses import dataclass
from typing import Any, Dict, List, Tuple

from devtools.fake_twilio import FakeTwilio


@dataclass(frozen=True)
class Arrival:
    to: str
    body: str
    at: float  # time.perf_counter()


class Arrivals:
    def __init__(self, fake: FakeTwilio) -> None:
        self._lock = threading.Lock()
        self._by_number: Dict[str, List[Arrival]] = defaultdict(list)
        self._waiters: Dict[str, List[Tuple[asyncio.AbstractEventLoop, asyncio.Future, int]]] = defaultdict(list)
        fake.on_message(lambda resource: self._arrived(Arrival(resource.get("to", ""), resource.get("body", ""),
                                                               time.perf_counter())))

    def _arrived(self, arrival: Arrival) -> None:
        with self._lock:
            seen = self._by_number[arrival.to]
            seen.append(arrival)
            waiting, kept = self._waiters[arrival.to], []
            for loop, future, count in waiting:
                if len(seen) >= count:
                    loop.call_soon_threadsafe(_resolve, future, seen[count - 1])
                else:
                    kept.append((loop, future, count))
            self._waiters[arrival.to] = kept

    def count(self, number: str) -> int:
        with self._lock:
            return len(self._by_number[number])

    def to(self, number: str) -> List[Arrival]:
        with self._lock:
            return list(self._by_number[number])

    async def nth(self, number: str, count: int, timeout: float) -> Arrival:
        """The ``count``-th message (1-based) sent to ``number``, waiting up to ``timeout`` seconds for it."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future = loop.create_future()
        with self._lock:
            seen = self._by_number[number]
            if len(seen) >= count:
                return seen[count - 1]
            waiter = (loop, future, count)
            self._waiters[number].append(waiter)
        try:
            return await asyncio.wait_for(future, timeout)
        finally:
            with self._lock:
                if waiter in self._waiters[number]:
                    self._waiters[number].remove(waiter)

    async def containing(self, number: str, words: str, after: int, timeout: float) -> Arrival:
        """The first message to ``number`` after its first ``after`` ones whose body has ``words``."""
        deadline = time.perf_counter() + timeout
        count = after + 1
        while True:
            arrival = await self.nth(number, count, max(0.01, deadline - time.perf_counter()))
            if words in arrival.body:
                return arrival
            count += 1


def _resolve(future: asyncio.Future, arrival: Arrival) -> None:
    if not future.done():
        future.set_result(arrival)
