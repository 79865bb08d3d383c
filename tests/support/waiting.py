"""Waiting for something another thread or process does, with a deadline that says what did not happen."""

from __future__ import annotations

import time
from typing import Callable


def eventually(check: Callable[[], bool], seconds: float, what: str, interval: float = 0.3) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {seconds:.0f} s: {what}")
        time.sleep(interval)
