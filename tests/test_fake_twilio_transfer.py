"""A warm transfer played end to end on the fake Twilio: the caller waits in a conference while a
person's phone is rung through the REST API, the person takes the call with a key, joins, and
leaves with *; legs that decline, ring out or reach voicemail; hold; redirects; hang-ups."""

from __future__ import annotations

import json
from typing import Iterator

import pytest
from twilio.rest import Client

from devtools.fake_twilio import FakeTwilio
from tests.support.voice_app import Hook, VoiceApp

JANE = "+15550100001"
PERSON = "+15550200001"
ROOM = "transfer-7"
HOLD = '<Response><Say>Please hold.</Say><Play loop="0">https://cdn.example.com/hold.mp3</Play></Response>'
BRIEF = ('<Response><Gather input="dtmf" numDigits="1" action="/person/choice"><Say>Jane waits about a refund. '
         "Press 1 to take the call.</Say></Gather><Say>No answer.</Say></Response>")
PERSON_JOINS = ('<Response><Dial hangupOnStar="true" action="/person/left"><Conference startConferenceOnEnter="true" '
                f'endConferenceOnExit="false">{ROOM}</Conference></Dial></Response>')


@pytest.fixture
def fake() -> Iterator[FakeTwilio]:
    with FakeTwilio() as running:
        yield running


@pytest.fixture
def client(fake: FakeTwilio) -> Client:
    return fake.client()


@pytest.fixture
def app(fake: FakeTwilio, client: Client) -> Iterator[VoiceApp]:
    """The shop's voice app: the caller asks for a person; the person's phone is rung."""
    with VoiceApp(fake.auth_token) as running:

        def caller_waits(hook: Hook) -> str:
            client.calls.create(
                to=PERSON, from_=fake.voice_number, url=running.url("/person"), timeout=20,
                machine_detection="Enable", async_amd=True, async_amd_status_callback=running.url("/leg-status"),
                status_callback=running.url("/leg-status"),
                status_callback_event=["initiated", "ringing", "answered", "completed"],
            )
            return ("<Response><Say>Connecting you with a specialist.</Say>"
                    f'<Dial action="/resume?call={hook["CallSid"]}"><Conference waitUrl="/hold" '
                    'startConferenceOnEnter="false" endConferenceOnExit="true" statusCallback="/conference-status" '
                    f'statusCallbackEvent="start end join leave hold">{ROOM}</Conference></Dial></Response>')

        def person_left(hook: Hook) -> str:
            for conference in client.conferences.list(friendly_name=ROOM, status="in-progress"):
                client.conferences(conference.sid).update(status="completed")
            return "<Response><Say>Thanks, goodbye.</Say><Hangup/></Response>"

        running.route("/voice", caller_waits)
        running.route("/hold", HOLD)
        running.route("/person", BRIEF)
        running.route("/person/choice", lambda hook: PERSON_JOINS if hook["Digits"] == "1" else "<Response/>")
        running.route("/person/left", person_left)
        running.route("/resume", "<Response><Say>You are back with the assistant.</Say><Hangup/></Response>")
        for path in ("/leg-status", "/conference-status", "/status"):
            running.route(path, "")
        yield running


def test_a_warm_transfer_from_hold_music_to_the_person_and_back(fake: FakeTwilio, app: VoiceApp) -> None:
    caller = fake.place_call(JANE, url=app.url("/voice"))

    assert caller.state == f"in-conference {ROOM}"
    assert caller.said_all() == ["Connecting you with a specialist.", "Please hold."]
    assert caller.played() == ["https://cdn.example.com/hold.mp3"]
    person = fake.call_to(PERSON)
    assert person.said() == ["Jane waits about a refund. Press 1 to take the call."]
    assert person.answered_by == "human"
    assert fake.conference(ROOM)["status"] == "init"

    person.press("1")

    assert person.state == f"in-conference {ROOM}"
    assert fake.conference(ROOM)["status"] == "in-progress"
    assert {p["call_sid"] for p in fake.participants(ROOM)} == {caller.sid, person.sid}

    person.press("*")

    assert person.state == "completed" and person.said() == ["Thanks, goodbye."]
    assert caller.state == "completed" and caller.said_all()[-1] == "You are back with the assistant."
    [resume] = app.hooks_to("/resume")
    assert resume["DialCallStatus"] == "completed" and resume.query["call"] == caller.sid
    [left] = app.hooks_to("/person/left")
    assert left["DialCallStatus"] == "completed" and left["CallSid"] == person.sid
    events = [(h["StatusCallbackEvent"], h.get("CallSid")) for h in app.hooks_to("/conference-status")]
    assert events == [
        ("participant-join", caller.sid), ("participant-join", person.sid), ("conference-start", person.sid),
        ("participant-leave", person.sid), ("participant-leave", caller.sid), ("conference-end", None),
    ]
    end = app.hooks_to("/conference-status")[-1]
    assert end["ReasonConferenceEnded"] == "conference-ended-via-api" and end["FriendlyName"] == ROOM
    assert [h["CallStatus"] for h in app.hooks_to("/leg-status") if "CallStatus" in h.params] == [
        "initiated", "ringing", "in-progress", "completed"]
    [amd] = [h for h in app.hooks_to("/leg-status") if "AnsweredBy" in h.params and "CallStatus" not in h.params]
    assert amd["AnsweredBy"] == "human" and amd["CallSid"] == person.sid
    assert all(hook.signed for hook in app.hooks)
    assert [d.purpose for d in caller.documents] == ["voice url", "wait url", "dial action"]


@pytest.mark.parametrize(
    "answers, status",
    [("declines", "busy"), ("no_answer", "no-answer"), ("fails", "failed")],
)
def test_a_person_who_does_not_answer_is_reported_by_the_leg_status(
    fake: FakeTwilio, app: VoiceApp, answers: str, status: str
) -> None:
    getattr(fake.callee(PERSON), answers)()

    caller = fake.place_call(JANE, url=app.url("/voice"))

    person = fake.call_to(PERSON)
    assert person.state == status and caller.state == f"in-conference {ROOM}"
    assert [h["CallStatus"] for h in app.hooks_to("/leg-status")][-1] == status
    assert app.hooks_to("/person") == []


def test_voicemail_is_reported_by_answering_machine_detection_and_the_app_hangs_up(
    fake: FakeTwilio, app: VoiceApp, client: Client
) -> None:
    def hang_up_on_machines(hook: Hook) -> str:
        if hook.get("AnsweredBy", "").startswith("machine"):
            client.calls(hook["CallSid"]).update(status="completed")
        return ""

    app.route("/leg-status", hang_up_on_machines)
    fake.callee(PERSON).voicemail()
    fake.place_call(JANE, url=app.url("/voice"))
    person = fake.call_to(PERSON)

    [amd] = [h for h in app.hooks_to("/leg-status") if "AnsweredBy" in h.params and "CallStatus" not in h.params]
    assert amd["AnsweredBy"] == "machine_start"
    assert person.state == "completed" and person.answered_by == "machine_start"
    assert "ended by the API Status=completed" in person.timeline
    assert "input pressed" not in " ".join(person.timeline)


def test_the_caller_hangs_up_while_the_person_rings_and_the_app_cancels_the_leg(
    fake: FakeTwilio, app: VoiceApp, client: Client
) -> None:
    fake.callee(PERSON).rings()
    app.route("/status", lambda hook: [c.update(status="canceled") for c in
                                       client.calls.list(to=PERSON, status="ringing")] and "" or "")
    caller = fake.place_call(JANE, url=app.url("/voice"), status_callback=app.url("/status"))
    person = fake.call_to(PERSON)
    assert person.state == "ringing" and person.waiting_for == "ringing"

    caller.hang_up()
    client.calls(person.sid).update(status="canceled")
    fake.settle()

    assert caller.state == "completed" and person.state == "canceled"
    assert [h["CallStatus"] for h in app.hooks_to("/leg-status")][-1] == "canceled"
    assert fake.conference(ROOM)["status"] == "completed"
    assert fake.conference(ROOM)["reason_conference_ended"] == "participant-with-end-conference-on-exit-left"


def test_a_participant_is_held_with_hold_music_and_brought_back(
    fake: FakeTwilio, app: VoiceApp, client: Client
) -> None:
    fake.callee(PERSON).answers(press="1")
    caller = fake.place_call(JANE, url=app.url("/voice"))
    conference = fake.conference(ROOM)
    assert conference["status"] == "in-progress"

    held = client.conferences(conference["sid"]).participants(caller.sid).update(hold=True, hold_url=app.url("/hold"))
    fake.settle()

    assert held.hold is True and caller.on_hold
    assert caller.said_all()[-1] == "Please hold." and caller.documents[-1].method == "GET"
    client.conferences(conference["sid"]).participants(caller.sid).update(hold=False)
    fake.settle()
    assert not caller.on_hold
    assert [p.hold for p in client.conferences(conference["sid"]).participants.list()] == [False, False]
    events = [h["StatusCallbackEvent"] for h in app.hooks_to("/conference-status")]
    assert events[-2:] == ["participant-hold", "participant-unhold"]


def test_redirecting_a_caller_out_of_the_conference_fetches_the_new_url_without_the_dial_action(
    fake: FakeTwilio, app: VoiceApp, client: Client
) -> None:
    fake.callee(PERSON).answers(press="1")
    caller = fake.place_call(JANE, url=app.url("/voice"))
    person = fake.call_to(PERSON)

    client.calls(caller.sid).update(url=app.url("/resume?call=redirected"), method="POST")
    fake.settle()

    assert caller.said_all()[-1] == "You are back with the assistant." and caller.state == "completed"
    assert [h.query["call"] for h in app.hooks_to("/resume")] == ["redirected"]
    assert "DialCallStatus" not in app.hooks_to("/resume")[0].params
    assert person.state == "completed"  # the moderator left: the conference ended, the person's Dial too
    assert app.hooks_to("/person/left")[0]["DialCallStatus"] == "completed"


def test_participants_are_added_listed_and_removed_through_the_api(
    fake: FakeTwilio, app: VoiceApp, client: Client
) -> None:
    fake.callee(PERSON).answers(press="1")
    caller = fake.place_call(JANE, url=app.url("/voice"))
    fake.callee("+15550200002").answers()

    added = client.conferences(ROOM).participants.create(
        from_=fake.voice_number, to="+15550200002", label="supervisor", muted=True, beep="false")
    fake.settle()

    assert added.status == "queued" and added.label == "supervisor"
    listed = client.conferences(fake.conference(ROOM)["sid"]).participants.list(muted=True)
    assert [(p.label, p.status) for p in listed] == [("supervisor", "connected")]
    client.conferences(fake.conference(ROOM)["sid"]).participants("supervisor").delete()
    fake.settle()
    assert fake.call(added.call_sid).state == "completed"
    assert len(client.conferences(fake.conference(ROOM)["sid"]).participants.list()) == 2
    assert caller.state == f"in-conference {ROOM}"


def test_a_call_and_conference_are_fetched_and_listed_as_the_twilio_client_reads_them(
    fake: FakeTwilio, app: VoiceApp, client: Client
) -> None:
    caller = fake.place_call(JANE, url=app.url("/voice"))

    fetched = client.calls(caller.sid).fetch()
    [conference] = client.conferences.list(friendly_name=ROOM)

    assert fetched.status == "in-progress" and fetched.direction == "inbound" and fetched.start_time is not None
    assert conference.status == "init" and conference.sid.startswith("CF")
    assert client.conferences(conference.sid).fetch().friendly_name == ROOM
    assert client.conferences.list(status="completed") == []


@pytest.mark.parametrize(
    "method, resource, data",
    [
        ("POST", "Calls.json", {"To": PERSON, "From": JANE, "Url": "https://x.example/a", "Timeout": "soon"}),
        ("POST", "Calls.json", {"To": PERSON, "From": JANE, "Url": "https://x.example/a", "StatusCallbackMethod": "PUT"}),
        ("POST", "Calls/{call}.json", {"Status": "paused"}),
        ("POST", "Calls/{call}.json", {"Url": "not a url"}),
        ("GET", "Conferences.json", {"Status": "over"}),
        ("POST", "Conferences/{conference}.json", {"Status": "in-progress"}),
        ("POST", "Conferences/{conference}/Participants.json", {"To": PERSON, "From": JANE, "Muted": "maybe"}),
        ("POST", "Conferences/{conference}/Participants.json", {"From": JANE}),
        ("GET", "Conferences/{conference}/Participants.json", {"Hold": "perhaps"}),
        ("POST", "Conferences/{conference}/Participants/{call}.json", {"Hold": "yes"}),
        ("POST", "Conferences/{conference}/Participants/{call}.json", {"HoldUrl": "hold music"}),
        ("GET", "Calls/{call}.json", {"Colour": "blue"}),
    ],
)
def test_bad_parameters_on_the_voice_operations_are_refused_like_twilio(
    fake: FakeTwilio, app: VoiceApp, client: Client, method: str, resource: str, data: dict[str, str]
) -> None:
    caller = fake.place_call(JANE, url=app.url("/voice"))
    path = resource.format(call=caller.sid, conference=fake.conference(ROOM)["sid"])
    url = f"https://api.twilio.com/2010-04-01/Accounts/{client.account_sid}/{path}"

    response = client.request(method, url, data=data if method == "POST" else None,
                              params=data if method == "GET" else None)

    body = json.loads(response.text)
    assert response.status_code == 400 and body["code"] in (20001, 21201), body
    assert caller.state == f"in-conference {ROOM}"


def test_an_ended_call_cannot_be_redirected(fake: FakeTwilio, app: VoiceApp, client: Client) -> None:
    call = fake.place_call(JANE, url=app.url("/resume"))
    from twilio.base.exceptions import TwilioRestException

    with pytest.raises(TwilioRestException) as refused:
        client.calls(call.sid).update(url=app.url("/voice"))
    assert (refused.value.status, refused.value.code) == (400, 21220)


def test_injected_failures_apply_to_the_voice_routes(fake: FakeTwilio, client: Client) -> None:
    from twilio.base.exceptions import TwilioRestException

    fake.fail_next(status=503, code=20503, message="Service Unavailable")
    with pytest.raises(TwilioRestException) as raised:
        client.calls("CA" + "0" * 32).fetch()
    assert raised.value.status == 503
    assert client.conferences.list() == []
