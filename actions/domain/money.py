"""Money is integer cents everywhere; these helpers parse what customers type and print it back."""

from __future__ import annotations

import re
from typing import Optional

_WITH_SIGN = re.compile(r"\$\s?(\d{1,7}(?:,\d{3})*(?:\.\d{1,2})?)(?![\d,.]\d)")
_WITH_WORD = re.compile(r"\b(\d{1,7}(?:\.\d{1,2})?)\s?(?:dollars?|usd|bucks)\b", re.IGNORECASE)
_BARE = re.compile(r"(?<![\d.,$-])(\d{1,7}(?:\.\d{1,2})?)(?![\d.,])")


def cents(amount: str) -> int:
    """'42.5' -> 4250. Raises ValueError for anything that is not a plain decimal amount."""
    whole, _, frac = amount.replace(",", "").partition(".")
    if not whole.isdigit() or (frac and not frac.isdigit()) or len(frac) > 2:
        raise ValueError(f"not an amount: {amount!r}")
    return int(whole) * 100 + int((frac + "00")[:2])


def parse_amount(text: str, *, bare_number_ok: bool = False) -> Optional[int]:
    """Find a money amount ("$42.50", "20 dollars") in free text, in cents.

    A bare number ("30") only counts when the caller asked for an amount, because in a
    message like "refund order 1001" the number is an order id, not money.
    """
    for pattern in (_WITH_SIGN, _WITH_WORD):
        match = pattern.search(text)
        if match:
            return cents(match.group(1))
    if bare_number_ok:
        match = _BARE.search(text)
        if match:
            return cents(match.group(1))
    return None


def format_cents(amount_cents: int) -> str:
    """4250 -> '$42.50'."""
    sign = "-" if amount_cents < 0 else ""
    value = abs(amount_cents)
    return f"{sign}${value // 100:,}.{value % 100:02d}"
