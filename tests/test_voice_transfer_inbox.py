"""A phone call handed to people, seen from the inbox: the ticket shows the call live, what the caller
says on the phone lands on the ticket, and a call nobody takes becomes a call back in the queue.

The real assistant and inbox on one SQLite file (``open_floor``); only the phones are missing: the
events they would report are fed to ``TransferService`` as the voice channel will. Jane calls on a
Saturday at 10 am in New York (the team is in until 5 pm); Ali (agent) and Sofia (senior) are
available by phone.
"""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator, List

import pytest

from actions.domain.ticket import Ticket
from handoff.domain.phone_proofs import PhoneProfile
from handoff.domain.warm_transfer import (
    BriefAsked, CallbackTicket, CallerHungUp, CallPerson, CancelLeg, JoinConference, LegEnded, LegPlaced,
    PersonPressed, RedirectCallerToBot,
)
from handoff.phone_codes import SqlPhoneCodes
from handoff.transfer_service import TransferService
from handoff.transfers import SqlTransfers
from tests.support.floor import Floor, open_floor
from tests.support.world import JANE

SATURDAY_10AM = datetime(2026, 11, 21, 15, 0, tzinfo=timezone.utc)
SUNDAY_NOON = datetime(2026, 11, 22, 17, 0, tzinfo=timezone.utc)
JANES_PHONE = "+15550100001"


@pytest.fixture
def floor(tmp_path: Path) -> Iterator[Floor]:
    for made in open_floor(tmp_path):
        made.world.clock.current = SATURDAY_10AM
        codes = SqlPhoneCodes(made.store.engine)
        for username, phone in (("ali", "+15550100110"), ("sofia", "+15550100120")):
            codes.set_profile(username, PhoneProfile(phone, "sms", False))  # proven, as the panel keeps it
            assert codes.set_available_by_phone(username, True)
        yield made


def service(floor: Floor) -> TransferService:
    return TransferService(floor.desk, SqlTransfers(floor.store.engine), SqlPhoneCodes(floor.store.engine).phone_people)


def jane_needs_a_person(floor: Floor) -> Ticket:
    floor.world.say(JANE, "I want to talk to a person", "request_human")
    ticket = floor.world.services.handoffs.open_for(JANE)
    assert ticket is not None
    return ticket


def system_lines(floor: Floor, ticket_id: str) -> List[str]:
    return [m.text for m in floor.store.messages(ticket_id) if m.kind == "system"]


def test_janes_call_rings_ali_and_the_ticket_shows_him_being_briefed_then_connected(floor: Floor) -> None:
    ticket = jane_needs_a_person(floor)
    transfers = service(floor)

    transfer, commands = transfers.start("CAjane", JANE, ticket.id, caller=JANES_PHONE)
    assert commands == [JoinConference("caller", transfer.room), CallPerson(transfer.id, 1, "ali", "+15550100110", 20)]
    transfers.on(transfer.id, LegPlaced(1, "CAali"))
    transfers.on(transfer.id, BriefAsked(1))

    call = floor.desk.ticket_view(floor.person("sofia"), ticket.id)["call"]
    assert (call["state"], call["words"], call["call_sid"]) == ("briefing", "Ali is being briefed", "CAjane")
    assert [(leg["name"], leg["phone"], leg["state"]) for leg in call["legs"]] == \
        [(floor.person("ali").name, "+1 ••• 0110", "briefing")]

    _, joined = transfers.on(transfer.id, PersonPressed(1, "1"))
    assert joined == [JoinConference("person", transfer.room, 1)]
    assert floor.desk.ticket_view(floor.person("ali"), ticket.id)["call"]["words"] == "Connected with Ali"
    changes = [(e.subject, e.subject_id, e.change) for e in floor.store.events_after(0)]
    assert changes.count(("ticket", ticket.id, "call")) == 4  # open pages re-read the ticket at each move


def test_what_jane_says_on_the_phone_appears_on_the_ticket_marked_as_said_on_the_phone(floor: Floor) -> None:
    ticket = jane_needs_a_person(floor)

    assert floor.world.services.handoffs.customer_said(ticket.id, "my parcel never came", floor.desk.now, channel="voice")

    [said] = [m for m in floor.desk.ticket_view(floor.person("ali"), ticket.id)["messages"] if m["kind"] == "customer"]
    assert (said["text"], said["channel"]) == ("my parcel never came", "voice")


def test_ali_passes_sofia_never_answers_and_jane_is_promised_a_call_back_on_her_ticket(floor: Floor) -> None:
    ticket = jane_needs_a_person(floor)
    transfers = service(floor)
    transfer, _ = transfers.start("CAjane", JANE, ticket.id, caller=JANES_PHONE, transcript=["my parcel never came"])
    transfers.on(transfer.id, LegPlaced(1, "CAali"))
    transfers.on(transfer.id, BriefAsked(1))
    _, after_ali = transfers.on(transfer.id, PersonPressed(1, "2"))
    assert after_ali == [CancelLeg(1, "CAali", answered=True), CallPerson(transfer.id, 2, "sofia", "+15550100120", 20)]

    done, commands = transfers.on(transfer.id, LegEnded(2, "no-answer"), caller=JANES_PHONE,
                                  transcript=["my parcel never came"])

    assert commands == [RedirectCallerToBot("CAjane", transfer.room), CallbackTicket("nobody_answered")]
    assert (done.state, done.note) == ("callback", "within the next 4 hours")
    assert 'Call back +1 ••• 0001 within the next 4 hours; transcript: "my parcel never came"' in system_lines(floor, ticket.id)
    view = floor.desk.ticket_view(floor.person("ali"), ticket.id)["call"]
    assert view["words"] == "Callback promised within the next 4 hours"
    assert [leg["state"] for leg in view["legs"]] == ["declined", "no_answer"]


def test_a_call_on_a_sunday_is_a_call_back_at_once_for_monday_8_am_on_a_new_ticket_when_the_old_one_closed(floor: Floor) -> None:
    ticket = jane_needs_a_person(floor)
    assert floor.world.services.handoffs.withdraw(ticket.id, floor.desk.now)
    floor.world.clock.current = SUNDAY_NOON

    transfer, commands = service(floor).start("CAjane", JANE, ticket.id, caller=JANES_PHONE, transcript=["hello?"])

    assert commands == [CallbackTicket("outside_opening_hours")] and transfer.note == "tomorrow at 8 am"
    callback = [t for t in floor.store.active_tickets() if t.topic == "callback"]
    assert len(callback) == 1
    assert (callback[0].priority, callback[0].queue, callback[0].conversation_id) == (ticket.priority, ticket.queue, JANE)
    assert callback[0].reasons == ('Call back +1 ••• 0001 tomorrow at 8 am; transcript: "hello?"',)


def test_jane_hangs_up_while_alis_phone_rings_the_ringing_stops_and_the_ticket_says_so(floor: Floor) -> None:
    ticket = jane_needs_a_person(floor)
    transfers = service(floor)
    transfer, _ = transfers.start("CAjane", JANE, ticket.id, caller=JANES_PHONE)
    transfers.on(transfer.id, LegPlaced(1, "CAali"))

    done, commands = transfers.on(transfer.id, CallerHungUp())

    assert commands == [CancelLeg(1, "CAali", answered=False)] and done.state == "caller_left"
    assert any("hung up while waiting on hold" in line for line in system_lines(floor, ticket.id))
    assert floor.desk.ticket_view(floor.person("ali"), ticket.id)["call"]["words"] == \
        "Caller hung up before anyone took the call"


def test_a_ticket_without_a_call_shows_no_phone_call(floor: Floor) -> None:
    ticket = jane_needs_a_person(floor)
    assert floor.desk.ticket_view(floor.person("ali"), ticket.id)["call"] is None
