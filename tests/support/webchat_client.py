"""A web chat page as the server sees it: a socket.io client that presents a token (and, like a browser, its
browser-session cookie if it has one) and records what it gets.

Speaks the same protocol as ``channels/webchat/static/chat.js`` (long-polling only: the
installed aiohttp is older than python-engineio's websocket client needs).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional

import socketio

from channels.webchat.protocol import BROWSER_COOKIE


@dataclass
class ChatPage:
    url: str
    token: Optional[str] = None
    #: The browser-session secret its browser holds in the cookie the page's server set; None: no cookie.
    browser: Optional[str] = None
    confirmation: Optional[Dict[str, Any]] = None
    history: Optional[List[Dict[str, Any]]] = None
    replies: List[Dict[str, Any]] = field(default_factory=list)
    echoes: List[Dict[str, Any]] = field(default_factory=list)
    errors: List[str] = field(default_factory=list)
    renewals: List[str] = field(default_factory=list)
    sio: socketio.AsyncClient = field(default_factory=socketio.AsyncClient)
    headers: Dict[str, str] = field(default_factory=dict)  # sent with the handshake, e.g. X-Forwarded-For

    async def open(self, timeout: float = 20) -> "ChatPage":
        self.sio.on("session_confirm", lambda data: setattr(self, "confirmation", data))
        self.sio.on("history", lambda data: setattr(self, "history", data["messages"]))
        self.sio.on("bot_uttered", self.replies.append)
        self.sio.on("user_echo", self.echoes.append)
        self.sio.on("chat_error", lambda data: self.errors.append(data["message"]))
        self.sio.on("token", lambda data: self.renewals.append(data["token"]))
        cookie = {"Cookie": f"{BROWSER_COOKIE}={self.browser}"} if self.browser else {}
        await self.sio.connect(self.url, socketio_path="/socket.io", transports=["polling"],
                               auth={"token": self.token} if self.token else None, headers={**self.headers, **cookie})
        await self.until(lambda: self.history is not None, timeout, "the history on connecting")
        return self

    async def say(self, text: str, **extra: Any) -> Dict[str, Any]:
        """Send a message (``extra``: what a hostile page adds, e.g. ``session_id``); the server's answer."""
        return await self.sio.call("user_uttered", {"message": text, **extra}, timeout=60)

    async def renew(self) -> str:
        """Ask for a renewed token, as the page does every few minutes; the token it is handed."""
        handed = len(self.renewals)
        await self.sio.emit("renew")
        await self.until(lambda: len(self.renewals) > handed, 10, "a renewed token")
        return self.renewals[-1]

    async def acknowledge(self, ids: List[str]) -> None:
        await self.sio.emit("delivered", {"ids": ids})

    async def until(self, condition: Any, timeout: float = 30, what: str = "it") -> None:
        deadline = asyncio.get_running_loop().time() + timeout
        while not condition():
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"waited {timeout:.0f} s for {what}")
            await asyncio.sleep(0.1)

    async def close(self) -> None:
        await self.sio.disconnect()

    @property
    def signed_in(self) -> bool:
        return bool(self.confirmation and self.confirmation.get("signed_in"))

    @property
    def renewed_token(self) -> str:
        assert self.confirmation is not None
        return self.confirmation["token"]
