"""A person signed in to our inbox as the page does it: the login form, the session cookie, the CSRF
token, and the page's websocket with the pushes it is sent (``handoff/API.md``)."""

from __future__ import annotations

import asyncio
import re
import time
from dataclasses import dataclass, field
from typing import Any, Dict, Optional

import aiohttp

from handoff.demo_users import DEMO_USERS

PASSWORDS = {username: password for username, _, _, password in DEMO_USERS}


class InboxRefused(Exception):
    """The inbox said no to a call the benchmark needs (the message says which and why)."""


@dataclass
class Person:
    session: aiohttp.ClientSession
    url: str
    username: str
    cookie: str = ""
    csrf: str = ""

    @property
    def cookies(self) -> Dict[str, str]:
        return {"Cookie": f"inbox_session={self.cookie}"}

    async def sign_in(self) -> "Person":
        async with self.session.get(f"{self.url}/login") as form:
            page = await form.text()
            form_cookie = form.cookies["inbox_login_csrf"].value
        hidden = re.search(r'<input type="hidden" name="csrf" value="([^"]*)">', page)
        if hidden is None:
            raise InboxRefused("the login form carries no csrf field")
        fields = {"username": self.username, "password": PASSWORDS[self.username], "csrf": hidden.group(1)}
        async with self.session.post(f"{self.url}/login", data=fields, allow_redirects=False,
                                     headers={"Cookie": f"inbox_login_csrf={form_cookie}"}) as answer:
            if answer.status != 302:
                raise InboxRefused(f"signing in as {self.username} answered {answer.status}")
            self.cookie = answer.cookies["inbox_session"].value
        async with self.session.get(f"{self.url}/", headers=self.cookies) as home:
            token = re.search(r'<meta name="csrf-token" content="([^"]+)">', await home.text())
        if token is None:
            raise InboxRefused("the inbox page carries no CSRF token")
        self.csrf = token.group(1)
        return self

    async def get(self, path: str) -> Any:
        async with self.session.get(f"{self.url}{path}", headers=self.cookies) as answer:
            if answer.status != 200:
                raise InboxRefused(f"GET {path} answered {answer.status}: {await answer.text()}")
            return await answer.json()

    async def post(self, path: str, body: Dict[str, Any]) -> Any:
        async with self.session.post(f"{self.url}{path}", json=body,
                                     headers={**self.cookies, "X-CSRF-Token": self.csrf}) as answer:
            if answer.status != 200:
                raise InboxRefused(f"POST {path} answered {answer.status}: {await answer.text()}")
            return await answer.json()


@dataclass
class Page:
    """The inbox page's websocket: every push, stamped with ``time.time()`` when it arrived."""

    person: Person
    pushes: "asyncio.Queue[tuple[float, Dict[str, Any]]]" = field(default_factory=asyncio.Queue)
    ws: Optional[aiohttp.ClientWebSocketResponse] = None
    reader: Optional["asyncio.Task[None]"] = None

    async def open(self) -> "Page":
        self.ws = await self.person.session.ws_connect(f"{self.person.url}/ws", headers=self.person.cookies)
        await self.ws.send_json({"type": "hello", "csrf": self.person.csrf})
        ready = await self.ws.receive_json(timeout=10)
        if ready != {"type": "ready"}:
            raise InboxRefused(f"the inbox websocket answered the hello with {ready}")
        self.reader = asyncio.create_task(self._read())
        return self

    async def _read(self) -> None:
        assert self.ws is not None
        async for message in self.ws:
            if message.type == aiohttp.WSMsgType.TEXT:
                self.pushes.put_nowait((time.time(), message.json()))

    async def next_ticket_created(self, timeout: float) -> tuple[float, str]:
        """When the next "ticket created" push arrived (wall clock), and the ticket's id."""
        deadline = time.monotonic() + timeout
        while True:
            at, push = await asyncio.wait_for(self.pushes.get(), max(0.01, deadline - time.monotonic()))
            if push.get("type") == "ticket" and push.get("change") == "created":
                return at, push["id"]

    async def close(self) -> None:
        if self.reader is not None:
            self.reader.cancel()
        if self.ws is not None:
            await self.ws.close()
