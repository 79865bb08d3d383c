"""Reading the policy file strictly: typed accessors that name the key path of anything malformed.

A typo that silently falls back to a default is how risky actions slip through, so every
accessor refuses what it can't read exactly, with a message that says what to write instead.
"""

from __future__ import annotations

import re
from datetime import date, time, timedelta
from typing import Any, Dict, Optional, Tuple
from urllib.parse import urlsplit

_DURATION = re.compile(r"(\d+)\s*(s|m|h)")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600}
_CLOCK_RANGE = re.compile(r"([01]\d|2[0-3]):([0-5]\d)\s*-\s*([01]\d|2[0-3]|24):([0-5]\d)")


class PolicyError(ValueError):
    """The policy file is unusable; the message names the key and what to write instead."""


class PolicyReader:
    """Typed accessors that turn a malformed value into a PolicyError naming its key path."""

    def __init__(self, source: str) -> None:
        self.source = source

    def error(self, key: str, problem: str) -> PolicyError:
        return PolicyError(f"risk policy {self.source}: '{key}' {problem}")

    def mapping(self, value: Any, key: str, required: Tuple[str, ...] = (), optional: Tuple[str, ...] = ()) -> Dict[str, Any]:
        where = key or "the top level"
        if not isinstance(value, dict):
            raise PolicyError(f"risk policy {self.source}: {where} must be a mapping, got {type(value).__name__}")
        missing = [name for name in required if name not in value]
        if missing:
            raise self.error(join_key(key, missing[0]), "is missing")
        if required or optional:
            allowed = set(required) | set(optional)
            unknown = sorted(str(name) for name in value if name not in allowed)
            if unknown:
                raise self.error(join_key(key, unknown[0]), f"is not a known key (expected one of: {', '.join(sorted(allowed))})")
        return value

    def sequence(self, value: Any, key: str) -> list:
        if not isinstance(value, list):
            raise self.error(key, f"must be a list, got {type(value).__name__}")
        return value

    def text(self, value: Any, key: str) -> str:
        if not isinstance(value, (str, int, float)) or isinstance(value, bool) or str(value).strip() == "":
            raise self.error(key, "must be a non-empty text")
        return str(value)

    def choice(self, value: Any, key: str, options: Tuple[str, ...]) -> str:
        if value not in options:
            raise self.error(key, f"must be one of {', '.join(options)}, got {value!r}")
        return value

    def number(self, value: Any, key: str, low: float, high: float) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= value <= high:
            raise self.error(key, f"must be a number between {low} and {high}, got {value!r}")
        return float(value)

    def positive_int(self, value: Any, key: str) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
            raise self.error(key, f"must be a whole number above 0, got {value!r}")
        return value

    def non_negative_int(self, value: Any, key: str) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise self.error(key, f"must be a whole number of 0 or more, got {value!r}")
        return value

    def duration(self, value: Any, key: str) -> timedelta:
        match = _DURATION.fullmatch(str(value).strip()) if isinstance(value, str) else None
        if not match or int(match.group(1)) == 0:
            raise self.error(key, f"must be a duration like 90s, 10m or 1h, got {value!r}")
        return timedelta(seconds=int(match.group(1)) * _UNIT_SECONDS[match.group(2)])

    def money(self, value: Any, key: str) -> int:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
            raise self.error(key, f"must be a positive amount in dollars, got {value!r}")
        return round(value * 100)


    def clock_range(self, value: Any, key: str) -> Optional[Tuple[time, Optional[time]]]:
        """'09:00-18:00' -> (9:00, 18:00); '09:00-24:00' runs to midnight (None); 'closed' -> None."""
        if value == "closed":
            return None
        match = _CLOCK_RANGE.fullmatch(value.strip()) if isinstance(value, str) else None
        if not match or (match.group(3) == "24" and match.group(4) != "00"):
            raise self.error(key, f"must be opening hours like \"09:00-18:00\" (24-hour clock) or closed, got {value!r}")
        opens = time(int(match.group(1)), int(match.group(2)))
        closes = None if match.group(3) == "24" else time(int(match.group(3)), int(match.group(4)))
        if closes is not None and closes <= opens:
            raise self.error(key, f"must close after it opens, got {value!r} (write 24:00 for midnight)")
        return opens, closes

    def calendar_date(self, value: Any, key: str) -> date:
        """A date written 2026-12-25 (YAML reads it as a date already; a quoted one is parsed)."""
        if isinstance(value, date):
            return value
        try:
            return date.fromisoformat(value) if isinstance(value, str) else date.fromisoformat("")
        except ValueError:
            raise self.error(key, f"must be a date like 2026-12-25, got {value!r}") from None

    def web_address(self, value: Any, key: str) -> str:
        """An http(s) URL with a host."""
        text = value.strip() if isinstance(value, str) else ""
        parts = urlsplit(text)
        if parts.scheme not in ("http", "https") or not parts.netloc or " " in text:
            raise self.error(key, f"must be a web address starting with https:// or http://, got {value!r}")
        return text


def join_key(prefix: str, name: str) -> str:
    return f"{prefix}.{name}" if prefix else name
