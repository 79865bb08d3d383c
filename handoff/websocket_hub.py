"""The open inbox pages: each page's websocket, signed in by its session, and the pushes it is sent.

A page that stops reading is dropped (it reconnects and catches up); a page whose session
ended is closed with 4401.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional, Tuple

from aiohttp import WSMsgType, web

from actions.json_input import BadJson, json_object
from handoff import auth
from handoff.app_state import DESK, SOCKETS
from handoff.domain.errors import Forbidden
from handoff.domain.people import User

logger = logging.getLogger(__name__)

#: A page gets this long to take each push; one that doesn't is dropped (it reconnects and catches up).
PUSH_TIMEOUT = 2.0

#: How often an open page's session is checked again when the page itself sends nothing.
SESSION_CHECK_EVERY = 60.0
SESSION_ENDED = 4401

Push = Tuple[Dict[str, str], Callable[[User], bool]]  # a message, and who may see it


@dataclass(eq=False)
class Page:
    """An open inbox page: its websocket, who signed in, and the session (cookie hash) it belongs to."""

    ws: web.WebSocketResponse
    user: User
    session: str
    transport: Optional[asyncio.BaseTransport] = None
    closing: bool = False  # ``_close`` started: the handler waits for it before it returns
    closed: asyncio.Event = field(default_factory=asyncio.Event)


async def websocket(request: web.Request) -> web.StreamResponse:
    """Live updates. Signed in by the cookie, same origin only, then the CSRF token as a hello.

    The session is checked again on every message from the page and every minute besides: a
    page whose session ended (signed out, expired, the person disabled) is closed with 4401.
    """
    user: User = request["user"]
    if not auth.same_origin(request):
        raise Forbidden("the websocket only accepts the inbox's own pages")
    ws = web.WebSocketResponse(heartbeat=30)
    await ws.prepare(request)
    try:
        first = await ws.receive(timeout=10)
        hello = json_object(first.data, "the hello") if first.type == WSMsgType.TEXT else None
    except (BadJson, asyncio.TimeoutError):
        hello = None
    if hello is None:
        await ws.close(code=4401, message=b"send a hello with the CSRF token first")
        return ws
    if hello.get("type") != "hello" or not auth.csrf_ok(request["csrf"], hello.get("csrf")):
        await ws.close(code=4403, message=b"wrong CSRF token")
        return ws
    page = Page(ws, user, request["session"], request.transport)
    request.app[SOCKETS].add(page)
    watch = asyncio.create_task(_watch_session(request.app, page))
    try:
        await ws.send_json({"type": "ready"})
        async for message in ws:
            if message.type != WSMsgType.TEXT:
                continue
            if not await _signed_in(request.app, page):
                await close_page(request.app, page, SESSION_ENDED, b"the session ended; sign in again")
                break
            try:
                data = json_object(message.data, "the message")
            except BadJson as unreadable:
                await ws.send_json({"type": "error", "error": unreadable.message})
                continue
            if data.get("type") == "ping":
                await ws.send_json({"type": "pong"})
            else:
                await ws.send_json({"type": "error", "error": "only ping is accepted; changes go through the API"})
    finally:
        request.app[SOCKETS].discard(page)
        if page.closing:  # signed out or session ended: let that close send its code
            await page.closed.wait()
        watch.cancel()
    return ws


async def _signed_in(app: web.Application, page: Page) -> bool:
    desk = app[DESK]
    try:
        return await asyncio.to_thread(desk.store.session, page.session, desk.now) is not None
    except Exception:  # noqa: BLE001 - a database hiccup ends no session; it is checked again later
        logger.exception("checking the session of an open page failed")
        return True


async def _watch_session(app: web.Application, page: Page) -> None:
    while not page.ws.closed:
        await asyncio.sleep(SESSION_CHECK_EVERY)
        if not await _signed_in(app, page):
            await close_page(app, page, SESSION_ENDED, b"the session ended; sign in again")
            return


async def push_to_pages(app: web.Application, pushes: List[Push]) -> None:
    pages = [page for page in list(app[SOCKETS]) if not page.ws.closed]
    await asyncio.gather(*(_push_to(app, page, [message for message, visible in pushes if visible(page.user)])
                           for page in pages))


async def _push_to(app: web.Application, page: Page, messages: List[Dict[str, str]]) -> None:
    """Send one page its messages in order; drop the page if it does not take them in time."""
    try:
        for message in messages:
            await asyncio.wait_for(page.ws.send_json(message), PUSH_TIMEOUT)
    except Exception as exc:  # noqa: BLE001 - timed out, reset, closed: the page is gone either way
        logger.info("dropping a page of %s that did not take a push (%s)", page.user.username, type(exc).__name__)
        app[SOCKETS].discard(page)
        if page.transport is not None:  # it does not read: a close frame would wait behind the pushes
            page.transport.abort()


async def close_page(app: web.Application, page: Page, code: int, message: bytes) -> None:
    """Close a page's websocket with ``code``; a page that does not answer in time is cut off.

    Closing from another task ends the handler's receive loop first; the handler then waits
    for this close (``page.closed``), or aiohttp would close the socket with its own code.
    """
    app[SOCKETS].discard(page)
    page.closing = True
    try:
        await asyncio.wait_for(page.ws.close(code=code, message=message), PUSH_TIMEOUT)
    except Exception:  # noqa: BLE001 - cut it off instead
        if page.transport is not None:
            page.transport.abort()
    finally:
        page.closed.set()

