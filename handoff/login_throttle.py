"""Slows down password guessing: after a few wrong passwords a username waits before trying again.

Counted per username (guessing one person's password from many addresses still waits) and
kept in this process's memory: a restart forgets the count, and each inbox process counts
its own tries. Enough to turn thousands of guesses an hour into a handful.
"""

from __future__ import annotations

import threading
from datetime import datetime, timedelta
from typing import Dict, List

MAX_FAILURES = 5
WINDOW = timedelta(minutes=15)


class LoginThrottle:
    def __init__(self, max_failures: int = MAX_FAILURES, window: timedelta = WINDOW) -> None:
        self.max_failures = max_failures
        self.window = window
        self._failures: Dict[str, List[datetime]] = {}
        self._lock = threading.Lock()

    def wait_seconds(self, username: str, now: datetime) -> int:
        """How long ``username`` must wait before the next try; 0 when it may try now."""
        with self._lock:
            recent = self._recent(username, now)
            if len(recent) < self.max_failures:
                return 0
            return max(1, int((recent[0] + self.window - now).total_seconds()))

    def failed(self, username: str, now: datetime) -> None:
        with self._lock:
            self._failures[username] = self._recent(username, now) + [now]

    def succeeded(self, username: str) -> None:
        with self._lock:
            self._failures.pop(username, None)

    def _recent(self, username: str, now: datetime) -> List[datetime]:
        return [at for at in self._failures.get(username, []) if now - at < self.window]
