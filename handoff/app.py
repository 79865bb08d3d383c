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
from pathlib import Path
from string import Template
from typing import Any, AsyncIterator, Awaitable, Callable, Dict, Optional, Set, Tuple

import aiohttp
import yaml
from aiohttp import WSMsgType, web

from actions.acme.seed import DEMO_CUSTOMERS
from actions.domain.audit import AuditEntry
from actions.domain.identity import CustomerTokens
from actions.runtime import build_services
from actions.store.database import make_engine
from channels.webchat.page import add_webchat_routes
from handoff import auth
from handoff.delivery import DeliveryWorker
from handoff.demo_users import create_demo_users
from handoff.desk import Desk
from handoff.domain.errors import Forbidden, InboxError, NotFound
from handoff.domain.people import User
from handoff.rasa_client import RasaConversations
from handoff.settings import InboxSettings
from handoff.store import FeedEvent, InboxStore
from handoff.timers import Timers, make_scheduler

logger = logging.getLogger(__name__)

HERE = Path(__file__).parent
SETTINGS = web.AppKey("settings", InboxSettings)
DESK = web.AppKey("desk", Desk)
TIMERS = web.AppKey("timers", Timers)
SOCKETS = web.AppKey("sockets", Set)  # (websocket, user) pairs of open pages
READY = web.AppKey("ready", asyncio.Event)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
PUBLIC = ("/login", "/chat", "/static/", "/health")
MAX_ROW_ID = 2**63 - 1  # the largest integer key SQLite and PostgreSQL store


def create_app(settings: InboxSettings) -> web.Application:
    app = web.Application(middlewares=[errors_middleware, session_middleware], client_max_size=256 * 1024)
    app[SETTINGS] = settings
    app[SOCKETS] = set()
    app[READY] = asyncio.Event()
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
    tokens = CustomerTokens(settings.assistant.identity_secret)
    add_webchat_routes(
        app, socket_url=settings.public_rasa_url,
        customers={key: (name, phone) for key, name, phone in DEMO_CUSTOMERS},
        issue_token=lambda phone: tokens.issue(phone, _now(app)),
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
    app[READY].set()
    try:
        yield
    finally:
        for task in loops:
            task.cancel()
        await asyncio.gather(*loops, return_exceptions=True)
        for ws, _ in list(app[SOCKETS]):
            await ws.close(code=1001, message=b"inbox shutting down")
        await client.close()
        scheduler.shutdown(wait=False)
        engine.dispose()


async def _feed(app: web.Application, last_seen: int, interval: float = 0.25) -> None:
    """Follow the change feed (written by this service and the action server alike)."""
    desk, timers = app[DESK], app[TIMERS]
    while True:
        try:
            events = await asyncio.to_thread(desk.store.events_after, last_seen)
            for event in events:
                last_seen = event.id
                await _on_change(app, desk, timers, event)
        except asyncio.CancelledError:
            raise
        except Exception:  # noqa: BLE001 - keep following the feed
            logger.exception("inbox feed round failed; trying again")
        await asyncio.sleep(interval)


async def _on_change(app: web.Application, desk: Desk, timers: Timers, event: FeedEvent) -> None:
    if event.subject == "ticket":
        ticket = await asyncio.to_thread(desk.store.ticket, event.subject_id)
        if ticket is None:
            return
        await asyncio.to_thread(timers.schedule_ticket, ticket)
        visible: Callable[[User], bool] = lambda user: user.sees(ticket.queue)  # noqa: E731
    else:
        approval = await asyncio.to_thread(desk.store.approval, event.subject_id)
        if approval is None:
            return
        await asyncio.to_thread(timers.schedule_approval, approval)
        visible = lambda user: user.sees_approvals and user.sees(approval.queue)  # noqa: E731
    message = {"type": event.subject, "id": event.subject_id, "change": event.change}
    for ws, user in list(app[SOCKETS]):
        if visible(user) and not ws.closed:
            try:
                await ws.send_json(message)
            except (ConnectionResetError, RuntimeError):
                app[SOCKETS].discard((ws, user))


# -- middleware -----------------------------------------------------------------------------------


@web.middleware
async def errors_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Refusals become 4xx with a message; nothing a person does produces a bare 500."""
    try:
        return await handler(request)
    except InboxError as refused:
        return web.json_response({"error": refused.message}, status=refused.status)
    except web.HTTPException:
        raise
    except Exception:
        logger.exception("inbox request %s %s failed", request.method, request.path)
        return web.json_response({"error": "the inbox hit an unexpected problem; nothing was lost, try again"},
                                 status=500)


@web.middleware
async def session_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    if request.path.startswith(PUBLIC) and request.path != "/":
        return await handler(request)
    await request.app[READY].wait()
    desk = request.app[DESK]
    found = await asyncio.to_thread(auth.current, desk.store, request, desk.now)
    if found is None:
        if request.path.startswith("/api/") or request.path == "/ws":
            return web.json_response({"error": "sign in first"}, status=401)
        raise web.HTTPFound("/login")
    request["user"], request["csrf"] = found
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


def _template(name: str) -> Template:
    return Template((HERE / "templates" / name).read_text(encoding="utf-8"))


async def health(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok" if request.app[READY].is_set() else "starting"})


async def login_page(request: web.Request, error: str = "", username: str = "", status: int = 200) -> web.Response:
    token = request.cookies.get(auth.LOGIN_CSRF_COOKIE) or auth.secrets.token_urlsafe(24)
    body = _template("login.html").safe_substitute(csrf=html.escape(token), error=html.escape(error),
                                                   username=html.escape(username))
    response = web.Response(text=body, content_type="text/html", status=status)
    auth.set_cookie(response, request, auth.LOGIN_CSRF_COOKIE, token, request.app[SETTINGS].secure_cookies, 3600)
    return response


async def login(request: web.Request) -> web.StreamResponse:
    await request.app[READY].wait()
    form = await request.post()
    username, password = str(form.get("username") or ""), str(form.get("password") or "")
    if not auth.same_origin(request) or not auth.csrf_ok(request.cookies.get(auth.LOGIN_CSRF_COOKIE, ""), str(form.get("csrf") or "")):
        return await login_page(request, "The form expired; please sign in again.", username, status=403)
    desk = request.app[DESK]
    result = await asyncio.to_thread(auth.log_in, desk.store, username, password, desk.now)
    if result is None:
        return await login_page(request, "Wrong username or password.", username, status=401)
    user, token, _ = result
    desk.s.audit.append(_login_audit(desk, user))
    response = web.HTTPFound("/")
    auth.set_cookie(response, request, auth.SESSION_COOKIE, token, request.app[SETTINGS].secure_cookies,
                    int(auth.SESSION_LENGTH.total_seconds()))
    response.del_cookie(auth.LOGIN_CSRF_COOKIE, path="/")
    raise response


def _login_audit(desk: Desk, user: User) -> AuditEntry:
    return AuditEntry(at=desk.now, actor=f"{user.role.value}:{user.username}", event="signed_in", conversation_id="-",
                      policy_version=desk.s.policy.version)


async def logout(request: web.Request) -> web.StreamResponse:
    token = request.cookies.get(auth.SESSION_COOKIE)
    if token:
        await asyncio.to_thread(request.app[DESK].store.close_session, auth.token_hash(token))
    response = web.HTTPFound("/login")
    response.del_cookie(auth.SESSION_COOKIE, path="/")
    raise response


async def inbox_page(request: web.Request) -> web.Response:
    user: User = request["user"]
    body = _template("inbox.html").safe_substitute(
        csrf=html.escape(request["csrf"]),
        user_json=json.dumps(user.to_dict()).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026"),
    )
    return web.Response(text=body, content_type="text/html", headers={
        "Content-Security-Policy": "default-src 'self'; connect-src 'self' ws: wss:; img-src 'self' data:; frame-ancestors 'none'",
        "X-Content-Type-Options": "nosniff", "Referrer-Policy": "same-origin",
    })


# -- JSON API -------------------------------------------------------------------------------------


async def _body(request: web.Request) -> Dict[str, Any]:
    if not request.can_read_body:
        return {}
    try:
        body = await request.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise InboxError("the request body is not valid JSON") from None
    if not isinstance(body, dict):
        raise InboxError("the request body must be a JSON object")
    return body


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
    return web.json_response(await asyncio.to_thread(desk.ticket_view, request["user"], request.match_info["id"]))


async def ticket_action(request: web.Request) -> web.Response:
    desk, user, ticket_id = request.app[DESK], request["user"], request.match_info["id"]
    verb = request.path.rsplit("/", 1)[-1]
    body = await _body(request)
    text = lambda key: str(body.get(key) or "")  # noqa: E731
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
    replies = yaml.safe_load((HERE / "canned_replies.yml").read_text(encoding="utf-8")) or []
    return web.json_response(replies)


async def users(request: web.Request) -> web.Response:
    return web.json_response([u.to_dict() for u in await asyncio.to_thread(request.app[DESK].store.users)])


async def approvals(request: web.Request) -> web.Response:
    state = request.query.get("state", "pending")
    if state not in ("pending", "decided"):
        raise InboxError("state must be pending or decided")
    desk = request.app[DESK]
    return web.json_response(await asyncio.to_thread(desk.approval_list, request["user"], state == "pending"))


async def approval(request: web.Request) -> web.Response:
    desk = request.app[DESK]
    return web.json_response(await asyncio.to_thread(desk.approval_view, request["user"], request.match_info["id"]))


async def approval_action(request: web.Request) -> web.Response:
    desk, user, approval_id = request.app[DESK], request["user"], request.match_info["id"]
    verb = request.path.rsplit("/", 1)[-1]
    body = await _body(request)
    if verb == "approve":
        await asyncio.to_thread(desk.approve, user, approval_id, _version(body))
    elif verb == "reject":
        await asyncio.to_thread(desk.reject, user, approval_id, _version(body), str(body.get("reason") or ""))
    else:
        await asyncio.to_thread(desk.modify, user, approval_id, _version(body), str(body.get("amount") or ""),
                                str(body.get("reason") or ""))
    return web.json_response(await asyncio.to_thread(desk.approval_view, user, approval_id))


# -- websocket ------------------------------------------------------------------------------------


async def websocket(request: web.Request) -> web.StreamResponse:
    """Live updates. Signed in by the cookie, same origin only, then the CSRF token as a hello."""
    user: User = request["user"]
    if not auth.same_origin(request):
        raise Forbidden("the websocket only accepts the inbox's own pages")
    ws = web.WebSocketResponse(heartbeat=30)
    await ws.prepare(request)
    try:
        hello = await ws.receive_json(timeout=10)
    except (ValueError, TypeError, asyncio.TimeoutError):
        await ws.close(code=4401, message=b"send a hello with the CSRF token first")
        return ws
    if not isinstance(hello, dict) or hello.get("type") != "hello" or not auth.csrf_ok(request["csrf"], hello.get("csrf")):
        await ws.close(code=4403, message=b"wrong CSRF token")
        return ws
    entry: Tuple[web.WebSocketResponse, User] = (ws, user)
    request.app[SOCKETS].add(entry)
    await ws.send_json({"type": "ready"})
    try:
        async for message in ws:
            if message.type != WSMsgType.TEXT:
                continue
            try:
                data = json.loads(message.data)
            except json.JSONDecodeError:
                data = None
            if isinstance(data, dict) and data.get("type") == "ping":
                await ws.send_json({"type": "pong"})
            else:
                await ws.send_json({"type": "error", "error": "only ping is accepted; changes go through the API"})
    finally:
        request.app[SOCKETS].discard(entry)
    return ws
