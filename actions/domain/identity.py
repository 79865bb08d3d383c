"""Who a web-chat customer is: a short-lived token the shop's signed-in page hands the widget.

On SMS and WhatsApp the phone number is the identity; a browser has none, so the page that
knows the customer (here the demo page; in production the shop's own login) issues a token
signed with a secret the action server shares, and the widget sends it with every message.
A forged, altered or stale token identifies nobody: the customer is treated as a stranger.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import datetime, timedelta
from typing import Optional

VALID_FOR = timedelta(hours=12)
#: The page's server and the action server may disagree on the time by this much.
CLOCK_SKEW = timedelta(minutes=1)


class CustomerTokens:
    def __init__(self, secret: str) -> None:
        if len(secret) < 32:
            raise ValueError("the identity secret must be at least 32 characters (set HITL_IDENTITY_SECRET)")
        self._key = secret.encode()

    def issue(self, phone: str, now: datetime) -> str:
        body = base64.urlsafe_b64encode(f"{phone}|{int(now.timestamp())}".encode()).decode().rstrip("=")
        return f"{body}.{self._sign(body)}"

    def verify(self, token: str, now: datetime) -> Optional[str]:
        """The phone number the token was issued for, or None if it is not genuine and fresh."""
        body, _, signature = (token or "").partition(".")
        # bytes: compare_digest refuses non-ASCII text, and a token is whatever the browser sent
        if not body or not hmac.compare_digest(signature.encode(), self._sign(body).encode()):
            return None
        try:
            phone, _, issued = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)).decode().rpartition("|")
            age = now.timestamp() - int(issued)
        except (ValueError, UnicodeDecodeError):
            return None
        return phone if phone and -CLOCK_SKEW.total_seconds() <= age <= VALID_FOR.total_seconds() else None

    def _sign(self, body: str) -> str:
        return hmac.new(self._key, body.encode(), hashlib.sha256).hexdigest()[:32]
