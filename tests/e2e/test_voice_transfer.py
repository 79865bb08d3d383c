"""Warm transfers end to end: a caller who needs a person holds while people's phones are rung.

The real Rasa server, action server and inbox, called by the fake Twilio, which plays every leg:
the caller's call, and the phones of the demo people who take calls (``handoff.demo_users``:
Ali, an agent, is rung first for the agents' queue, then Sofia, then Maria). Each test picks how
each person's phone answers.
"""

from __future__ import annotations

from pathlib import Path
from typing import List

import pytest
from sqlmodel import Session, select

from actions.acme.models import ExecutionRow
from actions.store.database import make_engine
from actions.store.sql import SqlAuditLog, SqlHandoffQueue
from bot.stack import Stack
from devtools.fake_twilio import FakeTwilio
from devtools.fake_twilio.phone_calls import PhoneCall
from devtools.fake_twilio.twiml import check_twiml
from handoff.demo_users import DEMO_PHONES
from handoff.store import InboxStore
from handoff.transfers import SqlTransfers
from tests.support.inbox import Inbox, Person
from tests.support.policies import ALWAYS_AWAY, policy_file
from tests.support.stacks import SHOP_NUMBER, stack_on
from tests.support.waiting import eventually

pytestmark = pytest.mark.e2e

JANE, SAM, PRIYA, LEO, HARBOR = "+15550100001", "+15550100002", "+15550100003", "+15550100004", "+15550100005"
ALI, SOFIA, MARIA = DEMO_PHONES["ali"], DEMO_PHONES["sofia"], DEMO_PHONES["maria"]
WAIT = 60.0  # seconds for a step to cross every process (CI shares 2 cores)


@pytest.fixture
def fake_twilio(phone_line: FakeTwilio) -> FakeTwilio:
    return phone_line


@pytest.fixture
def stack(phone_stack: Stack) -> Stack:
    return phone_stack


def call(stack: Stack, fake: FakeTwilio, number: str) -> PhoneCall:
    placed = fake.place_call(number, SHOP_NUMBER, f"{stack.public_url}/webhooks/voice/webhook",
                             status_callback=f"{stack.public_url}/webhooks/voice/status")
    placed.timeout = WAIT
    return placed.settle()


def ringing(fake: FakeTwilio, number: str, count: int = 1) -> PhoneCall:
    """The ``count``-th call placed to ``number`` (a person's phone), once the app has placed it."""
    fake.wait_until(lambda: len(fake.calls_to(number)) >= count, f"a call to {number}", WAIT)
    leg = fake.calls_to(number)[count - 1]
    leg.timeout = WAIT
    return leg


def transfer_of(stack: Stack, placed: PhoneCall):  # type: ignore[no-untyped-def]
    return SqlTransfers(make_engine(stack.database_url)).for_call(placed.sid)


def notes_on(stack: Stack, ticket_id: str) -> List[str]:
    store = InboxStore(make_engine(stack.database_url))
    return [m.text for m in store.messages(ticket_id)]


def test_jane_holds_ali_is_briefed_takes_the_call_and_hands_back_to_continue_her_refund(
        stack: Stack, fake_twilio: FakeTwilio) -> None:
    fake_twilio.callee(ALI).answers()  # picks up; the test presses his keys
    jane = call(stack, fake_twilio, JANE)
    jane.answer("I'd like a refund of 20 dollars for order 1001")
    assert "press 1" in " ".join(jane.said()), jane.said()
    jane.answer("can I talk to a person please")

    assert "specialist" in " ".join(jane.said()) and jane.state.startswith("in-conference transfer-")
    assert jane.played(), "the caller hears hold music while she waits"
    ali = ringing(fake_twilio, ALI)
    fake_twilio.wait_until(lambda: ali.waiting_for is not None, "Ali's brief", WAIT)
    brief = " ".join(ali.said())
    assert "Jane" in brief and "refund" in brief and "Press 1 to take the call" in brief, brief

    ali.press("1")
    fake_twilio.wait_until(lambda: transfer_of(stack, jane).state == "connected", "Ali connected", WAIT)
    assert ali.state == jane.state  # both in the room

    ali.press("*")  # hands the caller back: the menu of outcomes
    assert "press 1 if it's resolved, 2 to let the assistant continue" in " ".join(ali.said()), ali.said()
    ali.press("2")
    assert ali.said()[-1].startswith("Thanks, it's handed back")

    fake_twilio.wait_until(lambda: jane.waiting_for == "gather" and "refund" in " ".join(jane.said()),
                           "the assistant is back with Jane", WAIT)
    back = " ".join(jane.said())
    assert "You're back with me" in back and "20 dollars" in back, back
    jane.press("1")
    assert "Refunded 20 dollars" in " ".join(jane.said()), jane.said()
    with Session(make_engine(stack.business_database_url)) as db:
        refunds = db.exec(select(ExecutionRow).where(ExecutionRow.kind == "refund")
                          .where(ExecutionRow.customer_id == "C001")).all()
    assert len(refunds) == 1  # the held refund ran once
    transfer = transfer_of(stack, jane)
    assert transfer.state == "handed_back"
    assert any("pressed * to hand the caller back" in note for note in notes_on(stack, transfer.ticket_id))
    jane.hang_up()
    assert not fake_twilio.twiml_errors, fake_twilio.twiml_errors


def signed_in(stack: Stack, username: str) -> Person:
    """A person in the stack's inbox, through its login form, as a browser would."""
    engine = make_engine(stack.database_url)
    return Inbox(stack.inbox_url, None, engine, stack.data_dir).sign_in(username)  # type: ignore[arg-type]


def test_ali_holds_jane_from_the_inbox_takes_her_off_hold_and_hands_back_resolved_from_the_inbox(
        stack: Stack, fake_twilio: FakeTwilio) -> None:
    fake_twilio.callee(ALI).answers()
    before = len(fake_twilio.calls_to(ALI))
    jane = call(stack, fake_twilio, JANE)
    jane.answer("can I talk to a person please")
    ali_phone = ringing(fake_twilio, ALI, before + 1)
    fake_twilio.wait_until(lambda: ali_phone.waiting_for is not None, "Ali's brief", WAIT)
    ali_phone.press("1")
    fake_twilio.wait_until(lambda: transfer_of(stack, jane).state == "connected", "Ali connected", WAIT)
    transfer = transfer_of(stack, jane)
    ali = signed_in(stack, "ali")
    eventually(lambda: ali.ticket(transfer.ticket_id)["assignee"] == "ali", WAIT, "pressing 1 gave Ali the ticket")

    held = ali.post(f"/api/tickets/{transfer.ticket_id}/call/hold", {"on": True})
    assert held.status_code == 200, held.text
    assert held.json()["call"]["words"] == "Caller on hold by Ali"
    fake_twilio.wait_until(lambda: jane.on_hold, "Jane on hold", WAIT)
    fake_twilio.wait_until(lambda: any(line.startswith("hold ") for line in jane.timeline) and
                           "Please hold, a specialist will be with you shortly." in jane.said_all(),
                           "Jane hears the hold message and music", WAIT)
    off = ali.post(f"/api/tickets/{transfer.ticket_id}/call/hold", {"on": False})
    assert off.status_code == 200 and off.json()["call"]["words"] == "Connected with Ali", off.text
    fake_twilio.wait_until(lambda: not jane.on_hold, "Jane off hold", WAIT)

    version = ali.ticket(transfer.ticket_id)["version"]
    handed = ali.post(f"/api/tickets/{transfer.ticket_id}/handback", {"version": version, "outcome": "resolved"})
    assert handed.status_code == 200, handed.text

    fake_twilio.wait_until(lambda: jane.waiting_for == "gather" and "finished helping you" in " ".join(jane.said()),
                           "Jane is back with the assistant and hears the news", WAIT)
    assert "anything else" in " ".join(jane.said()), jane.said()
    ali_phone.wait_until("completed", WAIT)  # the room ended; his phone was thanked and let go
    assert "Thanks, it's handed back. Goodbye." in ali_phone.said_all(), ali_phone.said_all()
    done = transfer_of(stack, jane)
    assert (done.state, done.outcome) == ("handed_back", "resolved")
    redirects = [r.form.get("Url") for r in fake_twilio.requests
                 if r.method == "POST" and r.path.endswith(f"/Calls/{jane.sid}.json")]
    # out of the room at the hand-back; again when the news is queued if it came after she was back
    assert redirects and set(redirects) == {f"{stack.public_url}/webhooks/voice/resume?call={jane.sid}"}, redirects
    rooms_ended = [r for r in fake_twilio.requests if r.method == "POST" and "/Conferences/" in r.path
                   and r.form.get("Status") == "completed"]
    assert len([r for r in rooms_ended if fake_twilio.conference(transfer.room)["sid"] in r.path]) <= 1
    notes = notes_on(stack, transfer.ticket_id)
    assert notes.count("Handed back to the assistant by ali.") == 1, notes
    audit = SqlAuditLog(make_engine(stack.database_url)).entries(transfer.conversation_id)
    told = [e for e in audit if e.event == "handback_told" and e.detail.get("handoff_id") == transfer.ticket_id]
    assert len(told) == 1  # the assistant's news was told once
    assert [e.event for e in audit if e.event.startswith("caller_")][-2:] == ["caller_put_on_hold", "caller_taken_off_hold"]
    jane.hang_up()
    assert not fake_twilio.twiml_errors, fake_twilio.twiml_errors


def test_sofia_is_rung_when_ali_declines(stack: Stack, fake_twilio: FakeTwilio) -> None:
    fake_twilio.callee(ALI).answers(press="2")
    fake_twilio.callee(SOFIA).answers(press="1")
    before_ali, before_sofia = len(fake_twilio.calls_to(ALI)), len(fake_twilio.calls_to(SOFIA))
    sam = call(stack, fake_twilio, SAM)
    sam.answer("I want to speak to a human")

    ringing(fake_twilio, SOFIA, before_sofia + 1)
    fake_twilio.wait_until(lambda: transfer_of(stack, sam).state == "connected", "Sofia connected", WAIT)
    legs = SqlTransfers(make_engine(stack.database_url)).legs(transfer_of(stack, sam).id)
    assert [(leg.username, leg.state) for leg in legs] == [("ali", "declined"), ("sofia", "accepted")]
    assert len(fake_twilio.calls_to(ALI)) == before_ali + 1
    sam.hang_up()
    fake_twilio.wait_until(lambda: transfer_of(stack, sam).state == "ended", "the call ended", WAIT)


def test_nobody_answers_priya_is_promised_a_call_back_and_the_call_ends_politely(
        stack: Stack, fake_twilio: FakeTwilio) -> None:
    for person in (ALI, SOFIA, MARIA):
        fake_twilio.callee(person).no_answer()
    priya = call(stack, fake_twilio, PRIYA)
    priya.answer("I want to talk to a person about my refunds")

    priya.wait_until("completed", WAIT)
    goodbye = " ".join(priya.said_all()[-2:])
    assert "We'll call you back" in goodbye and "Goodbye" in goodbye, goodbye
    transfer = transfer_of(stack, priya)
    assert transfer.state == "callback"
    legs = SqlTransfers(make_engine(stack.database_url)).legs(transfer.id)
    assert [leg.state for leg in legs] == ["no_answer", "no_answer", "no_answer"]
    lines = " ".join(notes_on(stack, transfer.ticket_id))
    assert "Call back +1 ••• 0003" in lines and "talk to a person" in lines, lines


def test_leo_hangs_up_while_alis_phone_rings_and_the_ringing_stops(stack: Stack, fake_twilio: FakeTwilio) -> None:
    fake_twilio.callee(ALI).rings()
    before = len(fake_twilio.calls_to(ALI))
    leo = call(stack, fake_twilio, LEO)
    leo.answer("can I talk to an agent")
    ali = ringing(fake_twilio, ALI, before + 1)

    leo.hang_up()
    ali.wait_until("canceled", WAIT)
    transfer = transfer_of(stack, leo)
    fake_twilio.wait_until(lambda: transfer_of(stack, leo).state == "caller_left", "the transfer noted it", WAIT)
    assert any("The caller hung up while waiting" in note for note in notes_on(stack, transfer.ticket_id))
    cancels = [r for r in fake_twilio.requests if r.method == "POST" and r.path.endswith(f"/Calls/{ali.sid}.json")]
    assert [r.form.get("Status") for r in cancels] == ["canceled"]


def test_a_customer_who_asked_for_a_person_by_sms_then_calls_is_put_through_with_the_same_ticket(
        stack: Stack, fake_twilio: FakeTwilio) -> None:
    fake_twilio.callee(ALI).answers()
    before = len(fake_twilio.calls_to(ALI))
    texted = fake_twilio.send_inbound_sms(f"{stack.public_url}/webhooks/sms/webhook", HARBOR, SHOP_NUMBER,
                                          "I need to speak to a person about my espresso bar order")
    assert texted.status == 200
    handoffs = SqlHandoffQueue(make_engine(stack.database_url))
    eventually(lambda: handoffs.open_for("customer-C005") is not None, WAIT, "the SMS was handed to people")
    ticket = handoffs.open_for("customer-C005")

    harbor = call(stack, fake_twilio, HARBOR)
    assert "already has your conversation" in " ".join(harbor.said_all()), harbor.said_all()
    assert transfer_of(stack, harbor).ticket_id == ticket.id
    ali = ringing(fake_twilio, ALI, before + 1)
    fake_twilio.wait_until(lambda: ali.waiting_for is not None, "Ali's brief", WAIT)
    assert "Harbor Bistro" in " ".join(ali.said()), ali.said()
    harbor.hang_up()


def test_outside_opening_hours_the_caller_hears_when_they_will_be_called_back(
        trained_model: Path, tmp_path_factory: pytest.TempPathFactory, fake_twilio: FakeTwilio) -> None:
    data_dir = tmp_path_factory.mktemp("away-stack")
    with stack_on(fake_twilio, data_dir, trained_model,
                  RISK_POLICY_PATH=str(policy_file(data_dir, opening_hours=ALWAYS_AWAY))) as away:
        calls_before = len(fake_twilio.calls)
        jane = call(away, fake_twilio, JANE)
        jane.answer("I want to talk to a person")
        jane.wait_until("completed", WAIT)
        goodbye = " ".join(jane.said_all()[-2:])
        assert "We'll call you back" in goodbye and "Sunday" in goodbye, goodbye
        assert len(fake_twilio.calls) == calls_before + 1  # nobody's phone was rung
        assert transfer_of(away, jane).outcome == "outside_opening_hours"


def test_alis_voicemail_moves_on_to_sofia_who_rejects_the_held_refund_with_a_spoken_reason(
        stack: Stack, fake_twilio: FakeTwilio) -> None:
    fake_twilio.callee(ALI).voicemail()
    fake_twilio.callee(SOFIA).answers(press="1")
    before_sofia, refunds_before = len(fake_twilio.calls_to(SOFIA)), janes_refunds(stack)
    jane = call(stack, fake_twilio, JANE)  # her earlier ticket was handed back: she talks to the bot
    jane.answer("I'd like a refund of 10 dollars for order 1001")
    assert "press 1" in " ".join(jane.said()), jane.said()
    jane.answer("I want to talk to a person")

    sofia = ringing(fake_twilio, SOFIA, before_sofia + 1)
    fake_twilio.wait_until(lambda: transfer_of(stack, jane).state == "connected", "Sofia connected", WAIT)
    legs = SqlTransfers(make_engine(stack.database_url)).legs(transfer_of(stack, jane).id)
    assert [(leg.username, leg.state) for leg in legs] == [("ali", "voicemail"), ("sofia", "accepted")]

    sofia.press("*")
    sofia.press("4")
    assert "say why" in " ".join(sofia.said()).lower(), sofia.said()
    sofia.answer("the headphones were already refunded in part")
    assert sofia.said()[-1].startswith("Thanks, it's handed back")

    fake_twilio.wait_until(lambda: "couldn't approve it" in " ".join(jane.said()), "Jane hears the decision", WAIT)
    assert "the headphones were already refunded in part" in " ".join(jane.said())
    assert janes_refunds(stack) == refunds_before  # nothing ran
    jane.hang_up()


def janes_refunds(stack: Stack) -> int:
    with Session(make_engine(stack.business_database_url)) as db:
        return len(db.exec(select(ExecutionRow).where(ExecutionRow.customer_id == "C001")
                           .where(ExecutionRow.kind == "refund")).all())


def test_ali_approves_janes_small_refund_from_his_keypad_and_it_runs_once(stack: Stack, fake_twilio: FakeTwilio) -> None:
    fake_twilio.callee(ALI).answers(press="1")
    before_ali, refunds_before = len(fake_twilio.calls_to(ALI)), janes_refunds(stack)
    jane = call(stack, fake_twilio, JANE)
    jane.answer("I'd like a refund of 5 dollars for order 1001")
    jane.answer("can I speak to someone please")
    ali = ringing(fake_twilio, ALI, before_ali + 1)
    fake_twilio.wait_until(lambda: transfer_of(stack, jane).state == "connected", "Ali connected", WAIT)

    ali.press("*")
    ali.press("3")  # approve: within an agent's limit ($100)
    assert ali.said()[-1].startswith("Thanks, it's handed back"), ali.said()

    fake_twilio.wait_until(lambda: "approved it" in " ".join(jane.said()), "Jane hears it was approved", WAIT)
    assert "Refunded 5 dollars" in " ".join(jane.said()), jane.said()
    assert janes_refunds(stack) == refunds_before + 1
    jane.hang_up()


def test_every_document_the_transfer_gave_the_caller_and_the_people_is_valid_twiml(fake_twilio: FakeTwilio) -> None:
    documents = [d for d in fake_twilio.twiml_documents if "/webhooks/voice/" in d.url]
    purposes = {d.url.split("/webhooks/voice/")[1].split("?")[0] for d in documents}
    assert {"webhook", "gather", "hold", "resume", "person", "person/choice", "person/left",
            "person/outcome"} <= purposes, purposes
    for document in documents:
        assert document.error is None, document
        check_twiml(document.xml)
