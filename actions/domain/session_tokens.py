"""The web chat's proof of who is writing: a short-lived signed token, good for one socket.

A browser has no phone number, so the page that knows the customer (the demo page here, the
shop's own login in production) asks the server for a token naming the customer's
conversation, and the chat sends it when its socket connects. The web chat's resolver
accepts a token only if it is genuine, fresh, and not already used by another socket: the
first socket to present it claims it, so a token copied out of a page, a log or a proxy
identifies nobody on a second socket. While the socket is open the server hands the page a
renewed token for its next connection (a reconnect or a reload), so tokens can live minutes,
not hours.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Callable, Mapping, Optional, Protocol

from actions.domain.links import LinkedCustomers
from actions.domain.sessions import (
    Identity,
    Refused,
    Resolution,
    customer_of,
    is_conversation_key,
    is_visitor,
    new_visitor_key,
)

VALID_FOR = timedelta(minutes=10)
#: A connected page gets a fresh token this often, so it always holds one for its next connection.
RENEW_EVERY = timedelta(minutes=4)
#: The page's server and the chat's server may disagree on the time by this much.
CLOCK_SKEW = timedelta(minutes=1)


@dataclass(frozen=True)
class TokenClaims:
    conversation_id: str
    token_id: str
    expires_at: datetime


class SessionTokens:
    """Issues and checks tokens with the secret the page's server and the chat's server share."""

    def __init__(self, secret: str, random_hex: Callable[[], str], valid_for: timedelta = VALID_FOR) -> None:
        if len(secret) < 32:
            raise ValueError("the identity secret must be at least 32 characters (set HITL_IDENTITY_SECRET)")
        self._key = secret.encode()
        self._random_hex = random_hex
        self.valid_for = valid_for

    def issue(self, conversation_id: str, now: datetime) -> str:
        """A token for one of the server's conversation ids (a customer's key or a visitor id)."""
        if not is_conversation_key(conversation_id):
            raise ValueError(f"tokens name a customer's key or a visitor id, not {conversation_id!r}")
        claims = {"c": conversation_id, "j": self._random_hex(), "e": int((now + self.valid_for).timestamp())}
        body = base64.urlsafe_b64encode(json.dumps(claims, separators=(",", ":")).encode()).decode().rstrip("=")
        return f"{body}.{self._sign(body)}"

    def verify(self, token: str, now: datetime) -> Optional[TokenClaims]:
        """The token's claims, or None if it is not genuine, malformed or expired."""
        body, _, signature = (token or "").partition(".")
        # bytes: compare_digest refuses non-ASCII text, and a token is whatever the browser sent
        if not body or len(body) > 512 or not hmac.compare_digest(signature.encode(), self._sign(body).encode()):
            return None
        try:
            claims = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
            conversation_id, token_id, expires = str(claims["c"]), str(claims["j"]), int(claims["e"])
        except (binascii.Error, ValueError, KeyError, TypeError):
            return None
        expires_at = datetime.fromtimestamp(expires, tz=timezone.utc)
        if not is_conversation_key(conversation_id) or now - CLOCK_SKEW > expires_at:
            return None
        if expires_at - now > self.valid_for + CLOCK_SKEW:  # issued for longer than this server allows
            return None
        return TokenClaims(conversation_id, token_id, expires_at)

    def _sign(self, body: str) -> str:
        return hmac.new(self._key, body.encode(), hashlib.sha256).hexdigest()[:32]


class TokenClaimStore(Protocol):
    def claim(self, token_id: str, socket_id: str, expires_at: datetime) -> bool:
        """Bind the token to the socket; False if another socket holds it already."""
        ...


class WebChatResolver:
    """Web chat: the signed token, claimed by the first socket that presents it.

    No token means a new visitor, with a fresh id from the server. A token that is forged,
    expired, or already claimed by another socket is refused; the channel then treats the
    socket as a new visitor and logs the attempt. A genuine token for a visitor id that has
    since been linked to a customer by a code (``actions.domain.links``) is that customer's:
    a reload after signing in in the chat stays signed in. The link counts for that visitor
    id only.
    """

    channel = "webchat"

    def __init__(self, tokens: SessionTokens, claims: TokenClaimStore, now: Callable[[], datetime],
                 random_hex: Callable[[], str], links: Optional[LinkedCustomers] = None) -> None:
        self.tokens = tokens
        self.claims = claims
        self.now = now
        self.random_hex = random_hex
        self.links = links

    def resolve(self, evidence: Mapping[str, str]) -> Resolution:
        token, socket_id = evidence.get("token") or "", evidence.get("socket") or ""
        if not socket_id:
            return Refused("the web chat resolver needs the socket the token arrived on")
        if not token:
            return self.new_visitor()
        claims = self.tokens.verify(token, self.now())
        if claims is None:
            return Refused("the identity token is not genuine or has expired")
        if not self.claims.claim(claims.token_id, socket_id, claims.expires_at):
            return Refused("the identity token was already used by another connection")
        customer_id = customer_of(claims.conversation_id)
        if customer_id is not None:
            return Identity.customer(customer_id, self.channel, "signed_token")
        return self.linked(claims.conversation_id) or Identity.visitor(claims.conversation_id, self.channel)

    def linked(self, conversation_id: str) -> Optional[Identity]:
        """The customer a visitor's conversation was proven to be, if it was."""
        if self.links is None or not is_visitor(conversation_id):
            return None
        link = self.links.linked(conversation_id)
        return Identity.customer(link.customer_id, self.channel, "signed_token+otp_link") if link else None

    def new_visitor(self) -> Identity:
        return Identity.visitor(new_visitor_key(self.random_hex), self.channel)


class MemoryTokenClaims:
    """Claims held in memory: for one chat server process, and the reference for the SQL store."""

    def __init__(self) -> None:
        self._claims: dict = {}

    def claim(self, token_id: str, socket_id: str, expires_at: datetime) -> bool:
        holder = self._claims.setdefault(token_id, socket_id)
        return holder == socket_id


