"""The customer chat page on an aiohttp app: ``GET /chat`` and the chat's static files.

The browser talks to the Rasa server's web chat channel (``channels/webchat/socket_channel.py``)
directly; this page only hands the chat its settings. Who the customer is travels as a
short-lived token naming the customer's conversation, made by ``issue_token(customer_id)``
and good for one connection; the chat server renews it while the page is open. A guest
gets no token: the chat server gives the page a visitor conversation of its own.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Callable, Dict, Mapping, Optional
from urllib.parse import urlsplit

from aiohttp import web

from actions.acme.seed import DemoCustomer
from channels.webchat.protocol import INIT_PAYLOAD
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


def add_webchat_routes(
    app: web.Application,
    *,
    socket_url: str,
    customers: Mapping[str, DemoCustomer],
    issue_token: Callable[[str], str],
) -> None:
    """Mount ``GET /chat`` (sign-in or chat page) and ``/chat/static/`` on ``app``.

    ``socket_url`` is the Rasa server's base URL as the customer's browser reaches it;
    ``customers`` maps a demo customer key (``/chat?as=jane``) to who that is;
    ``issue_token`` makes a token for a customer id.
    """
    policy = chat_policy(socket_url)
    if GUEST in customers:
        raise ValueError(f"{GUEST!r} is the sign-in page's guest option; give that demo customer another key")
    page = _ChatPage(socket_url, dict(customers), issue_token, policy)
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
    def __init__(self, socket_url: str, customers: Dict[str, DemoCustomer], issue_token: Callable[[str], str],
                 policy: str) -> None:
        self._socket_url = socket_url
        self._customers = customers
        self._issue_token = issue_token
        self._policy = policy

    async def handle(self, request: web.Request) -> web.Response:
        key = request.query.get("as")
        if key is None:
            return self._html(sign_in_page(self._customers))
        if key == GUEST:
            return self._html(chat_page(widget_config(self._socket_url, GUEST, None), None), private=True)
        if key not in self._customers:
            return self._html(error_page(f"There is no demo customer called {key!r}."), status=400)
        customer = self._customers[key]
        config = widget_config(self._socket_url, key, self._issue_token(customer.customer_id))
        return self._html(chat_page(config, customer.name), private=True)

    def _html(self, text: str, status: int = 200, private: bool = False) -> web.Response:
        response = web.Response(text=text, status=status, content_type="text/html", charset="utf-8",
                                headers={"Content-Security-Policy": self._policy, "Referrer-Policy": "same-origin"})
        if private:
            # The page carries the customer's token: no shared or back-button cache may keep it.
            response.headers["Cache-Control"] = "no-store"
        return response
