"""The shared inbox service: an aiohttp application.

``create_app`` wires the parts; a cleanup context owns the database engine, the scheduler,
the HTTP client for Rasa and the background loops (the feed that pushes changes to open
pages and reschedules timers, and the delivery worker), and closes them in reverse order.
The blocking work (SQL, the business backend) runs in worker threads.
"""

from __future__ import annotations

import asyncio
import html
import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from string import Template
from typing import (
    Any,
    AsyncIterator,
    Callable,
    Dict,
    List,
    Optional,
    Set,
    Tuple,
)

import aiohttp
import yaml
from aiohttp import WSMsgType, web
from aiohttp.typedefs import Handler

from actions.acme.seed import DEMO_CUSTOMERS
from actions.domain.services import new_id
from actions.domain.session_tokens import SessionTokens
from actions.domain.sessions import customer_key
from actions.json_input import BadJson, json_object
from actions.runtime import build_services
from actions.store.database import make_engine
from channels.webchat.page import add_webchat_routes
from handoff import auth
from handoff.delivery import DeliveryWorker
from handoff.demo_users import create_demo_users
from handoff.desk import Desk
from handoff.domain.errors import Forbidden, InboxError, NotFound
from handoff.domain.login_throttle import LoginThrottle
from handoff.domain.people import User
from handoff.forwarded import scheme_from_trusted_proxies
from handoff.login_throttle import SqlLoginThrottle
from handoff.page_headers import page_headers
from handoff.rasa_client import RasaConversations
from handoff.settings import InboxSettings
from handoff.store import FeedEvent, InboxStore
from handoff.timers import Timers, make_scheduler

logger = logging.getLogger(__name__)

HERE = Path(__file__).parent
SETTINGS = web.AppKey("settings", InboxSettings)
THROTTLE = web.AppKey("login_throttle", LoginThrottle)
DESK = web.AppKey("desk", Desk)
TIMERS = web.AppKey("timers", Timers)
SOCKETS = web.AppKey("sockets", Set)  # the open pages (Page)
TEMPLATES = web.AppKey("templates", dict)  # file name -> Template, read once at start
CANNED = web.AppKey("canned", list)

PUBLIC = ("/login", "/chat", "/static/", "/health")
MAX_ROW_ID = 2**63 - 1  # the largest integer key SQLite and PostgreSQL store
#: A page gets this long to take each push; one that doesn't is dropped (it reconnects and catches up).
PUSH_TIMEOUT = 2.0
#: How often an open page's session is checked again when the page itself sends nothing.
SESSION_CHECK_EVERY = 60.0
SESSION_ENDED = 4401


@dataclass(eq=False)
class Page:
    """An open inbox page: its websocket, who signed in, and the session (cookie hash) it belongs to."""

    ws: web.WebSocketResponse
    user: User
    session: str
    transport: Optional[asyncio.BaseTransport] = None
    closing: bool = False  # ``_close`` started: the handler waits for it before it returns
    closed: asyncio.Event = field(default_factory=asyncio.Event)


def create_app(settings: InboxSettings) -> web.Application:
    app = web.Application(middlewares=[scheme_from_trusted_proxies(settings.trusted_proxies), page_headers,
                                       errors_middleware, session_middleware], client_max_size=256 * 1024)
    app[SETTINGS] = settings
    app[SOCKETS] = set()
    app[TEMPLATES] = {name: Template((HERE / "templates" / name).read_text(encoding="utf-8"))
                      for name in ("login.html", "inbox.html")}
    app[CANNED] = yaml.safe_load((HERE / "canned_replies.yml").read_text(encoding="utf-8")) or []
    app.cleanup_ctx.append(_resources)
    app.router.add_get("/health", health)
    app.router.add_get("/login", login_page)
    app.router.add_post("/login", login)
    app.router.add_post("/logout", logout)
    app.router.add_get("/", inbox_page)
    app.router.add_get("/ws", websocket)
    app.router.add_get("/api/me", me)
    app.router.add_get("/api/tickets", tickets)
    app.router.add_get("/api/tickets/{id}", ticket)
    for verb in ("claim", "assign", "transfer", "notes", "reply", "request-approval", "handback", "close"):
        app.router.add_post(f"/api/tickets/{{id}}/{verb}", ticket_action)
    app.router.add_post("/api/messages/{id}/retry", retry_message)
    app.router.add_get("/api/canned", canned)
    app.router.add_get("/api/users", users)
    app.router.add_get("/api/approvals", approvals)
    app.router.add_get("/api/approvals/{id}", approval)
    for verb in ("approve", "reject", "modify"):
        app.router.add_post(f"/api/approvals/{{id}}/{verb}", approval_action)
    app.router.add_static("/static/", HERE / "static")
    if settings.demo:  # the page signs anyone in as a demo customer: never outside the demo
        tokens = SessionTokens(settings.assistant.identity_secret, new_id)
        add_webchat_routes(
            app, socket_url=settings.public_rasa_url,
            customers={c.key: c for c in DEMO_CUSTOMERS},
            issue_token=lambda customer_id: tokens.issue(customer_key(customer_id), _now(app)),
        )
    return app


def _now(app: web.Application):  # noqa: ANN202
    return app[DESK].now


async def _resources(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    engine = await asyncio.to_thread(make_engine, settings.database_url)  # applies the migrations
    services = await asyncio.to_thread(build_services, settings.assistant)
    store = InboxStore(engine)
    desk = Desk(store, services)
    app[DESK] = desk
    app[THROTTLE] = SqlLoginThrottle(engine, services.clock)
    if settings.demo:
        added = await asyncio.to_thread(create_demo_users, store, desk.now)
        if added:
            logger.info("demo users created: %s", ", ".join(added))
    # read the feed position first: a timer missed while the service was down fires as soon
    # as the scheduler starts, and the change it makes must still reach the feed
    last_seen = await asyncio.to_thread(store.last_event_id)
    scheduler = make_scheduler(settings.database_url)
    timers = Timers(scheduler, desk)
    app[TIMERS] = timers
    scheduler.start()
    await asyncio.to_thread(timers.reconcile)
    client = aiohttp.ClientSession()
    worker = DeliveryWorker(store, RasaConversations(client, settings.rasa_url, settings.rasa_token), services.clock)
    loops = [asyncio.create_task(worker.run()), asyncio.create_task(_feed(app, last_seen))]
    try:
        yield
    finally:
        for task in loops:
            task.cancel()
        await asyncio.gather(*loops, return_exceptions=True)
        await asyncio.gather(*(_close(app, page, 1001, b"inbox shutting down") for page in list(app[SOCKETS])))
        await client.close()
        scheduler.shutdown(wait=False)
        engine.dispose()


Push = Tuple[Dict[str, str], Callable[[User], bool]]  # a message, and who may see it


async def _feed(app: web.Application, last_seen: int, interval: float = 0.25) -> None:
    """Follow the change feed (written by this service and the action server alike).

    Each round first reschedules the timers of everything that changed, then pushes the
    changes to the open pages, all pages at once: a page that stops reading holds up no one.
    """
    desk, timers = app[DESK], app[TIMERS]
    while True:
        pushes: List[Push] = []
        try:
            events = await asyncio.to_thread(desk.store.events_after, last_seen)
            for event in events:
                last_seen = event.id
                push = await _on_change(desk, timers, event)
                if push is not None:
                    pushes.append(push)
        except asyncio.CancelledError:
            raise
        except Exception:  # noqa: BLE001 - keep following the feed
            logger.exception("inbox feed round failed; trying again")
        if pushes:
            await _push(app, pushes)
        await asyncio.sleep(interval)


async def _on_change(desk: Desk, timers: Timers, event: FeedEvent) -> Optional[Push]:
    """Reschedule the timer of what changed; the push that tells the pages about it."""
    if event.subject == "ticket":
        ticket = await asyncio.to_thread(desk.store.ticket, event.subject_id)
        if ticket is None:
            return None
        await asyncio.to_thread(timers.schedule_ticket, ticket)
        visible: Callable[[User], bool] = lambda user: user.sees(ticket.queue)  # noqa: E731
    else:
        approval = await asyncio.to_thread(desk.store.approval, event.subject_id)
        if approval is None:
            return None
        await asyncio.to_thread(timers.schedule_approval, approval)
        visible = lambda user: user.sees_approvals and user.sees(approval.queue)  # noqa: E731
    return {"type": event.subject, "id": event.subject_id, "change": event.change}, visible


async def _push(app: web.Application, pushes: List[Push]) -> None:
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


async def _close(app: web.Application, page: Page, code: int, message: bytes) -> None:
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


# -- middleware -----------------------------------------------------------------------------------


@web.middleware
async def errors_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Refusals become 4xx with a message; nothing a person does produces a bare 500."""
    try:
        return await handler(request)
    except InboxError as refused:
        return web.json_response({"error": refused.message}, status=refused.status)
    except BadJson as unreadable:
        return web.json_response({"error": unreadable.message}, status=400)
    except web.HTTPException:
        raise
    except Exception:
        logger.exception("inbox request %s %s failed", request.method, request.path)
        return web.json_response({"error": "the inbox hit an unexpected problem; nothing was lost, try again"},
                                 status=500)


@web.middleware
async def session_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    if request.path.startswith(PUBLIC):
        return await handler(request)
    desk = request.app[DESK]
    found = await asyncio.to_thread(auth.current, desk.store, request, desk.now)
    if found is None:
        if request.path.startswith("/api/") or request.path == "/ws":
            return web.json_response({"error": "sign in first"}, status=401)
        raise web.HTTPFound("/login")
    request["user"], request["csrf"] = found
    request["session"] = auth.token_hash(request.cookies[auth.SESSION_COOKIE])
    if request.method not in ("GET", "HEAD", "OPTIONS"):
        if not auth.same_origin(request):
            return web.json_response({"error": "cross-site request refused"}, status=403)
        given = request.headers.get("X-CSRF-Token")
        if given is None and request.content_type == "application/x-www-form-urlencoded":
            given = (await request.post()).get("csrf")  # type: ignore[assignment]
        if not auth.csrf_ok(request["csrf"], given):  # type: ignore[arg-type]
            return web.json_response({"error": "missing or wrong CSRF token; reload the page"}, status=403)
    return await handler(request)


# -- pages ----------------------------------------------------------------------------------------


async def health(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})  # served only once the start-up is done


async def login_page(request: web.Request, error: str = "", username: str = "", status: int = 200) -> web.Response:
    token = request.cookies.get(auth.LOGIN_CSRF_COOKIE) or auth.secrets.token_urlsafe(24)
    body = request.app[TEMPLATES]["login.html"].safe_substitute(csrf=html.escape(token), error=html.escape(error),
                                                                username=html.escape(username))
    response = web.Response(text=body, content_type="text/html", status=status)
    auth.set_cookie(response, request, auth.LOGIN_CSRF_COOKIE, token, request.app[SETTINGS].secure_cookies, 3600)
    return response


async def login(request: web.Request) -> web.StreamResponse:
    form = await request.post()
    username, password = str(form.get("username") or ""), str(form.get("password") or "")
    if not auth.same_origin(request) or not auth.csrf_ok(request.cookies.get(auth.LOGIN_CSRF_COOKIE, ""), str(form.get("csrf") or "")):
        return await login_page(request, "The form expired; please sign in again.", username, status=403)
    desk, throttle = request.app[DESK], request.app[THROTTLE]
    who = username.strip().lower()
    # counted before the password is checked, in one step with the decision: parallel guesses can't all get in
    wait = await asyncio.to_thread(throttle.try_now, who)
    if wait:
        return await login_page(request, f"Too many wrong passwords for this username: try again in "
                                         f"{(wait + 59) // 60} minute{'s' if wait > 60 else ''}.", username, status=429)
    result = await asyncio.to_thread(auth.log_in, desk.store, username, password, desk.now)
    if result is None:
        return await login_page(request, "Wrong username or password.", username, status=401)
    await asyncio.to_thread(throttle.succeeded, who)
    user, token, _ = result
    await asyncio.to_thread(desk.s.record, "signed_in", "-", actor=f"{user.role.value}:{user.username}")
    response = web.HTTPFound("/")
    auth.set_cookie(response, request, auth.SESSION_COOKIE, token, request.app[SETTINGS].secure_cookies,
                    int(auth.SESSION_LENGTH.total_seconds()))
    response.del_cookie(auth.LOGIN_CSRF_COOKIE, path="/")
    raise response


async def logout(request: web.Request) -> web.StreamResponse:
    session = request["session"]
    await asyncio.to_thread(request.app[DESK].store.close_session, session)
    await asyncio.gather(*(_close(request.app, page, SESSION_ENDED, b"signed out")
                           for page in list(request.app[SOCKETS]) if page.session == session))
    response = web.HTTPFound("/login")
    response.del_cookie(auth.SESSION_COOKIE, path="/")
    raise response


async def inbox_page(request: web.Request) -> web.Response:
    user: User = request["user"]
    body = request.app[TEMPLATES]["inbox.html"].safe_substitute(
        csrf=html.escape(request["csrf"]),
        user_json=json.dumps(user.to_dict()).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026"),
    )
    return web.Response(text=body, content_type="text/html")


# -- JSON API -------------------------------------------------------------------------------------


async def _body(request: web.Request) -> Dict[str, Any]:
    """The JSON object posted; no body is an empty one. Anything else is refused (``BadJson``: a 400)."""
    if not request.can_read_body:
        return {}
    return json_object(await request.read())


def _text(body: Dict[str, Any], key: str) -> str:
    """A text field of the body; absent or null is empty, anything but text is refused."""
    value = body.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise InboxError(f"'{key}' must be text")
    return value


def _id(request: web.Request, kind: str) -> str:
    """The id in the path; with a NUL it can't name anything stored."""
    value = request.match_info["id"]
    if "\x00" in value:
        raise NotFound(f"there is no {kind} with that id")
    return value


def _version(body: Dict[str, Any]) -> Optional[int]:
    value = body.get("version")
    if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
        raise InboxError("'version' must be a whole number")
    return value


async def me(request: web.Request) -> web.Response:
    return web.json_response(request["user"].to_dict())


async def tickets(request: web.Request) -> web.Response:
    state = request.query.get("state", "active")
    if state not in ("active", "closed"):
        raise InboxError("state must be active or closed")
    desk = request.app[DESK]
    return web.json_response(await asyncio.to_thread(desk.ticket_list, request["user"], state == "active"))


async def ticket(request: web.Request) -> web.Response:
    desk = request.app[DESK]
    return web.json_response(await asyncio.to_thread(desk.ticket_view, request["user"], _id(request, "ticket")))


async def ticket_action(request: web.Request) -> web.Response:
    desk, user, ticket_id = request.app[DESK], request["user"], _id(request, "ticket")
    verb = request.path.rsplit("/", 1)[-1]
    body = await _body(request)
    text = lambda key: _text(body, key)  # noqa: E731
    calls: Dict[str, Callable[[], None]] = {
        "claim": lambda: desk.claim(user, ticket_id, _version(body)),
        "assign": lambda: desk.assign(user, ticket_id, _version(body), text("username")),
        "transfer": lambda: desk.transfer(user, ticket_id, _version(body), text("queue"), text("note")),
        "notes": lambda: desk.note(user, ticket_id, text("text")),
        "reply": lambda: desk.reply(user, ticket_id, text("text")),
        "request-approval": lambda: desk.request_approval(user, ticket_id, _version(body), text("note")),
        "handback": lambda: desk.hand_back(user, ticket_id, _version(body), text("outcome"), text("note")),
        "close": lambda: desk.close(user, ticket_id, _version(body), text("resolution")),
    }
    await asyncio.to_thread(calls[verb])
    moved = await asyncio.to_thread(desk.store.ticket, ticket_id)
    if moved is not None and not user.sees(moved.queue):  # e.g. an agent transferred it to the seniors
        return web.json_response({"id": ticket_id, "gone": True, "queue": moved.queue, "status": moved.status})
    return web.json_response(await asyncio.to_thread(desk.ticket_view, user, ticket_id))


async def retry_message(request: web.Request) -> web.Response:
    raw = request.match_info["id"]
    if not (raw.isascii() and raw.isdigit()):
        raise InboxError("a message id is a number")
    message_id = int(raw)
    if message_id > MAX_ROW_ID:  # the database can't even look it up
        raise NotFound(f"there is no message {message_id}")
    await asyncio.to_thread(request.app[DESK].retry, request["user"], message_id)
    return web.json_response({"status": "pending"})


async def canned(request: web.Request) -> web.Response:
    return web.json_response(request.app[CANNED])


async def users(request: web.Request) -> web.Response:
    """Who can be given a ticket: for the people who assign work."""
    if not request["user"].supervises:
        raise Forbidden("the list of people is for seniors, managers and admins")
    return web.json_response([u.to_dict() for u in await asyncio.to_thread(request.app[DESK].store.users)])


async def approvals(request: web.Request) -> web.Response:
    state = request.query.get("state", "pending")
    if state not in ("pending", "decided"):
        raise InboxError("state must be pending or decided")
    desk = request.app[DESK]
    return web.json_response(await asyncio.to_thread(desk.approval_list, request["user"], state == "pending"))


async def approval(request: web.Request) -> web.Response:
    desk = request.app[DESK]
    return web.json_response(await asyncio.to_thread(desk.approval_view, request["user"], _id(request, "approval")))


async def approval_action(request: web.Request) -> web.Response:
    desk, user, approval_id = request.app[DESK], request["user"], _id(request, "approval")
    verb = request.path.rsplit("/", 1)[-1]
    body = await _body(request)
    if verb == "approve":
        await asyncio.to_thread(desk.approve, user, approval_id, _version(body))
    elif verb == "reject":
        await asyncio.to_thread(desk.reject, user, approval_id, _version(body), _text(body, "reason"))
    else:
        await asyncio.to_thread(desk.modify, user, approval_id, _version(body), _amount(body),
                                _text(body, "reason"))
    return web.json_response(await asyncio.to_thread(desk.approval_view, user, approval_id))


def _amount(body: Dict[str, Any]) -> str:
    value = body.get("amount")
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value) if value else ""
    return _text(body, "amount")


# -- websocket ------------------------------------------------------------------------------------


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
                await _close(request.app, page, SESSION_ENDED, b"the session ended; sign in again")
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
            await _close(app, page, SESSION_ENDED, b"the session ended; sign in again")
            return
