"""How the demo retailer writes dates in what it tells customers.

Phone numbers are read in one place for every backend and channel: ``actions.domain.phones``.
"""

from __future__ import annotations

from datetime import date


def format_day(day: date) -> str:
    """``Friday 12 June``: a delivery date as a customer would say it (portable, no %-d)."""
    return f"{day:%A} {day.day} {day:%B}"
