"""The customer chat page on an aiohttp app: ``GET /chat`` and the widget's static files.

The browser talks to Rasa's socketio channel directly; this page only hands the widget its
settings. Who the customer is travels as ``customData.customer_token``: an opaque, signed
token from ``issue_token(phone)``, which the widget sends with every message and Rasa turns
into the message metadata (``metadata_key: customData`` in ``bot/credentials.yml``). The
page never puts the phone number itself where the bot would trust it.

Conversation state is kept in the tab's ``sessionStorage`` (``params.storage: "session"``),
not ``localStorage``: a reload continues the conversation, but closing the tab ends it, so a
shared computer does not reopen the last customer's chat, and two demo customers in two tabs
never share one conversation. ``acme-chat.js`` also drops the stored conversation when the
signed-in customer changes within a tab.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Callable, Dict, Mapping, Optional, Tuple
from urllib.parse import urlsplit

from aiohttp import web

from channels.webchat.render import (
    GUEST,
    STATIC_PREFIX,
    chat_page,
    error_page,
    sign_in_page,
)

STATIC_DIR = Path(__file__).parent / "static"
#: Sent by the widget when a conversation starts, so the bot greets first.
INIT_PAYLOAD = "/greet"
#: A host (a name or an IP, and a port) that can be written into a header as it is.
PLAIN_HOST = re.compile(r"(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::[0-9]{1,5})?")


def add_webchat_routes(
    app: web.Application,
    *,
    socket_url: str,
    customers: Mapping[str, Tuple[str, str]],
    issue_token: Callable[[str], str],
) -> None:
    """Mount ``GET /chat`` (sign-in or chat page) and ``/chat/static/`` on ``app``.

    ``socket_url`` is the Rasa server's base URL as the customer's browser reaches it;
    ``customers`` maps a demo customer key (``/chat?as=jane``) to (display name, phone).
    """
    policy = chat_policy(socket_url)
    if GUEST in customers:
        raise ValueError(f"{GUEST!r} is the sign-in page's guest option; give that demo customer another key")
    page = _ChatPage(socket_url, dict(customers), issue_token, policy)
    app.router.add_get("/chat", page.handle)
    app.router.add_static(STATIC_PREFIX, STATIC_DIR)


def chat_policy(socket_url: str) -> str:
    """The pages' Content-Security-Policy: everything from this site, the socket to Rasa only.

    The widget's socket.io client polls over HTTP(S) and then upgrades to a websocket, both to
    Rasa's origin (``socket_url``), which is the only other place the page may connect to. The
    widget injects its styles as ``<style>`` elements, hence ``'unsafe-inline'`` for styles
    (never for scripts); its carousel's icon font is a ``data:`` URL.
    """
    parts = urlsplit(socket_url)
    if parts.scheme not in ("http", "https") or not PLAIN_HOST.fullmatch(parts.netloc):
        raise ValueError(f"socket_url must be the Rasa server's http(s) URL, got {socket_url!r}")
    socket_scheme = "wss" if parts.scheme == "https" else "ws"
    return ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
            "img-src 'self' data:; font-src 'self' data:; "
            f"connect-src {parts.scheme}://{parts.netloc} {socket_scheme}://{parts.netloc}; "
            "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")


def widget_config(socket_url: str, signed_in_as: str, customer_token: Optional[str]) -> Dict[str, Any]:
    """What ``acme-chat.js`` reads: the rasa-webchat props and who the page was opened for."""
    return {
        "signedInAs": signed_in_as,
        "widget": {
            "socketUrl": socket_url,
            "socketPath": "/socket.io/",
            "customData": {"customer_token": customer_token} if customer_token else {},
            "initPayload": INIT_PAYLOAD,
            "title": "Acme help",
            "subtitle": "Our assistant, with a person when you need one",
            "inputTextFieldHint": "Type your question...",
            "connectingText": "Connecting you to Acme...",
            # Always open, in the page's chat panel; shown (as "connecting") before the socket is up.
            "embedded": True,
            "hideWhenNotConnected": False,
            # Botfront's server-side display rules: Rasa's socketio channel has none to send.
            "withRules": False,
            "params": {"storage": "session"},
        },
    }


class _ChatPage:
    def __init__(self, socket_url: str, customers: Dict[str, Tuple[str, str]], issue_token: Callable[[str], str],
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
        name, phone = self._customers[key]
        config = widget_config(self._socket_url, key, self._issue_token(phone))
        return self._html(chat_page(config, name), private=True)

    def _html(self, text: str, status: int = 200, private: bool = False) -> web.Response:
        response = web.Response(text=text, status=status, content_type="text/html", charset="utf-8",
                                headers={"Content-Security-Policy": self._policy, "Referrer-Policy": "same-origin"})
        if private:
            # The page carries the customer's token: no shared or back-button cache may keep it.
            response.headers["Cache-Control"] = "no-store"
        return response
