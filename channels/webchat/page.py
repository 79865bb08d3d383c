"""The customer chat page on an aiohttp app: ``GET /chat`` and the chat's static files.

The browser talks to the Rasa server's web chat channel (``channels/webchat/socket_channel.py``)
directly; this page only hands the chat its settings. Every chat page (a customer's or a
guest's) gives the browser a random browser-session secret in a cookie
(``protocol.BROWSER_COOKIE``: HttpOnly, SameSite=Strict, Path=/, no expiry, so it dies with
the browser session; Secure over HTTPS), or keeps the one it has, so the tabs of one browser
share it. Who the customer is travels as a short-lived token naming the customer's
conversation, made by ``issue_token(customer_id, browser_secret)``: it is bound to that
secret (it carries a hash of it), good for one connection and only from this browser; the
chat server renews it while the page is open. A guest gets no token: the chat server gives
the page a visitor conversation of its own.

Cookies go by host name, not port: the page must be opened on the chat server's host name
(``socket_url``'s) or the browser won't send the cookie with the socket, and a signed-in
customer would be refused. A page asked for under another loopback name (``localhost`` for
``127.0.0.1``) is redirected to the right one; under any other name it says where to open it.
"""

from __future__ import annotations

import re
import secrets
from pathlib import Path
from typing import Any, Callable, Dict, Mapping, Optional
from urllib.parse import urlsplit

from aiohttp import web

from actions.acme.seed import DemoCustomer
from actions.domain.session_tokens import is_browser_secret
from channels.webchat.protocol import BROWSER_COOKIE, INIT_PAYLOAD
from channels.webchat.render import (
    GUEST,
    STATIC_PREFIX,
    chat_page,
    error_page,
    sign_in_page,
)

STATIC_DIR = Path(__file__).parent / "static"
#: A host (a name or an IP, and a port) that can be written into a header as it is.
PLAIN_HOST = re.compile(r"(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::[0-9]{1,5})?")
#: Names of this machine: a page asked for under one of them may be sent to the chat server's.
LOOPBACK_NAMES = {"localhost", "127.0.0.1", "::1"}
#: Makes a token for (customer id, browser-session secret), bound to that secret.
IssueToken = Callable[[str, str], str]


def add_webchat_routes(
    app: web.Application,
    *,
    socket_url: str,
    customers: Mapping[str, DemoCustomer],
    issue_token: IssueToken,
    secure_cookies: bool = False,
) -> None:
    """Mount ``GET /chat`` (sign-in or chat page) and ``/chat/static/`` on ``app``.

    ``socket_url`` is the Rasa server's base URL as the customer's browser reaches it;
    ``customers`` maps a demo customer key (``/chat?as=jane``) to who that is;
    ``issue_token`` makes a token for a customer id bound to a browser-session secret;
    ``secure_cookies`` marks the browser-session cookie Secure even on a plain-HTTP request
    (it always is on an HTTPS one, as a trusted proxy reports it).
    """
    policy = chat_policy(socket_url)
    if GUEST in customers:
        raise ValueError(f"{GUEST!r} is the sign-in page's guest option; give that demo customer another key")
    page = _ChatPage(socket_url, dict(customers), issue_token, policy, secure_cookies)
    app.router.add_get("/chat", page.handle)
    app.router.add_static(STATIC_PREFIX, STATIC_DIR)


def chat_policy(socket_url: str) -> str:
    """The pages' Content-Security-Policy: everything from this site, the socket to Rasa only.

    The chat's socket.io client polls over HTTP(S) and then upgrades to a websocket, both to
    Rasa's origin (``socket_url``), which is the only other place the page may connect to.
    """
    parts = urlsplit(socket_url)
    if parts.scheme not in ("http", "https") or not PLAIN_HOST.fullmatch(parts.netloc):
        raise ValueError(f"socket_url must be the Rasa server's http(s) URL, got {socket_url!r}")
    socket_scheme = "wss" if parts.scheme == "https" else "ws"
    return ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; font-src 'self'; "
            f"connect-src {parts.scheme}://{parts.netloc} {socket_scheme}://{parts.netloc}; "
            "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")


def widget_config(socket_url: str, signed_in_as: str, token: Optional[str]) -> Dict[str, Any]:
    """What ``chat.js`` reads: where the chat server is, who the page was opened for, and the token."""
    return {
        "signedInAs": signed_in_as,
        "token": token,
        "socketUrl": socket_url,
        "socketPath": "/socket.io/",
        # Sent when a conversation has no history yet, so the assistant greets first.
        "initPayload": INIT_PAYLOAD,
        "title": "Acme help",
        "subtitle": "Our assistant, with a person when you need one",
    }


class _ChatPage:
    def __init__(self, socket_url: str, customers: Dict[str, DemoCustomer], issue_token: IssueToken,
                 policy: str, secure_cookies: bool) -> None:
        self._socket_url = socket_url
        self._socket_host = (urlsplit(socket_url).hostname or "").lower()
        self._customers = customers
        self._issue_token = issue_token
        self._policy = policy
        self._secure_cookies = secure_cookies

    async def handle(self, request: web.Request) -> web.Response:
        key = request.query.get("as")
        if key is None:
            return self._html(sign_in_page(self._customers))
        if key != GUEST and key not in self._customers:
            return self._html(error_page(f"There is no demo customer called {key!r}."), status=400)
        elsewhere = self._on_another_host(request)
        if elsewhere is not None:
            return elsewhere
        browser = request.cookies.get(BROWSER_COOKIE, "")
        fresh = not is_browser_secret(browser)
        if fresh:
            browser = secrets.token_urlsafe(32)
        if key == GUEST:
            response = self._html(chat_page(widget_config(self._socket_url, GUEST, None), None), private=True)
        else:
            customer = self._customers[key]
            config = widget_config(self._socket_url, key, self._issue_token(customer.customer_id, browser))
            response = self._html(chat_page(config, customer.name), private=True)
        if fresh:
            response.set_cookie(BROWSER_COOKIE, browser, httponly=True, samesite="Strict", path="/",
                                secure=self._secure_cookies or request.secure)
        return response

    def _on_another_host(self, request: web.Request) -> Optional[web.Response]:
        """The answer to a chat page asked for under a host name that isn't the chat server's (its
        cookie would not reach the socket); None when it is the chat server's."""
        try:
            asked = urlsplit(f"//{request.host}")
            host, port = (asked.hostname or "").lower(), asked.port
        except ValueError:  # a Host header no URL could have
            host, port = "", None
        if host == self._socket_host:
            return None
        if host in LOOPBACK_NAMES and self._socket_host in LOOPBACK_NAMES:
            name = f"[{self._socket_host}]" if ":" in self._socket_host else self._socket_host
            location = f"{request.scheme}://{name}{'' if port is None else f':{port}'}{request.rel_url}"
            return web.Response(status=302, headers={"Location": location, "Cache-Control": "no-store"})
        return self._html(error_page(
            f"This chat can't be opened at {host[:100]!r}: open this page on {self._socket_host!r}, the chat "
            "server's host name, so the chat can tell it is still you."), status=400)

    def _html(self, text: str, status: int = 200, private: bool = False) -> web.Response:
        response = web.Response(text=text, status=status, content_type="text/html", charset="utf-8",
                                headers={"Content-Security-Policy": self._policy, "Referrer-Policy": "same-origin"})
        if private:
            # The page carries the customer's token: no shared or back-button cache may keep it.
            response.headers["Cache-Control"] = "no-store"
        return response
