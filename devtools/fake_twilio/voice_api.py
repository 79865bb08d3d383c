"""Twilio's REST routes for calls and conferences: create, fetch and update calls; list, fetch and
end conferences; add, list, fetch, hold, mute and remove participants.

Each handler checks its parameters against ``spec.py`` (as the Messages routes do), then asks the
``VoiceEngine``; nothing here waits for a call to move, so an application may call these routes
from inside the webhooks the fake sends it.
"""

from __future__ import annotations

from typing import Any, Mapping, Optional, Sequence

from aiohttp import web

from devtools.fake_twilio import resources
from devtools.fake_twilio.call_player import CallPlayer
from devtools.fake_twilio.resources import new_sid
from devtools.fake_twilio.spec import (
    CREATE_CALL,
    CREATE_PARTICIPANT,
    DELETE_PARTICIPANT,
    FETCH_CALL,
    FETCH_CONFERENCE,
    FETCH_PARTICIPANT,
    LIST_CONFERENCE,
    LIST_PARTICIPANT,
    UPDATE_CALL,
    UPDATE_CONFERENCE,
    UPDATE_PARTICIPANT,
)
from devtools.fake_twilio.state import REFUSAL_MESSAGES, FakeState
from devtools.fake_twilio.validation import TwilioApiError, as_values, check_params
from devtools.fake_twilio.voice import VoiceEngine
from devtools.fake_twilio.voice_model import Command, Conference, Leg, Participant, words

VOICE = web.AppKey("voice", VoiceEngine)
ACCOUNT = "/2010-04-01/Accounts/{account_sid}"
SID = "{sid:[A-Za-z0-9]+}"
#: Twilio's answer to an update of a call that has ended.
NOT_IN_PROGRESS = 21220

Values = Mapping[str, Sequence[str]]


def _first(values: Values, name: str, default: Optional[str] = None) -> Optional[str]:
    given = values.get(name)
    return given[0] if given else default


def _flag(values: Values, name: str, default: bool = False) -> bool:
    value = _first(values, name)
    return default if value is None else value.lower() == "true"


def not_found(path: str) -> TwilioApiError:
    return TwilioApiError(404, 20404, f"The requested resource {path} was not found")


def _refuse_if_asked(state: FakeState, to: str) -> None:
    code = state.refusal_for(to)
    if code is not None:
        template = REFUSAL_MESSAGES.get(code, "Call to {to} refused (code %d)" % code)
        raise TwilioApiError(400, code, template.format(to=to))


def _page(request: web.Request, key: str, records: list[dict[str, Any]], filters: dict[str, str]) -> web.Response:
    query = as_values(request.query)
    page_size = int(_first(query, "PageSize", "50") or 50)
    page = int(_first(query, "Page", "0") or 0)
    if not 1 <= page_size <= 1000 or page < 0:
        raise TwilioApiError(400, 20001, "PageSize must be 1..1000 and Page must not be negative")
    return web.json_response(resources.page_body(key, records, request.path, page, page_size, filters))


def _amd(values: Values, callback: str, method: str) -> dict[str, str]:
    """Answering machine detection as asked: ``MachineDetection``, async or not, where to report."""
    if not _first(values, "MachineDetection"):
        return {}
    return {
        "MachineDetection": _first(values, "MachineDetection") or "",
        "AsyncAmd": (_first(values, "AsyncAmd", "false") or "false").lower() if callback == "AsyncAmdStatusCallback"
        else "true",
        "AsyncAmdStatusCallback": _first(values, callback, "") or "",
        "AsyncAmdStatusCallbackMethod": (_first(values, method, "POST") or "POST").upper(),
    }


def _outbound_leg(engine: VoiceEngine, values: Values) -> Leg:
    leg = Leg(new_sid("CA"), engine.state.account_sid, _first(values, "From") or "", _first(values, "To") or "",
              "outbound-api", engine.state.clock.now())
    leg.status_callback = _first(values, "StatusCallback")
    leg.status_callback_events = words(values.get("StatusCallbackEvent", ())) or ("completed",)
    leg.status_callback_method = (_first(values, "StatusCallbackMethod", "POST") or "POST").upper()
    return leg


# -- calls ----------------------------------------------------------------------------------------
async def create_call(request: web.Request) -> web.Response:
    engine = request.app[VOICE]
    values = as_values(await request.post())
    check_params(CREATE_CALL, values)
    _refuse_if_asked(engine.state, values["To"][0])
    leg = _outbound_leg(engine, values)
    engine.state.remember_params(leg.sid, values)
    if _first(values, "Url"):
        first: tuple = ("url", _first(values, "Url"), (_first(values, "Method", "POST") or "POST").upper())
    else:  # an ApplicationSid names an app the fake does not have: its TwiML is empty
        first = ("twiml", _first(values, "Twiml") or "<Response/>")
    timeout = int(_first(values, "Timeout", "60") or 60)
    player = CallPlayer(engine, leg, engine.behaviour(leg.to))
    resource = leg.resource()
    engine.start_leg(leg, lambda: player.outbound(first, timeout, _amd(values, "AsyncAmdStatusCallback",
                                                                       "AsyncAmdStatusCallbackMethod")))
    return web.json_response(resource, status=201)


def _leg(request: web.Request) -> Leg:
    leg = request.app[VOICE].leg(request.match_info["sid"])
    if leg is None:
        raise not_found(request.path)
    return leg


async def fetch_call(request: web.Request) -> web.Response:
    check_params(FETCH_CALL, as_values(request.query))
    leg = _leg(request)
    return web.json_response(request.app[VOICE].snapshot(leg.resource))


async def update_call(request: web.Request) -> web.Response:
    """``Status=canceled`` cancels a queued or ringing call (and does nothing to one in progress),
    ``Status=completed`` hangs up; ``Url``/``Twiml`` give an in-progress call new TwiML, taking
    it out of any conference."""
    engine = request.app[VOICE]
    values = as_values(await request.post())
    check_params(UPDATE_CALL, values)
    leg = _leg(request)
    status, url, twiml = _first(values, "Status"), _first(values, "Url"), _first(values, "Twiml")
    with engine.cond:
        if leg.ended:
            raise TwilioApiError(400, NOT_IN_PROGRESS, "Call is not in-progress. Cannot redirect.")
        if _first(values, "StatusCallback"):
            leg.status_callback = _first(values, "StatusCallback")
            leg.status_callback_method = (_first(values, "StatusCallbackMethod", "POST") or "POST").upper()
        shown = leg.resource()
        ringing = leg.status in ("queued", "ringing")
        if status == "canceled" and ringing or status == "completed":
            leg.note("ended by the API", f"Status={status}")
            engine.push(leg, Command("end", {"status": status}))
            shown["status"] = "canceled" if ringing else "completed"
        elif status == "canceled":
            leg.note("ignored", "Status=canceled on a call in progress")
        elif url or twiml:
            if ringing:
                raise TwilioApiError(400, NOT_IN_PROGRESS, "Call is not in-progress. Cannot redirect.")
            method = (_first(values, "Method", "POST") or "POST").upper()
            leg.note("redirected by the API", url or "Twiml")
            engine.push(leg, Command("redirect", {"url": url, "method": method} if url else {"twiml": twiml}))
    return web.json_response(shown)


# -- conferences ----------------------------------------------------------------------------------
def _conference(request: web.Request, key: Optional[str] = None) -> Conference:
    """By SID, or by friendly name as Twilio also accepts where the path has no SID pattern."""
    found = request.app[VOICE].find_conference(key or request.match_info["sid"])
    if found is None:
        raise not_found(request.path)
    return found


async def list_conferences(request: web.Request) -> web.Response:
    engine = request.app[VOICE]
    query = as_values(request.query)
    check_params(LIST_CONFERENCE, query)
    filters = {name: query[name][0] for name in ("FriendlyName", "Status") if name in query}
    records = engine.snapshot(lambda: [c.resource() for c in reversed(list(engine.conferences.values()))])
    kept = [r for r in records if all(r[resources.snake_case(k)] == v for k, v in filters.items())]
    return _page(request, "conferences", kept, filters)


async def fetch_conference(request: web.Request) -> web.Response:
    check_params(FETCH_CONFERENCE, as_values(request.query))
    conference = _conference(request)
    return web.json_response(request.app[VOICE].snapshot(conference.resource))


async def update_conference(request: web.Request) -> web.Response:
    engine = request.app[VOICE]
    values = as_values(await request.post())
    check_params(UPDATE_CONFERENCE, values)
    conference = _conference(request)
    with engine.cond:
        if _first(values, "AnnounceUrl") and conference.status != "completed":
            for sid in list(conference.participants):
                engine.push(engine.legs[sid], Command("announce", {
                    "url": _first(values, "AnnounceUrl"), "method": (_first(values, "AnnounceMethod", "POST") or "POST")}))
        if _first(values, "Status") == "completed":
            engine.end_conference(conference, "conference-ended-via-api")
        return web.json_response(conference.resource())


# -- participants ---------------------------------------------------------------------------------
async def create_participant(request: web.Request) -> web.Response:
    """Call ``To`` and, once answered, put the call in the conference (by SID, or by name: a
    conference of that name is created when none is live)."""
    engine = request.app[VOICE]
    values = as_values(await request.post())
    check_params(CREATE_PARTICIPANT, values)
    _refuse_if_asked(engine.state, values["To"][0])
    key = request.match_info["conference"]
    if key.startswith("CF"):
        conference = engine.find_conference(key)
        if conference is None or conference.status == "completed":
            raise not_found(request.path)
    else:
        conference = engine.conference_named(key)
    leg = _outbound_leg(engine, values)
    engine.state.remember_params(leg.sid, values)
    participant = Participant(
        leg.sid, conference.sid, engine.state.account_sid, engine.state.clock.now(), label=_first(values, "Label"),
        status="queued", start_conference_on_enter=_flag(values, "StartConferenceOnEnter", True),
        end_conference_on_exit=_flag(values, "EndConferenceOnExit"), muted=_flag(values, "Muted"),
        coaching=_flag(values, "Coaching"), call_sid_to_coach=_first(values, "CallSidToCoach"),
        wait_url=_first(values, "WaitUrl"), wait_method=(_first(values, "WaitMethod", "POST") or "POST").upper(),
    )
    with engine.cond:
        conference.participants[leg.sid] = participant
        if _first(values, "ConferenceStatusCallback") and conference.status_callback is None:
            conference.status_callback = _first(values, "ConferenceStatusCallback")
            conference.status_callback_method = (_first(values, "ConferenceStatusCallbackMethod", "POST") or "POST")
            events = words(values.get("ConferenceStatusCallbackEvent", ()))
            if events:
                conference.status_callback_events = events
        resource = participant.resource()
    timeout = int(_first(values, "Timeout", "60") or 60)
    player = CallPlayer(engine, leg, engine.behaviour(leg.to))
    amd = _amd(values, "AmdStatusCallback", "AmdStatusCallbackMethod")
    engine.start_leg(leg, lambda: player.outbound(("conference", conference, participant), timeout, amd))
    return web.json_response(resource, status=201)


def _participant(request: web.Request) -> tuple[Conference, Participant]:
    conference = _conference(request, request.match_info["conference"])
    key = request.match_info["call"]
    with request.app[VOICE].cond:
        found = conference.participants.get(key) or next(
            (p for p in conference.participants.values() if p.label == key), None)
    if found is None:
        raise not_found(request.path)
    return conference, found


async def list_participants(request: web.Request) -> web.Response:
    engine = request.app[VOICE]
    query = as_values(request.query)
    check_params(LIST_PARTICIPANT, query)
    conference = _conference(request, request.match_info["conference"])
    filters = {name: query[name][0].lower() for name in ("Muted", "Hold", "Coaching") if name in query}
    records = engine.snapshot(lambda: [p.resource() for p in conference.participants.values()])
    kept = [r for r in records if all(str(r[k.lower()]).lower() == v for k, v in filters.items())]
    return _page(request, "participants", kept, filters)


async def fetch_participant(request: web.Request) -> web.Response:
    check_params(FETCH_PARTICIPANT, as_values(request.query))
    _, participant = _participant(request)
    return web.json_response(request.app[VOICE].snapshot(participant.resource))


async def update_participant(request: web.Request) -> web.Response:
    """Hold (with ``HoldUrl`` played to the held call), mute, announce, and the exit flags."""
    engine = request.app[VOICE]
    values = as_values(await request.post())
    check_params(UPDATE_PARTICIPANT, values)
    conference, participant = _participant(request)
    with engine.cond:
        leg = engine.legs[participant.call_sid]
        participant.updated = engine.state.clock.now()
        if "Hold" in values and _flag(values, "Hold") != participant.hold:
            participant.hold = _flag(values, "Hold")
            event = "participant-hold" if participant.hold else "participant-unhold"
            leg.note("hold" if participant.hold else "unhold", conference.friendly_name)
            engine.conference_event(conference, event, participant)
            engine.push(leg, Command("hold", {"url": _first(values, "HoldUrl"),
                                              "method": (_first(values, "HoldMethod", "GET") or "GET").upper()})
                        if participant.hold else Command("unhold"))
        if "Muted" in values and _flag(values, "Muted") != participant.muted:
            participant.muted = _flag(values, "Muted")
            engine.conference_event(conference, "participant-mute" if participant.muted else "participant-unmute",
                                    participant)
        if "EndConferenceOnExit" in values:
            participant.end_conference_on_exit = _flag(values, "EndConferenceOnExit")
        if "Coaching" in values:
            participant.coaching = _flag(values, "Coaching")
        if _first(values, "CallSidToCoach"):
            participant.call_sid_to_coach = _first(values, "CallSidToCoach")
        if _first(values, "AnnounceUrl"):
            engine.push(leg, Command("announce", {"url": _first(values, "AnnounceUrl"),
                                                  "method": (_first(values, "AnnounceMethod", "POST") or "POST")}))
        return web.json_response(participant.resource())


async def delete_participant(request: web.Request) -> web.Response:
    """The participant is removed: its ``<Dial>`` ends (its action is requested), or, for a call
    the Participants API made, the call ends."""
    engine = request.app[VOICE]
    check_params(DELETE_PARTICIPANT, as_values(request.query))
    _, participant = _participant(request)
    with engine.cond:
        leg = engine.legs[participant.call_sid]
        engine.leave(leg, "participant_kicked", kicked=True)
        engine.push(leg, Command("kicked"))
    return web.Response(status=204)


def add_routes(app: web.Application, engine: VoiceEngine) -> None:
    app[VOICE] = engine
    conference_path = f"{ACCOUNT}/Conferences/{{conference:[^/]+}}"
    app.router.add_post(f"{ACCOUNT}/Calls.json", create_call)
    app.router.add_get(f"{ACCOUNT}/Calls/{SID}.json", fetch_call, allow_head=False)
    app.router.add_post(f"{ACCOUNT}/Calls/{SID}.json", update_call)
    app.router.add_get(f"{ACCOUNT}/Conferences.json", list_conferences, allow_head=False)
    app.router.add_post(f"{conference_path}/Participants.json", create_participant)
    app.router.add_get(f"{conference_path}/Participants.json", list_participants, allow_head=False)
    participant_path = f"{conference_path}/Participants/{{call:[^/]+}}.json"
    app.router.add_get(participant_path, fetch_participant, allow_head=False)
    app.router.add_post(participant_path, update_participant)
    app.router.add_delete(participant_path, delete_participant)
    app.router.add_get(f"{ACCOUNT}/Conferences/{SID}.json", fetch_conference, allow_head=False)
    app.router.add_post(f"{ACCOUNT}/Conferences/{SID}.json", update_conference)
