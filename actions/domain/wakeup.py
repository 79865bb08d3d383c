"""A wake-up: a follower (the inbox's change feed, its delivery worker) sleeps until a writer says
something changed, or until its safety net elapses.

Writers signal when their transaction commits (``actions.store.commit_signals``); the signal
may come from another thread or, through a listener, from another process. A signal can be
lost (a listener reconnecting, a full socket buffer), so a follower never waits longer than
its safety net and then looks anyway: the signal makes it prompt, the safety net keeps it correct.
"""

from __future__ import annotations

import asyncio
import threading
from typing import Optional, Protocol


class Wakeup:
    """A flag set from any thread and awaited by one task on the loop it was made on.

    Setting it several times before the follower wakes is one wake-up: the follower reads
    everything that changed since its last look, however many writers said so.
    """

    def __init__(self, loop: Optional[asyncio.AbstractEventLoop] = None) -> None:
        self._loop = loop or asyncio.get_running_loop()
        self._thread = threading.get_ident()
        self._event = asyncio.Event()

    def set(self) -> None:
        """Wake the follower; safe from any thread, and a no-op once its loop is closed."""
        if threading.get_ident() == self._thread:
            self._event.set()
            return
        try:
            self._loop.call_soon_threadsafe(self._event.set)
        except RuntimeError:  # the loop is closed: nobody is following any more
            pass

    async def wait(self, safety_net: float) -> bool:
        """Until set (True) or ``safety_net`` seconds passed (False); either way the flag is cleared,
        so a signal that arrives while the follower works wakes it again straight after."""
        if self._event.is_set() or safety_net <= 0:
            woken = self._event.is_set()
            self._event.clear()
            return woken
        try:
            await asyncio.wait_for(self._event.wait(), safety_net)
            return True
        except asyncio.TimeoutError:
            return False
        finally:
            self._event.clear()


class Listener(Protocol):
    """Where a follower waits: a wake-up fed by signals from other processes."""

    wakeup: Wakeup

    async def wait(self, safety_net: float) -> bool:
        """True if woken by a signal, False when ``safety_net`` seconds passed without one."""
        ...

    async def close(self) -> None:
        """Stop listening; a writer that signals afterwards is not troubled by it."""
        ...
