"""The inbox's HTTP handlers: sign-in and its pages, and the JSON API people work through.

The middleware turns refusals into 4xx answers with a message and lets only signed-in people
(with the CSRF token, for changes) past the public pages.
"""

from __future__ import annotations

import asyncio
import html
import json
import logging
from http.cookies import CookieError
from typing import Any, Callable, Dict, Optional

from aiohttp import web
from aiohttp.typedefs import Handler
from multidict import MultiDictProxy

from actions.json_input import BadJson, json_object
from handoff import auth
from actions.domain.phones import NotAPhoneNumber, e164
from handoff.app_state import CALLS, CANNED, DESK, MAX_BODY_BYTES, MY_PHONE, OPENAPI, SETTINGS, SOCKETS, TEMPLATES, THROTTLE
from handoff.closed_params import closed_query
from handoff.domain.errors import Forbidden, InboxError, NotFound
from handoff.domain.people import User
from handoff.domain.phone_proofs import PhoneProfile
from handoff.websocket_hub import SESSION_ENDED, close_page

logger = logging.getLogger(__name__)

PUBLIC = ("/login", "/chat", "/static/", "/health")
MAX_ROW_ID = 2**63 - 1  # the largest integer key SQLite and PostgreSQL store
#: How approval notices may reach a person's phone.
NOTICE_CHANNELS = ("sms", "whatsapp")


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
    except CookieError as unreadable:  # aiohttp parses the Cookie header when it is first read
        return web.json_response({"error": f"the Cookie header can't be read ({unreadable}): clear this site's "
                                           "cookies and sign in again"}, status=400)
    except web.HTTPRequestEntityTooLarge:
        return web.json_response({"error": f"the request body is larger than {MAX_BODY_BYTES // 1024} KB: send less"},
                                 status=413)
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
            given = (await _form(request)).get("csrf")  # type: ignore[assignment]
        if not auth.csrf_ok(request["csrf"], given):  # type: ignore[arg-type]
            return web.json_response({"error": "missing or wrong CSRF token; reload the page"}, status=403)
    return await handler(request)


async def _form(request: web.Request) -> "MultiDictProxy[Any]":
    """The posted form. A body that says it is a form and can't be read as one (multipart without
    its boundary, text that is not in its charset) is the sender's mistake: a 400, not a 500."""
    try:
        return await request.post()
    except ValueError as unreadable:  # UnicodeDecodeError included
        raise InboxError(f"the form can't be read ({unreadable}): send it as application/x-www-form-urlencoded") \
            from None


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
    form = await _form(request)
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
    await asyncio.gather(*(close_page(request.app, page, SESSION_ENDED, b"signed out")
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


async def openapi(request: web.Request) -> web.Response:
    """The API's description (``handoff/openapi.yaml``), for people and scripts with a login, as every
    ``/api/`` route is."""
    return web.json_response(request.app[OPENAPI])


async def me(request: web.Request) -> web.Response:
    return web.json_response(request["user"].to_dict())


async def my_phone(request: web.Request) -> web.Response:
    """A person's own phone for approval notices (``GET``), or new settings (``POST``): any of
    ``phone`` (null or "" removes it), ``notices_by`` (sms | whatsapp), ``on_duty`` (true | false).
    A new number is texted a code and kept only once the code comes back (``my_phone_confirm``)."""
    phone, user = request.app[MY_PHONE], request["user"]
    if request.method == "POST":
        body = await _body(request)
        current = await asyncio.to_thread(phone.profile, user)
        wanted = _phone_profile(body, current, request.app[SETTINGS].phone_region)
        return web.json_response(await asyncio.to_thread(phone.change, user, wanted))
    return web.json_response(await asyncio.to_thread(phone.view, user))


async def my_phone_confirm(request: web.Request) -> web.Response:
    """``{"code": "123456"}``: the code texted to the new number; the number is kept and the settings
    asked with it take effect."""
    code = _text(await _body(request), "code")
    return web.json_response(await asyncio.to_thread(request.app[MY_PHONE].confirm, request["user"], code))


async def my_phone_calls(request: web.Request) -> web.Response:
    """``{"available": true}``: customers' calls handed to people may ring this person's proven
    number (``false``: they may not). Agents, seniors and managers; not admins."""
    available = (await _body(request)).get("available")
    if not isinstance(available, bool):
        raise InboxError("'available' must be true or false")
    return web.json_response(await asyncio.to_thread(request.app[MY_PHONE].take_calls, request["user"], available))


def _phone_profile(body: Dict[str, Any], current: PhoneProfile, region: str) -> PhoneProfile:
    phone, notices_by, on_duty = current.phone, current.notices_by, current.on_duty
    if "phone" in body:
        given = _text(body, "phone").strip()
        try:
            phone = e164(given, region) if given else None
        except NotAPhoneNumber as bad:
            raise InboxError(str(bad)) from None
    if "notices_by" in body:
        notices_by = _text(body, "notices_by")
        if notices_by not in NOTICE_CHANNELS:
            raise InboxError(f"'notices_by' must be one of {', '.join(NOTICE_CHANNELS)}")
    if "on_duty" in body:
        if not isinstance(body["on_duty"], bool):
            raise InboxError("'on_duty' must be true or false")
        on_duty = body["on_duty"]
    if on_duty and phone is None:
        raise InboxError("add your phone number before going on duty: the notices are texted to it")
    return PhoneProfile(phone, notices_by, on_duty)


def _open_list(request: web.Request, open_state: str, closed_state: str) -> bool:
    """Whether the list asked for (``?state=``) is the open one (the default) or the other."""
    state = request.query.get("state", open_state)
    if state not in (open_state, closed_state):
        raise InboxError(f"state must be {open_state} or {closed_state}")
    return state == open_state


async def tickets(request: web.Request) -> web.Response:
    active = _open_list(request, "active", "closed")
    return web.json_response(await asyncio.to_thread(request.app[DESK].ticket_list, request["user"], active))


async def closed_tickets(request: web.Request) -> web.Response:
    """A page of closed tickets, searched and paged (``handoff.closed_params`` says what it takes)."""
    query = closed_query({name: request.query.getall(name) for name in request.query})
    return web.json_response(await asyncio.to_thread(request.app[DESK].closed_list, request["user"], query))


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
        "reply": lambda: desk.reply(user, ticket_id, text("text"), text("channel")),
        "request-approval": lambda: desk.request_approval(user, ticket_id, _version(body), text("note")),
        "handback": lambda: desk.hand_back(user, ticket_id, _version(body), text("outcome"), text("note")),
        "close": lambda: desk.close(user, ticket_id, _version(body), text("resolution")),
    }
    await asyncio.to_thread(calls[verb])
    if verb == "handback":  # a caller still in the transfer's room comes back to the assistant now
        await request.app[CALLS].handed_back(user, ticket_id, text("outcome"))
    moved = await asyncio.to_thread(desk.store.ticket, ticket_id)
    if moved is not None and not user.sees(moved.queue):  # e.g. an agent transferred it to the seniors
        return web.json_response({"id": ticket_id, "gone": True, "queue": moved.queue, "status": moved.status})
    return web.json_response(await asyncio.to_thread(desk.ticket_view, user, ticket_id))


async def call_hold(request: web.Request) -> web.Response:
    """``{"on": true}``: the person on the customer's call puts the caller on hold (hold music in the
    room); ``{"on": false}`` takes them off it. Answers the ticket, whose ``call`` says so."""
    desk, user, ticket_id = request.app[DESK], request["user"], _id(request, "ticket")
    body = await _body(request)
    on = body.get("on")
    if not isinstance(on, bool):
        raise InboxError("'on' must be true (put the caller on hold) or false (take them off hold)")
    await request.app[CALLS].hold(user, ticket_id, _version(body), on)
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
    pending = _open_list(request, "pending", "decided")
    return web.json_response(await asyncio.to_thread(request.app[DESK].approval_list, request["user"], pending))


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
