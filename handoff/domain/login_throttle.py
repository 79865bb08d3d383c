"""Slows down password guessing: a username that tried too often lately waits before trying again.

Each try is counted *before* its password is checked, in the same step that decides whether it
may be made at all (``LoginThrottle.try_now``). Guesses sent in parallel therefore cannot all
get in before the first failure is recorded: at most ``max_tries`` of them are ever checked. A
right password clears the count, so a person who mistyped a few times is not held up later.

Counted per username, not per address: guessing one person's password from many addresses
still waits, and other people are never held up.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol, Sequence

MAX_TRIES = 5
WINDOW = timedelta(minutes=15)


@dataclass(frozen=True)
class ThrottleRule:
    """At most ``max_tries`` password checks per username within any ``window``."""

    max_tries: int = MAX_TRIES
    window: timedelta = WINDOW

    def forgotten_before(self, now: datetime) -> datetime:
        """Tries at or before this moment no longer count."""
        return now - self.window

    def wait_seconds(self, recent: Sequence[datetime], now: datetime) -> int:
        """0 if one more try may be made now, else how long until one may.

        ``recent`` are the tries still counted (after ``forgotten_before(now)``), oldest first:
        the next try is allowed once enough of them have aged out. Never longer than the window,
        even if another inbox process whose clock runs ahead counted some of them.
        """
        if len(recent) < self.max_tries:
            return 0
        frees_at = recent[-self.max_tries] + self.window
        return min(max(1, math.ceil((frees_at - now).total_seconds())), math.ceil(self.window.total_seconds()))


class LoginThrottle(Protocol):
    """Where the tries are counted: one place for every inbox process (see ``handoff.login_throttle``)."""

    def try_now(self, username: str) -> int:
        """In one atomic step: may ``username`` try a password now? If so, count this try and return 0;
        if not, return the seconds to wait (and count nothing).

        "Now" is read from the throttle's clock once the step holds its lock, so a try that
        waited for the lock is never dated before one decided ahead of it.
        """
        ...

    def succeeded(self, username: str) -> None:
        """The password was right: forget the username's tries."""
        ...
