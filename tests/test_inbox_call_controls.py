"""The person on a customer's call works it from the inbox: hold, off hold, and a hand-back that
brings the caller back to the assistant at once.

The real inbox on SQLite (``running_inbox``) with Twilio settings pointing at the in-process fake
Twilio, which plays Jane's call: she waits in the transfer's conference room, as the voice
channel put her there, and Ali has her ticket (he pressed 1 on his phone). The voice channel's
webhooks that Twilio calls back (hold music, the caller's return) are a small ``VoiceApp`` at
``HITL_PUBLIC_URL``.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator, List, Optional, Tuple

import pytest

from devtools.fake_twilio import FakeTwilio
from devtools.fake_twilio.phone_calls import PhoneCall
from devtools.fake_twilio.state import RecordedRequest
from handoff.app_state import DESK
from handoff.domain.transfer_records import (
    ACCEPTED,
    CONNECTED,
    LEG_RINGING,
    RINGING,
    Leg,
    Transfer,
    room_of,
)
from handoff.transfers import SqlTransfers
from tests.support.inbox import Inbox, running_inbox
from tests.support.voice_app import VoiceApp

JANE, SHOP, ALIS_PHONE = "+15550100001", "+15005550006", "+15550100110"
HOLD_MUSIC = "https://cdn.example.com/hold.mp3"
BACK_WITH_THE_ASSISTANT = "You're back with the assistant."


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeTwilio]:
    with FakeTwilio(sms_number=SHOP) as running:
        yield running


@pytest.fixture(scope="module")
def voice(fake: FakeTwilio) -> Iterator[VoiceApp]:
    """The voice channel's side of the call: the caller's room, hold music, the caller's return."""
    with VoiceApp(fake.auth_token) as app:
        app.route("/voice", lambda hook: (
            '<Response><Dial action="/webhooks/voice/resume"><Conference startConferenceOnEnter="true" '
            f'endConferenceOnExit="true" waitUrl="/webhooks/voice/hold">{hook.query["room"]}</Conference></Dial></Response>'))
        app.route("/webhooks/voice/hold", f'<Response><Say>Please hold.</Say><Play loop="0">{HOLD_MUSIC}</Play></Response>')
        app.route("/webhooks/voice/resume", f"<Response><Say>{BACK_WITH_THE_ASSISTANT}</Say><Hangup/></Response>")
        yield app


@pytest.fixture(scope="module")
def inbox(tmp_path_factory: pytest.TempPathFactory, fake: FakeTwilio, voice: VoiceApp) -> Iterator[Inbox]:
    twilio = {"TWILIO_ACCOUNT_SID": fake.account_sid, "TWILIO_AUTH_TOKEN": fake.auth_token,
              "TWILIO_FROM_NUMBER": SHOP, "TWILIO_BASE_URL": fake.base_url, "HITL_PUBLIC_URL": voice.url("")}
    with running_inbox(tmp_path_factory.mktemp("inbox-calls"), **twilio) as running:
        yield running


def jane_on_the_phone_with_ali(inbox: Inbox, fake: FakeTwilio, voice: VoiceApp, state: str = CONNECTED,
                               alis_call: Optional[str] = None) -> Tuple[str, Transfer, PhoneCall]:
    """Jane's ticket, Ali's, and Jane in the transfer's room: connected with Ali (he pressed 1, which
    gave him the ticket), or (``RINGING``) waiting while his phone (``alis_call``) rings."""
    ticket_id = inbox.new_ticket()
    ali = inbox.sign_in("ali")
    assert ali.post(f"/api/tickets/{ticket_id}/claim", {"version": 1}).status_code == 200
    transfer_id = uuid.uuid4().hex[:12]
    jane = fake.place_call(JANE, SHOP, f"{voice.url('/voice')}?room={room_of(transfer_id)}")
    assert jane.state == f"in-conference {room_of(transfer_id)}"
    now = datetime.now(timezone.utc)
    transfer = Transfer(id=transfer_id, call_sid=jane.sid, conversation_id="+15550100001", ticket_id=ticket_id,
                        room=room_of(transfer_id), state=state, created_at=now, updated_at=now, leg=1)
    leg = Leg(transfer_id=transfer_id, n=1, username="ali", phone=ALIS_PHONE,
              state=ACCEPTED if state == CONNECTED else LEG_RINGING, created_at=now, updated_at=now,
              call_sid=alis_call or "CA" + "a" * 32, answered_at=now if state == CONNECTED else None)
    assert SqlTransfers(inbox.engine).add(transfer, [leg])
    return ticket_id, transfer, jane


def participant_updates(fake: FakeTwilio, call_sid: str) -> List[RecordedRequest]:
    return [r for r in fake.requests if r.method == "POST" and "/Participants/" in r.path and r.path.endswith(f"/{call_sid}.json")]


def audited(inbox: Inbox, ticket_id: str) -> List[Tuple[str, str]]:
    entries = inbox.app[DESK].s.audit.entries()
    return [(e.event, e.actor) for e in entries if (e.detail or {}).get("ticket_id") == ticket_id]


def test_ali_puts_jane_on_hold_she_hears_the_hold_music_then_he_takes_her_off_hold(
        inbox: Inbox, fake: FakeTwilio, voice: VoiceApp) -> None:
    ticket_id, _, jane = jane_on_the_phone_with_ali(inbox, fake, voice)
    ali = inbox.sign_in("ali")
    assert ali.ticket(ticket_id)["call"]["can"] == {"hold": True, "resume": False}

    held = ali.post(f"/api/tickets/{ticket_id}/call/hold", {"on": True})

    assert held.status_code == 200, held.text
    call = held.json()["call"]
    assert (call["state"], call["words"], call["can"]) == ("on_hold", "Caller on hold by Ali", {"hold": False, "resume": True})
    [update] = participant_updates(fake, jane.sid)
    assert (update.form["Hold"], update.form["HoldUrl"]) == ("true", f"{voice.url('')}/webhooks/voice/hold")
    fake.wait_until(lambda: jane.on_hold and HOLD_MUSIC in jane.played(), "Jane hears the hold music")

    back = ali.post(f"/api/tickets/{ticket_id}/call/hold", {"on": False, "version": held.json()["version"]})

    assert back.status_code == 200, back.text
    assert back.json()["call"]["words"] == "Connected with Ali"
    assert [u.form["Hold"] for u in participant_updates(fake, jane.sid)] == ["true", "false"]
    fake.wait_until(lambda: not jane.on_hold, "Jane is off hold")
    assert [event for event, actor in audited(inbox, ticket_id) if actor == "agent:ali"][-2:] == \
        ["caller_put_on_hold", "caller_taken_off_hold"]
    jane.hang_up()


def test_only_the_person_on_the_call_may_hold_the_caller(inbox: Inbox, fake: FakeTwilio, voice: VoiceApp) -> None:
    ticket_id, _, jane = jane_on_the_phone_with_ali(inbox, fake, voice)
    sofia = inbox.sign_in("sofia")  # a senior, who sees the ticket but is not on the call
    assert sofia.ticket(ticket_id)["call"]["can"] == {"hold": False, "resume": False}

    refused = sofia.post(f"/api/tickets/{ticket_id}/call/hold", {"on": True})

    assert refused.status_code == 403
    assert "only the person on the call" in refused.json()["error"] and "(ali)" in refused.json()["error"]
    assert participant_updates(fake, jane.sid) == []
    jane.hang_up()


def test_holding_a_caller_already_on_hold_or_a_ticket_without_a_call_says_why(
        inbox: Inbox, fake: FakeTwilio, voice: VoiceApp) -> None:
    ticket_id, _, jane = jane_on_the_phone_with_ali(inbox, fake, voice)
    ali = inbox.sign_in("ali")
    assert ali.post(f"/api/tickets/{ticket_id}/call/hold", {"on": True}).status_code == 200

    again = ali.post(f"/api/tickets/{ticket_id}/call/hold", {"on": True})
    assert (again.status_code, again.json()) == (409, {"error": "the caller is already on hold"})
    assert len(participant_updates(fake, jane.sid)) == 1

    quiet = inbox.new_ticket()
    assert ali.post(f"/api/tickets/{quiet}/claim", {"version": 1}).status_code == 200
    none = ali.post(f"/api/tickets/{quiet}/call/hold", {"on": True})
    assert none.status_code == 409 and "has no phone call" in none.json()["error"]
    jane.hang_up()


@pytest.mark.parametrize("body", [{}, {"on": "yes"}, {"on": 1}, {"on": None}])
def test_a_hold_without_a_true_or_false_is_a_400_that_says_what_to_send(inbox: Inbox, body: dict) -> None:
    ticket_id = inbox.new_ticket()
    answer = inbox.sign_in("ali").post(f"/api/tickets/{ticket_id}/call/hold", body)
    assert answer.status_code == 400 and "'on' must be true" in answer.json()["error"]


def test_a_hold_without_the_csrf_token_is_refused(inbox: Inbox) -> None:
    ticket_id = inbox.new_ticket()
    answer = inbox.sign_in("ali").post(f"/api/tickets/{ticket_id}/call/hold", {"on": True}, headers={})
    assert answer.status_code == 403 and "CSRF" in answer.json()["error"]


def test_a_hold_with_a_stale_ticket_version_is_a_409(inbox: Inbox, fake: FakeTwilio, voice: VoiceApp) -> None:
    ticket_id, _, jane = jane_on_the_phone_with_ali(inbox, fake, voice)
    ali = inbox.sign_in("ali")
    stale = ali.ticket(ticket_id)["version"] - 1

    answer = ali.post(f"/api/tickets/{ticket_id}/call/hold", {"on": True, "version": stale})

    assert answer.status_code == 409
    assert participant_updates(fake, jane.sid) == []
    jane.hang_up()


def test_handing_back_in_the_inbox_brings_jane_back_to_the_assistant_at_once_and_ends_the_room(
        inbox: Inbox, fake: FakeTwilio, voice: VoiceApp) -> None:
    ticket_id, transfer, jane = jane_on_the_phone_with_ali(inbox, fake, voice)
    ali = inbox.sign_in("ali")

    handed = ali.post(f"/api/tickets/{ticket_id}/handback",
                      {"version": ali.ticket(ticket_id)["version"], "outcome": "resolved", "note": "sorted on the phone"})

    assert handed.status_code == 200, handed.text
    fake.wait_until(lambda: BACK_WITH_THE_ASSISTANT in jane.said_all(), "Jane is back with the assistant")
    redirects = [r for r in fake.requests if r.method == "POST" and r.path.endswith(f"/Calls/{jane.sid}.json")]
    assert [r.form["Url"] for r in redirects] == [f"{voice.url('')}/webhooks/voice/resume?call={jane.sid}"]
    assert fake.conference(transfer.room)["status"] == "completed"
    done = SqlTransfers(inbox.engine).transfer(transfer.id)
    assert (done.state, done.outcome) == ("handed_back", "resolved")
    assert ali.ticket(ticket_id)["call"]["words"] == "Caller back with the assistant"
    late = ali.post(f"/api/tickets/{ticket_id}/call/hold", {"on": True})
    assert late.status_code == 403  # the ticket is closed: nobody works the call any more


def test_a_hand_back_while_alis_phone_still_rings_stops_the_ringing(inbox: Inbox, fake: FakeTwilio, voice: VoiceApp) -> None:
    fake.callee(ALIS_PHONE).rings()
    alis_phone = fake.client().calls.create(to=ALIS_PHONE, from_=SHOP, url=voice.url("/webhooks/voice/hold"), timeout=600)
    ticket_id, transfer, jane = jane_on_the_phone_with_ali(inbox, fake, voice, RINGING, alis_phone.sid)

    ali = inbox.sign_in("ali")
    handed = ali.post(f"/api/tickets/{ticket_id}/handback", {"version": ali.ticket(ticket_id)["version"], "outcome": "continue"})
    assert handed.status_code == 200, handed.text

    fake.wait_until(lambda: fake.call(alis_phone.sid).status == "canceled", "Ali's phone stops ringing")
    fake.wait_until(lambda: BACK_WITH_THE_ASSISTANT in jane.said_all(), "Jane is back with the assistant")
    done = SqlTransfers(inbox.engine).transfer(transfer.id)
    assert (done.state, done.outcome) == ("handed_back", "continue")
    assert [leg.state for leg in SqlTransfers(inbox.engine).legs(transfer.id)] == ["cancelled"]


def test_without_twilio_settings_the_inbox_says_it_cannot_hold_a_caller(tmp_path: Path) -> None:
    with running_inbox(tmp_path) as bare:
        ticket_id = bare.new_ticket()
        ali = bare.sign_in("ali")
        assert ali.post(f"/api/tickets/{ticket_id}/claim", {"version": 1}).status_code == 200

        answer = ali.post(f"/api/tickets/{ticket_id}/call/hold", {"on": True})

        assert answer.status_code == 409
        assert "no Twilio settings" in answer.json()["error"] and "keys on your phone" in answer.json()["error"]
