"""Small text helpers shared by both Acme backends: phone numbers and dates.

Kept apart from the database code so the HTTP backend can normalise phone numbers the
same way without importing SQLAlchemy.
"""

from __future__ import annotations

import re
from datetime import date

_PREFIXES = ("whatsapp:", "tel:", "sms:")
_SEPARATORS = re.compile(r"[\s\-().]")


def normalize_phone(raw: str) -> str:
    """Turn what a channel hands us into the E.164 form customers are stored under.

    Twilio sends ``whatsapp:+15550100001``, people type ``+1 555-010-0001`` or
    ``(555) 010 0001``: strip channel prefixes and separators, and turn an international
    ``00`` prefix into ``+``. No country code is guessed: a number without one is returned
    as bare digits with a ``+`` so it simply won't match anyone rather than match the
    wrong person.
    """
    text = raw.strip()
    lowered = text.lower()
    for prefix in _PREFIXES:
        if lowered.startswith(prefix):
            text = text[len(prefix):]
            break
    text = _SEPARATORS.sub("", text)
    if text.startswith("00"):
        text = "+" + text[2:]
    if not text.startswith("+"):
        text = "+" + text
    return text


def format_day(day: date) -> str:
    """``Friday 12 June``: a delivery date as a customer would say it (portable, no %-d)."""
    return f"{day:%A} {day.day} {day:%B}"
