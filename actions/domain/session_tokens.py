"""The web chat's proof of who is writing: a short-lived signed token, bound to the browser.

A browser has no phone number, so the page that knows the customer (the demo page here, the
shop's own login in production) asks the server for a token naming the customer's
conversation, and the chat sends it when its socket connects. The page's server also gives
the browser a random browser-session secret in an HttpOnly cookie that dies with the browser
session, and the token carries a hash of that secret (``TokenClaims.binding``), never the
secret. The browser sends the cookie to the chat's server with the socket's handshake (the
two servers share a host name), and the web chat's resolver accepts a token only if:

- it is genuine and fresh (HMAC-signed, 10 minutes);
- a bound token arrives with the cookie it was bound to: a token copied out of a page, a
  log or a proxy identifies nobody from another browser, even before its page used it (the
  check comes before the claim, so the copy doesn't use the token up either);
- no other socket used it already: the first socket to present a token claims it.

While the socket is open the server hands the page renewed tokens for its next connection
(a reconnect or a reload), bound like the socket (to the cookie it came with), so tokens live
minutes, not hours; handing a socket a renewed token claims the one it was handed before for
that socket, so a renewal the page never used works nowhere else.

A browser that refuses cookies (a guest) sends none: its socket gets unbound tokens, which
are protected by the claim alone. A page's server always binds the tokens it issues.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
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
#: A browser-session secret as a page's server makes it (``secrets.token_urlsafe(32)``).
BROWSER_SECRET = re.compile(r"[A-Za-z0-9_-]{43}")
#: What a token carries of it (``browser_binding``).
BINDING = re.compile(r"[0-9a-f]{32}")


def is_browser_secret(value: object) -> bool:
    """Whether ``value`` has the shape of a browser-session secret (anything else counts as none)."""
    return isinstance(value, str) and BROWSER_SECRET.fullmatch(value) is not None


def browser_binding(secret: str) -> str:
    """What a token carries of the browser-session secret: a hash, which gives the secret away to
    no one who reads the token."""
    if not is_browser_secret(secret):
        raise ValueError("a token is bound to a browser-session secret of 43 url-safe characters")
    return hashlib.sha256(b"acme-chat-browser:" + secret.encode()).hexdigest()[:32]


@dataclass(frozen=True)
class TokenClaims:
    conversation_id: str
    token_id: str
    expires_at: datetime
    #: ``browser_binding`` of the browser-session secret the token is bound to; None: not bound.
    binding: Optional[str] = None

    def fits(self, browser: str) -> bool:
        """Whether a socket that came with the cookie ``browser`` ("" for none) may use the token."""
        if self.binding is None:
            return True
        return is_browser_secret(browser) and hmac.compare_digest(self.binding, browser_binding(browser))


class SessionTokens:
    """Issues and checks tokens with the secret the page's server and the chat's server share."""

    def __init__(self, secret: str, random_hex: Callable[[], str], valid_for: timedelta = VALID_FOR) -> None:
        if len(secret) < 32:
            raise ValueError("the identity secret must be at least 32 characters (set HITL_IDENTITY_SECRET)")
        self._key = secret.encode()
        self._random_hex = random_hex
        self.valid_for = valid_for

    def issue(self, conversation_id: str, now: datetime, browser: Optional[str] = None) -> str:
        """A token for one of the server's conversation ids (a customer's key or a visitor id), bound
        to the browser-session secret ``browser`` if one is given."""
        if not is_conversation_key(conversation_id):
            raise ValueError(f"tokens name a customer's key or a visitor id, not {conversation_id!r}")
        claims = {"c": conversation_id, "j": self._random_hex(), "e": int((now + self.valid_for).timestamp())}
        if browser is not None:
            claims["b"] = browser_binding(browser)
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
            binding = claims.get("b")
        except (binascii.Error, ValueError, KeyError, TypeError):
            return None
        if binding is not None and not (isinstance(binding, str) and BINDING.fullmatch(binding)):
            return None
        expires_at = datetime.fromtimestamp(expires, tz=timezone.utc)
        if not is_conversation_key(conversation_id) or now - CLOCK_SKEW > expires_at:
            return None
        if expires_at - now > self.valid_for + CLOCK_SKEW:  # issued for longer than this server allows
            return None
        return TokenClaims(conversation_id, token_id, expires_at, binding)

    def _sign(self, body: str) -> str:
        return hmac.new(self._key, body.encode(), hashlib.sha256).hexdigest()[:32]


class TokenClaimStore(Protocol):
    def claim(self, token_id: str, socket_id: str, expires_at: datetime) -> bool:
        """Bind the token to the socket; False if another socket holds it already."""
        ...


class WebChatResolver:
    """Web chat: the signed token, from the browser it was bound to, claimed by the first socket.

    Evidence: ``token`` (what the page presented, "" for none), ``socket`` (the socket's id)
    and ``browser`` (its browser-session cookie, "" for none). No token means a new visitor,
    with a fresh id from the server. A token that is forged, expired, bound to another
    browser (or to a cookie this socket did not bring), or already claimed by another socket
    is refused; the channel then treats the socket as a new visitor and logs the attempt. A
    genuine token for a visitor id that has since been linked to a customer by a code
    (``actions.domain.links``) is that customer's: a reload after signing in in the chat stays
    signed in. The link counts for that visitor id only.
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
        if not claims.fits(evidence.get("browser") or ""):  # before the claim: a copy must not use it up
            return Refused("the identity token is bound to another browser session")
        if not self.claims.claim(claims.token_id, socket_id, claims.expires_at):
            return Refused("the identity token was already used by another connection")
        customer_id = customer_of(claims.conversation_id)
        if customer_id is not None:
            return Identity.customer(customer_id, self.channel, "signed_token")
        return self.linked(claims.conversation_id) or Identity.visitor(claims.conversation_id, self.channel)

    def renewal(self, conversation_id: str, socket_id: str, browser: str, replacing: str = "") -> str:
        """A token for the socket's next connection, bound to the cookie the socket came with (unbound
        if it came with none). The token it replaces (the socket's previous renewal) is claimed for
        this socket, so if the page never used it, no other socket can."""
        previous = self.tokens.verify(replacing, self.now()) if replacing else None
        if previous is not None:
            self.claims.claim(previous.token_id, socket_id, previous.expires_at)
        return self.tokens.issue(conversation_id, self.now(), browser if is_browser_secret(browser) else None)

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


