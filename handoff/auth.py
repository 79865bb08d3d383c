"""Logins, sessions and CSRF for the inbox.

A session is a random token in an HttpOnly, SameSite=Strict cookie (Secure over HTTPS); the
database keeps only its SHA-256, so a copy of the table opens no session. Each session has its
own CSRF token, which every state-changing request must echo (header or form field), and the
websocket must send as its first message.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta
from typing import Optional, Tuple

from aiohttp import web

from handoff.domain.people import User
from handoff.passwords import check_password
from handoff.store import InboxStore

SESSION_COOKIE = "inbox_session"
LOGIN_CSRF_COOKIE = "inbox_login_csrf"
SESSION_LENGTH = timedelta(hours=12)
#: Spent on an unknown username too, so response times don't tell which usernames exist.
_DUMMY_HASH = "scrypt$16384$8$1$00000000000000000000000000000000$" + "0" * 64


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def log_in(store: InboxStore, username: str, password: str, now: datetime) -> Optional[Tuple[User, str, str]]:
    """Check the password; on success open a session and return (user, cookie token, csrf token)."""
    if "\x00" in username or "\x00" in password:  # matches no one, and PostgreSQL can't even look it up
        check_password(password, _DUMMY_HASH)
        return None
    found = store.user(username.strip().lower())
    if found is None:
        check_password(password, _DUMMY_HASH)
        return None
    user, stored = found
    if not check_password(password, stored):
        return None
    token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    store.open_session(token_hash(token), user.username, csrf, now, now + SESSION_LENGTH)
    return user, token, csrf


def current(store: InboxStore, request: web.Request, now: datetime) -> Optional[Tuple[User, str]]:
    token = request.cookies.get(SESSION_COOKIE)
    return store.session(token_hash(token), now) if token else None


def set_cookie(response: web.StreamResponse, request: web.Request, name: str, value: str, secure: bool,
               max_age: int) -> None:
    response.set_cookie(name, value, httponly=True, samesite="Strict", secure=secure or request.secure,
                        max_age=max_age, path="/")


def csrf_ok(expected: str, given: object) -> bool:
    """True only for the expected token; anything else (absent, not text, not ASCII) is simply wrong.

    ``compare_digest`` raises on non-ASCII text, so both sides are compared as bytes.
    """
    if not isinstance(given, str) or not given:
        return False
    return hmac.compare_digest(expected.encode("utf-8", "surrogatepass"), given.encode("utf-8", "surrogatepass"))


def same_origin(request: web.Request) -> bool:
    """A browser always sends Origin on cross-site POSTs and websockets; it must be this host."""
    origin = request.headers.get("Origin")
    if origin is None:
        return True
    return origin.split("://", 1)[-1] == request.host
