"""The fake's aiohttp application: Twilio's REST routes for Messages, the account's incoming
phone numbers, Calls and Conferences (``voice_api``), and the demo phone.

One middleware does what Twilio does before any API route runs: record the request, apply an
injected failure, check HTTP Basic auth and the account in the path, and render every error
as Twilio's JSON error body. The phone page and ``/health`` are the fake's own, outside the API.
"""

from __future__ import annotations

import asyncio
from typing import Awaitable, Callable, Optional

from aiohttp import web
from multidict import CIMultiDict, MultiDict

from devtools.fake_twilio import listing, phone, progress, resources, voice_api
from devtools.fake_twilio.spec import (
    CREATE_MESSAGE,
    FETCH_MESSAGE,
    LIST_INCOMING_PHONE_NUMBER,
    LIST_MESSAGE,
    UPDATE_INCOMING_PHONE_NUMBER,
)
from devtools.fake_twilio.state import (
    REFUSAL_MESSAGES,
    FakeState,
    RecordedRequest,
    basic_auth,
)
from devtools.fake_twilio.validation import TwilioApiError, as_values, check_params
from devtools.fake_twilio.voice import VoiceEngine

STATE = web.AppKey("state", FakeState)
#: The tasks walking messages through their statuses on their own (demo mode), kept until done.
ADVANCING = web.AppKey("advancing", set)
API_PREFIX = "/2010-04-01/"
ACCOUNT = "/2010-04-01/Accounts/{account_sid}"

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def error_response(error: TwilioApiError) -> web.Response:
    return web.json_response(error.to_json(), status=error.status)


def not_found(path: str) -> TwilioApiError:
    return TwilioApiError(404, 20404, f"The requested resource {path} was not found")


@web.middleware
async def twilio_front_door(request: web.Request, handler: Handler) -> web.StreamResponse:
    if not request.path.startswith(API_PREFIX):
        return await handler(request)
    state = request.app[STATE]
    form: MultiDict[str] = MultiDict()
    if request.method == "POST":
        form = MultiDict((k, str(v)) for k, v in (await request.post()).items())
    credentials = basic_auth(request.headers.get("Authorization"))
    state.record(
        RecordedRequest(
            method=request.method,
            path=request.path,
            query=MultiDict(request.query),
            form=form,
            headers=CIMultiDict(request.headers),
            auth_user=credentials[0] if credentials else None,
        )
    )
    failure = state.pop_failure()
    if failure is not None:
        if failure.delay:
            await asyncio.sleep(failure.delay)
        if failure.status is not None:
            code = failure.code if failure.code is not None else failure.status
            return error_response(TwilioApiError(failure.status, code, failure.message))
    if credentials != (state.account_sid, state.auth_token):
        return error_response(TwilioApiError(401, 20003, "Authenticate"))
    path_account = request.match_info.get("account_sid")
    if path_account is not None and path_account != state.account_sid:
        return error_response(not_found(request.path))
    try:
        return await handler(request)
    except TwilioApiError as error:
        return error_response(error)
    except web.HTTPMethodNotAllowed:
        return error_response(TwilioApiError(405, 20004, "Method not allowed"))
    except web.HTTPNotFound:
        return error_response(not_found(request.path))


async def _form_values(request: web.Request) -> dict[str, list[str]]:
    return as_values(await request.post())


def _refuse_if_asked(state: FakeState, to: str) -> None:
    code = state.refusal_for(to)
    if code is not None:
        template = REFUSAL_MESSAGES.get(code, "Message to {to} refused (code %d)" % code)
        raise TwilioApiError(400, code, template.format(to=to))


async def create_message(request: web.Request) -> web.Response:
    state = request.app[STATE]
    values = await _form_values(request)
    check_params(CREATE_MESSAGE, values)
    _refuse_if_asked(state, values["To"][0])
    resource = resources.message_resource(state.account_sid, values, state.clock.now())
    state.add_message(resource, values)
    if state.advance_every is not None:
        advance_on_its_own(request.app, resource["sid"], state.advance_every)
    return web.json_response(resource, status=201)


def advance_on_its_own(app: web.Application, sid: str, every: float) -> None:
    task = asyncio.get_running_loop().create_task(progress.advance_on_its_own(app[STATE], sid, every))
    app[ADVANCING].add(task)
    task.add_done_callback(app[ADVANCING].discard)


async def fetch_message(request: web.Request) -> web.Response:
    state = request.app[STATE]
    check_params(FETCH_MESSAGE, as_values(request.query))
    found = state.message(request.match_info["sid"])
    if found is None:
        raise not_found(request.path)
    return web.json_response(found)


async def list_messages(request: web.Request) -> web.Response:
    state = request.app[STATE]
    query = as_values(request.query)
    check_params(LIST_MESSAGE, query)
    records = listing.matching(state.messages(), query)
    page_size = int(query.get("PageSize", ["50"])[0])
    page = int(query.get("Page", ["0"])[0])
    if not 1 <= page_size <= 1000 or page < 0:
        raise TwilioApiError(400, 20001, "PageSize must be 1..1000 and Page must not be negative")
    body = resources.page_body(
        "messages", records, request.path, page, page_size, listing.echoed_filters(query)
    )
    return web.json_response(body)


async def list_incoming_numbers(request: web.Request) -> web.Response:
    """``PhoneNumber`` and ``FriendlyName`` keep the numbers equal to them (Twilio also matches
    part of a number; the setup command always asks for a whole E.164 number)."""
    state = request.app[STATE]
    query = as_values(request.query)
    check_params(LIST_INCOMING_PHONE_NUMBER, query)
    filters = {name: query[name][0] for name in ("PhoneNumber", "FriendlyName") if name in query}
    records = [n for n in state.numbers() if all(n[resources.snake_case(k)] == v for k, v in filters.items())]
    page_size = int(query.get("PageSize", ["50"])[0])
    page = int(query.get("Page", ["0"])[0])
    if not 1 <= page_size <= 1000 or page < 0:
        raise TwilioApiError(400, 20001, "PageSize must be 1..1000 and Page must not be negative")
    body = resources.page_body("incoming_phone_numbers", records, request.path, page, page_size, filters)
    return web.json_response(body)


async def update_incoming_number(request: web.Request) -> web.Response:
    state = request.app[STATE]
    values = await _form_values(request)
    check_params(UPDATE_INCOMING_PHONE_NUMBER, values)
    if "AccountSid" in values:
        raise TwilioApiError(400, 20001, "The fake Twilio does not move numbers between accounts")
    fields = {resources.snake_case(name): _typed(name, given[0]) for name, given in values.items()}
    updated = state.update_number(request.match_info["sid"], date_updated=resources.rfc2822(state.clock.now()),
                                  **fields)
    if updated is None:
        raise not_found(request.path)
    return web.json_response(updated)


def _typed(name: str, value: str) -> object:
    param = UPDATE_INCOMING_PHONE_NUMBER.param(name)
    return value.lower() == "true" if param is not None and param.type == "boolean" else value


async def health(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


def create_app(
    state: FakeState, phone_settings: Optional[phone.PhoneSettings] = None, voice: Optional[VoiceEngine] = None
) -> web.Application:
    """The API (calls and conferences played by ``voice``); with ``phone_settings``, the demo phone page too."""
    app = web.Application(middlewares=[twilio_front_door])
    app[STATE] = state
    app[ADVANCING] = set()
    app.router.add_get("/health", health)
    app.router.add_post(f"{ACCOUNT}/Messages.json", create_message)
    app.router.add_get(f"{ACCOUNT}/Messages.json", list_messages, allow_head=False)
    app.router.add_get(f"{ACCOUNT}/Messages/{{sid:[A-Za-z0-9]+}}.json", fetch_message, allow_head=False)
    voice = voice or VoiceEngine(state)
    voice_api.add_routes(app, voice)
    app.router.add_get(f"{ACCOUNT}/IncomingPhoneNumbers.json", list_incoming_numbers, allow_head=False)
    app.router.add_post(f"{ACCOUNT}/IncomingPhoneNumbers/{{sid:[A-Za-z0-9]+}}.json", update_incoming_number)
    if phone_settings is not None:
        phone.add_routes(app, state, phone_settings, voice)
    return app
