"""The inbox at work: people take conversations from the bot, answer, hand back, and sign off
requests, on the same database as the assistant.

Every scenario runs the real assistant (``make_world(sql=True)``: its stores on a migrated
SQLite file, the demo Acme business on another) and the real inbox (``Desk`` over
``InboxStore``) with the demo people: Ali (agent), Sofia (senior), Maria and David
(managers) and Alex (admin). Only time is frozen. What the customer hears is what the Rasa
adapter would say when the inbox's trigger arrives (``Assistant.handed_back`` /
``approvals_decided``); what ran is read from the business's own executions table.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Callable, Iterator, List, Tuple

import pytest
import yaml
from apscheduler.schedulers.asyncio import AsyncIOScheduler

from actions.acme.models import OrderRow
from actions.domain.pending import Stage
from actions.domain.policy import RiskPolicy, parse_policy
from actions.domain.ticket import Ticket
from actions.settings import PROJECT_ROOT
from actions.store.channel_addresses import SqlChannelAddresses
from handoff import timers
from handoff.domain.errors import Conflict, Forbidden, InboxError
from tests.support.faults import TimesOutOnExecute
from tests.support.floor import Floor, jane_asks_for, open_floor
from tests.support.race import race_between
from tests.support.world import JANE, PRIYA

ANYTHING_ELSE = "Is there anything else I can help you with?"
APPROVAL_TRIGGER = ("trigger", {"action": "action_approval_decided"})
HANDBACK_TRIGGER = ("trigger", {"action": "action_handback"})


def cancelled_on_a_yes(*roles: str) -> RiskPolicy:
    """A contact centre where a cancellation needs the customer's YES (no code), and ``roles``
    may sign off one that waits with a person."""
    raw = yaml.safe_load((PROJECT_ROOT / "bot" / "risk_policy.yml").read_text(encoding="utf-8"))
    raw["actions"]["cancel_subscription"] = "confirm"
    raw["approvals"]["sign_off"]["cancel_subscription"] = list(roles)
    return parse_policy(raw, source="cancellations on a YES")


@pytest.fixture
def retention_floor(tmp_path: Path) -> Iterator[Floor]:
    """Agents, seniors and managers may sign off a held cancellation (an admin never)."""
    yield from open_floor(tmp_path, cancelled_on_a_yes("agent", "senior", "manager"))


@pytest.fixture
def seniors_floor(tmp_path: Path) -> Iterator[Floor]:
    """Only seniors and managers may sign off a held cancellation."""
    yield from open_floor(tmp_path, cancelled_on_a_yes("senior", "manager"))


def jane_holds_a_cancellation_for_a_person(floor: Floor) -> Ticket:
    """Jane asks to cancel, then for a person before she says YES: the cancellation waits on her ticket."""
    assert "Reply YES to confirm" in floor.world.say(JANE, "Please cancel my Coffee Club subscription", "cancel_subscription")
    floor.world.say(JANE, "Can I talk to a person first?", "request_human")
    ticket = floor.ticket()
    pending = floor.world.services.pendings.get(ticket.pending_id or "")
    assert pending is not None and (pending.request.kind, pending.stage) == ("cancel_subscription", Stage.WITH_AGENT)
    return ticket


def a_big_order(floor: Floor, order_id: str, item: str, dollars: int) -> None:
    """Jane's own orders stop at $749; these scenarios need her to have a bigger one, delivered last week."""
    today = floor.world.clock.now().date()
    with floor.world.business.session(write=True) as session:
        session.add(OrderRow(id=order_id, customer_id="C001", item=item, total_cents=dollars * 100, status="delivered",
                             placed_on=today - timedelta(days=9), delivery_date=today - timedelta(days=6),
                             address="12 High Street, Springfield"))
        session.commit()


def outcome(action: Callable[[], object]) -> str:
    try:
        action()
    except Conflict:
        return "conflict"
    return "done"


# -- approvals ------------------------------------------------------------------------------------


def test_a_manager_approves_janes_700_refund_it_runs_once_and_she_is_told_once(floor: Floor) -> None:
    maria = floor.person("maria")
    request = jane_asks_for(floor, "700")
    assert (request.amount_cents, request.queue, request.raised_by) == (700_00, "senior", None)
    assert request.queue == floor.world.services.policy.approvals.queue_for("refund", 700_00)  # seniors may decide $700 alone
    assert [item["id"] for item in floor.desk.approval_list(maria, pending=True)] == [request.id]
    assert floor.executed() == []

    floor.desk.approve(maria, request.id, request.version)

    assert floor.executed() == [("refund", 700_00)]
    approved = floor.decided(request.id)
    assert (approved.status, approved.decided_by, approved.version) == ("approved", "maria", 2)
    assert approved.result == "Refunded $700.00 for order 1003 to your Visa ending 4242. It will show in 3-5 working days."
    assert floor.stage(approved) is Stage.DONE
    assert floor.queued() == [APPROVAL_TRIGGER]
    [decision] = floor.audit("approval_approved")
    assert (decision.actor, decision.detail["approval_version"]) == ("manager:maria", 1)
    assert floor.audit("executed")[0].actor == "manager:maria"

    assert floor.approvals_told() == ([
        "Good news: your request was approved. "
        "Refunded $700.00 for order 1003 to your Visa ending 4242. It will show in 3-5 working days.",
        ANYTHING_ELSE,
    ], "approved")
    assert floor.approvals_told() == ([], None)  # the trigger delivered twice says nothing new


def test_approve_clicked_twice_is_a_conflict_the_second_time_and_runs_once(floor: Floor) -> None:
    maria = floor.person("maria")
    request = jane_asks_for(floor, "700")
    floor.desk.approve(maria, request.id, request.version)

    with pytest.raises(Conflict, match="changed since you opened it \\(now approved\\)"):
        floor.desk.approve(maria, request.id, request.version)

    assert floor.executed() == [("refund", 700_00)]
    assert len(floor.audit("approval_approved")) == 1


def test_two_managers_approving_at_the_same_moment_run_the_refund_once(floor: Floor) -> None:
    maria, david = floor.person("maria"), floor.person("david")
    request = jane_asks_for(floor, "700")

    results = race_between(lambda: outcome(lambda: floor.desk.approve(maria, request.id, 1)),
                           lambda: outcome(lambda: floor.desk.approve(david, request.id, 1)))

    assert sorted(results) == ["conflict", "done"]
    winner = "maria" if results[0] == "done" else "david"
    assert floor.executed() == [("refund", 700_00)]
    assert floor.decided(request.id).decided_by == winner
    assert [e.actor for e in floor.audit("approval_approved")] == [f"manager:{winner}"]
    assert floor.queued() == [APPROVAL_TRIGGER]


def test_an_approval_racing_the_expiry_timer_either_runs_once_or_lapses_never_both(floor: Floor) -> None:
    maria = floor.person("maria")
    request = jane_asks_for(floor, "700")
    floor.world.clock.advance(hours=24)  # the decision deadline

    approved, expired = race_between(lambda: outcome(lambda: floor.desk.approve(maria, request.id, 1)),
                                     lambda: floor.desk.expire(request.id, 1))

    assert [approved == "done", expired].count(True) == 1
    after = floor.decided(request.id)
    if approved == "done":
        assert (after.status, floor.stage(after), floor.executed()) == ("approved", Stage.DONE, [("refund", 700_00)])
    else:
        assert (after.status, floor.stage(after), floor.executed()) == ("expired", Stage.EXPIRED, [])
    assert after.version == 2
    assert floor.queued() == [APPROVAL_TRIGGER]


def test_the_expiry_timer_after_an_approval_changes_nothing(floor: Floor) -> None:
    request = jane_asks_for(floor, "700")
    floor.desk.approve(floor.person("maria"), request.id, 1)

    assert floor.desk.expire(request.id, 1) is False
    assert floor.desk.expire(request.id, 2) is False  # decided: nothing to expire

    assert (floor.decided(request.id).status, floor.executed()) == ("approved", [("refund", 700_00)])
    assert floor.audit("approval_expired") == []


def test_a_request_that_lapses_runs_nothing_and_a_late_approval_is_refused(floor: Floor) -> None:
    request = jane_asks_for(floor, "700")
    floor.world.clock.advance(hours=24)

    assert floor.desk.expire(request.id, 1) is True
    with pytest.raises(Conflict):
        floor.desk.approve(floor.person("maria"), request.id, 1)

    assert floor.executed() == []
    assert floor.stage(request) is Stage.EXPIRED
    assert floor.audit("approval_expired")[0].actor == "timer"
    told, status = floor.approvals_told()
    assert status == "expired"
    assert told[0].startswith("Your request (Refund $700.00 to your Visa ending 4242 for order 1003 (Espresso machine)) "
                              "wasn't reviewed in time, so it has lapsed and nothing was changed.")


def test_an_undecided_request_is_escalated_to_the_managers_once(floor: Floor) -> None:
    request = jane_asks_for(floor, "700")
    assert request.queue == "senior"
    floor.world.clock.advance(hours=4)

    assert floor.desk.escalate_approval(request.id, 1) is True
    assert floor.desk.escalate_approval(request.id, 1) is False  # fired twice: once is enough

    escalated = floor.decided(request.id)
    assert (escalated.queue, escalated.escalated, escalated.status, escalated.version) == ("senior", True, "pending", 2)
    assert [e.actor for e in floor.audit("approval_escalated")] == ["timer"]
    with pytest.raises(Conflict):  # Sofia's page still shows version 1
        floor.desk.approve(floor.person("sofia"), request.id, 1)
    floor.desk.approve(floor.person("maria"), request.id, 2)
    assert floor.executed() == [("refund", 700_00)]


def test_a_senior_cannot_approve_above_their_limit_and_the_refusal_is_on_record(floor: Floor) -> None:
    sofia = floor.person("sofia")
    a_big_order(floor, "2001", "Road bike", 2_400)
    request = jane_asks_for(floor, "1,500", order="2001")
    assert request.queue == "manager"

    with pytest.raises(Forbidden, match="in the manager approvals, which a senior can't see"):
        floor.desk.approve(sofia, request.id, request.version)  # her $1,000 limit keeps it out of her queue

    [refused] = floor.audit("approval_refused")
    assert refused.actor == "senior:sofia"
    assert refused.detail == {"approval_id": request.id, "approval_version": 1,
                              "why": f"request {request.ref} is in the manager approvals, which a senior can't see"}
    assert (floor.decided(request.id).status, floor.decided(request.id).version) == ("pending", 1)
    assert floor.executed() == []


def test_above_10000_dollars_two_different_managers_must_approve(floor: Floor) -> None:
    maria, david = floor.person("maria"), floor.person("david")
    a_big_order(floor, "2002", "Grand piano", 14_500)
    request = jane_asks_for(floor, "12,000", order="2002")
    assert request.queue == "manager"

    floor.desk.approve(maria, request.id, 1)

    first = floor.decided(request.id)
    assert (first.status, first.approvers, first.version) == ("pending", ("maria",), 2)
    assert floor.executed() == [] and floor.queued() == []
    with pytest.raises(Forbidden, match="you have already approved it: a second manager must approve too"):
        floor.desk.approve(maria, request.id, 2)

    floor.desk.approve(david, request.id, 2)

    done = floor.decided(request.id)
    assert (done.status, done.approvers, done.decided_by) == ("approved", ("maria", "david"), "david")
    assert floor.executed() == [("refund", 12_000_00)]
    assert [e.event for e in floor.world.entries(JANE) if e.event.startswith("approval_")] == [
        "approval_requested", "approval_first_signature", "approval_refused", "approval_approved"]
    assert floor.approvals_told()[1] == "approved"


def test_an_admin_reads_approvals_but_cannot_decide_them(floor: Floor) -> None:
    admin = floor.person("admin")
    request = jane_asks_for(floor, "700")
    [item] = floor.desk.approval_list(admin, pending=True)
    assert item["can"] == {"approve": False, "reject": False, "modify": False}
    assert item["cannot_because"] == "an admin approves nothing: a senior or a manager may approve $700.00"

    with pytest.raises(Forbidden, match="an admin approves nothing"):
        floor.desk.approve(admin, request.id, 1)
    with pytest.raises(Forbidden, match="approvals are for seniors and managers"):
        floor.desk.approval_list(floor.person("ali"), pending=True)
    assert floor.executed() == []


def test_a_rejected_refund_is_cancelled_and_jane_hears_the_reason(floor: Floor) -> None:
    request = jane_asks_for(floor, "700")

    with pytest.raises(InboxError, match="give a reason"):
        floor.desk.reject(floor.person("maria"), request.id, 1, "  ")
    floor.desk.reject(floor.person("maria"), request.id, 1, "the machine was used for three months")

    assert floor.executed() == []
    assert floor.stage(request) is Stage.CANCELLED
    assert floor.queued() == [APPROVAL_TRIGGER]
    assert floor.approvals_told() == ([
        "Your request (Refund $700.00 to your Visa ending 4242 for order 1003 (Espresso machine)) was reviewed "
        "and couldn't be approved: the machine was used for three months. Nothing was changed.",
        ANYTHING_ELSE,
    ], "rejected")


def test_a_modified_refund_goes_back_to_jane_to_confirm_the_lower_amount(floor: Floor) -> None:
    request = jane_asks_for(floor, "700")

    floor.desk.modify(floor.person("maria"), request.id, 1, "450.00", "the milk frother is missing")

    assert floor.executed() == []
    assert floor.stage(request) is Stage.CANCELLED
    told, status = floor.approvals_told()
    assert status == "modified"
    assert told[0] == ("Your refund was reviewed: we can approve $450.00 instead of $700.00 "
                       "(the milk frother is missing).")
    assert told[1].startswith("Refund $450.00 to your Visa ending 4242 for order 1003")
    assert told[1].endswith("Reply YES to confirm or NO to cancel.")
    assert len(told) == 2  # nothing said over the open question

    assert floor.world.say(JANE, "yes", "affirm") == (
        "Refunded $450.00 for order 1003 to your Visa ending 4242. It will show in 3-5 working days.")
    assert floor.executed() == [("refund", 450_00)]


@pytest.mark.parametrize(
    ("typed", "error"),
    [
        ("0,0,1", 'I couldn\'t read "0,0,1": commas only separate thousands, as in 1,250.00. Write it like 12.50.'),
        ("$-5", '"$-5" is below zero: an amount must be more than $0.00. Write it like 12.50.'),
        ("$12.345", '"$12.345" has more than two decimals: amounts are in dollars and cents. Write it like 12.50.'),
        ("$0", '"$0" is zero: an amount must be more than $0.00. Write it like 12.50.'),
        ("450 or so", 'I couldn\'t read "450 or so" as an amount. Write it like 12.50.'),
    ],
)
def test_a_manager_who_types_an_amount_that_cant_be_taken_is_told_what_to_write_and_nothing_changes(
        floor: Floor, typed: str, error: str) -> None:
    request = jane_asks_for(floor, "700")

    with pytest.raises(InboxError) as refused:
        floor.desk.modify(floor.person("maria"), request.id, 1, typed, "the milk frother is missing")

    assert (refused.value.status, refused.value.message) == (400, error)
    assert floor.decided(request.id) == request
    assert floor.stage(request) is Stage.APPROVAL
    assert floor.queued() == [] and floor.executed() == []
    assert floor.audit("approval_modified") == []


@pytest.mark.parametrize(("typed", "cents"), [("$450", 450_00), ("1,250.00", 1250_00), ("fifty dollars", 50_00)])
def test_a_manager_may_type_the_lower_amount_the_way_people_write_money(floor: Floor, typed: str, cents: int) -> None:
    a_big_order(floor, "2005", "Sofa", 2_000)
    request = jane_asks_for(floor, "1500", order="2005")

    floor.desk.modify(floor.person("maria"), request.id, 1, typed, "")

    assert floor.decided(request.id).new_amount_cents == cents


def test_a_modified_amount_is_not_sent_for_approval_again_when_the_customer_confirms_it(floor: Floor) -> None:
    prompt = floor.world.say(PRIYA, "I'd like a refund of $200 for order 1006", "request_refund")
    assert "needs approval from a senior member of our team (2 refunds in the last 30 days)" in prompt  # her history
    floor.world.say(PRIYA, "yes", "affirm")
    [request] = floor.store.approvals(pending=True)

    floor.desk.modify(floor.person("maria"), request.id, 1, "120.00", "partial: the stand was assembled")
    told, _ = floor.world.assistant.approvals_decided(floor.world.news(PRIYA))
    assert told[1].startswith("Refund $120.00 to your Visa ending")

    assert floor.world.say(PRIYA, "yes", "affirm").startswith("Refunded $120.00 for order 1006")
    assert floor.store.approvals(pending=True) == []
    [offered] = [e for e in floor.world.entries(PRIYA) if e.event == "confirmation_requested"][-1:]
    assert offered.reasons == ("approved_by_person: maria approved $120.00 (request " + request.ref + ")",)


def test_a_manager_lowers_priyas_store_credit_and_it_stays_store_credit(floor: Floor) -> None:
    prompt = floor.world.say(PRIYA, "I'd like $200 back for order 1006 as store credit", "request_refund")
    assert prompt.startswith("Add $200.00 of store credit to your Acme account for order 1006 (TV stand)")
    floor.world.say(PRIYA, "yes", "affirm")
    [request] = floor.store.approvals(pending=True)

    floor.desk.modify(floor.person("maria"), request.id, 1, "120.00", "partial: the stand was assembled")
    told, _ = floor.world.assistant.approvals_decided(floor.world.news(PRIYA))
    assert told[1].startswith("Add $120.00 of store credit to your Acme account for order 1006")

    assert floor.world.say(PRIYA, "yes", "affirm") == (
        "Added $120.00 of store credit to your Acme account for order 1006. Your balance is now $158.00, ready to spend.")
    assert floor.world.customer(PRIYA).balance_cents == 38_00 + 120_00


def test_an_agent_sends_a_held_refund_for_approval_and_cannot_approve_it_themselves(floor: Floor) -> None:
    ali, sofia = floor.person("ali"), floor.person("sofia")
    floor.world.say(JANE, "I'd like a refund of $700 for order 1003", "request_refund")
    floor.world.say(JANE, "Can I talk to a person about this?", "request_human")
    ticket = floor.ticket()
    floor.desk.claim(ali, ticket.id, ticket.version)

    with pytest.raises(InboxError, match="needs someone else's approval"):
        floor.desk.hand_back(ali, ticket.id, 2, "approved", "")
    floor.desk.request_approval(ali, ticket.id, 2, "customer is a regular, machine faulty")

    request = floor.approval()
    assert (request.raised_by, request.queue) == ("ali", "senior")
    assert request.reasons[-1] == "raised_by_agent: customer is a regular, machine faulty"
    floor.desk.approve(sofia, request.id, 1)
    assert floor.executed() == [("refund", 700_00)]

    # ali still has the conversation: the bot stays silent, the decision goes on his ticket
    assert floor.approvals_told() == ([], None)
    assert floor.store.messages(ticket.id)[-1].text.startswith(f"Request {request.ref} approved by sofia: Refunded $700.00")
    floor.desk.hand_back(ali, ticket.id, floor.ticket().version, "resolved", "sofia approved it")
    messages, outcome = floor.handed_back()
    assert outcome == "resolved"
    assert messages[1].startswith("Good news: your request was approved. Refunded $700.00 for order 1003")


def test_news_for_a_web_chat_customer_finds_them_by_their_case_not_by_a_token(floor: Floor) -> None:
    request = jane_asks_for(floor, "700")
    floor.desk.modify(floor.person("maria"), request.id, request.version, "450.00", "")

    # the page's token may have expired by the time a decision comes; the case says who it is
    messages, status = floor.world.assistant.approvals_decided(floor.world.news(JANE, channel="socketio"))

    assert status == "modified"
    assert messages[1].startswith("Refund $450.00 to your Visa ending 4242 for order 1003")


def test_an_approval_interrupted_before_it_ran_is_finished_by_the_resume_sweep(floor: Floor) -> None:
    request = jane_asks_for(floor, "700")
    signoff = floor.desk.signoff

    class CrashesOnce:
        def commit(self, *args: object, **kwargs: object) -> List[str]:
            floor.desk.signoff = signoff
            raise RuntimeError("worker killed mid-click")

    floor.desk.signoff = CrashesOnce()  # type: ignore[assignment]
    with pytest.raises(RuntimeError):
        floor.desk.approve(floor.person("maria"), request.id, request.version)
    assert (floor.decided(request.id).status, floor.decided(request.id).result, floor.executed()) == ("approved", None, [])

    assert floor.desk.resume() == 0  # a click may still be finishing: the sweep waits a minute
    floor.world.clock.advance(minutes=2)
    assert floor.desk.resume() == 1
    assert floor.desk.resume() == 0

    assert floor.executed() == [("refund", 700_00)]
    assert floor.decided(request.id).result == "Refunded $700.00 for order 1003 to your Visa ending 4242. It will show in 3-5 working days."
    assert floor.queued() == [APPROVAL_TRIGGER]


def test_the_inbox_shows_which_channel_each_message_came_by_and_the_agent_can_pick_one_for_a_reply(
        floor: Floor) -> None:
    ali = floor.person("ali")
    floor.world.say(JANE, "I want to talk to a person", "request_human", channel="whatsapp")
    ticket = floor.ticket()
    floor.world.say(JANE, "my parcel is late", "complain", channel="whatsapp")
    floor.world.say(JANE, "writing from my laptop now", "inform", channel="webchat")
    floor.desk.claim(ali, ticket.id, 1)

    floor.desk.reply(ali, ticket.id, "I'll text you the tracking link", "sms")
    floor.desk.reply(ali, ticket.id, "Anything else meanwhile?")  # where she is now
    with pytest.raises(InboxError, match="'channel' must be one of webchat, sms, whatsapp"):
        floor.desk.reply(ali, ticket.id, "by pigeon", "pigeon")
    assert floor.desk.ticket_view(ali, ticket.id)["reply_channels"] == ["webchat", "sms"]  # never wrote by WhatsApp
    with pytest.raises(InboxError, match="can't be reached by whatsapp here"):  # the world's channels wrote no address
        floor.desk.reply(ali, ticket.id, "hello on WhatsApp", "whatsapp")

    assert [(m.kind, m.channel) for m in floor.store.messages(ticket.id)] == [
        ("customer", "whatsapp"), ("customer", "webchat"), ("agent", "sms"), ("agent", None)]
    assert [m.to_dict()["channel"] for m in floor.store.messages(ticket.id)][:1] == ["whatsapp"]
    floor.send_status_lines()  # "Ali joined" goes first, where she is now
    bound = [(d.payload["text"], d.channel) for d in floor.store.due_deliveries(floor.world.clock.now())]
    assert bound == [("I'll text you the tracking link", "sms"), ("Anything else meanwhile?", None)]


def test_a_stranger_who_texted_is_named_by_their_number_in_the_queue(floor: Floor) -> None:
    stranger = "visitor-" + "7" * 32  # a number on no account, as the phone resolver keys it
    SqlChannelAddresses(floor.store.engine).seen("whatsapp", "+15557770123", stranger, floor.world.clock.now())
    floor.world.say(stranger, "I want to talk to a person", "request_human", channel="whatsapp")

    [row] = [r for r in floor.desk.ticket_list(floor.person("ali"), True) if r["conversation_id"] == stranger]

    assert (row["customer"], row["contact"]) == (None, "+15557770123 by WhatsApp")
    assert floor.desk.ticket_view(floor.person("ali"), row["id"])["reply_channels"] == ["whatsapp"]


# -- hand-back ------------------------------------------------------------------------------------


def test_jane_talks_to_ali_and_is_handed_back_to_the_bot(floor: Floor) -> None:
    ali = floor.person("ali")
    floor.world.say(JANE, "I want to talk to a person", "request_human")
    ticket = floor.ticket()
    assert (ticket.queue, ticket.status, ticket.version) == ("agent", "open", 1)

    assert floor.world.say(JANE, "Hello, is anyone there?", "greet") == ""  # people have it: the bot stays quiet
    floor.desk.claim(ali, ticket.id, 1)
    floor.desk.reply(ali, ticket.id, "Hi Jane, I'm Ali. How can I help?")
    assert floor.world.say(JANE, "Just checking when order 1002 arrives", "ask_delivery_date") == ""

    assert [(m.kind, m.author, m.text) for m in floor.store.messages(ticket.id)] == [
        ("customer", None, "Hello, is anyone there?"),
        ("agent", "ali", "Hi Jane, I'm Ali. How can I help?"),
        ("customer", None, "Just checking when order 1002 arrives"),
    ]
    assert floor.queued() == [("say", {"text": "Hi Jane, I'm Ali. How can I help?", "agent": "ali", "agent_name": "Ali Khan"})]
    assert floor.status_lines == ["Ali from Acme customer care joined the conversation."]  # before his words

    floor.desk.hand_back(ali, ticket.id, floor.ticket().version, "resolved", "told her the delivery date")

    assert (floor.ticket().status, floor.ticket().outcome) == ("closed", "resolved")
    assert floor.handed_back() == ([
        "Thanks for your patience. Your specialist has finished helping you here.", ANYTHING_ELSE], "resolved")
    assert floor.handed_back() == ([], None)
    assert floor.world.say(JANE, "What's the status of order 1002?", "ask_order_status") == (
        "Order 1002 (Smart speaker) has shipped and is due Tue 24 Nov in the morning slot.")  # the bot answers again
    assert len(floor.store.messages(ticket.id)) == 3


def test_two_agents_claiming_the_same_ticket_at_once_get_one_winner(floor: Floor) -> None:
    ali, sofia = floor.person("ali"), floor.person("sofia")
    floor.world.say(JANE, "I want to talk to a person", "request_human")
    ticket = floor.ticket()

    results = race_between(lambda: outcome(lambda: floor.desk.claim(ali, ticket.id, 1)),
                           lambda: outcome(lambda: floor.desk.claim(sofia, ticket.id, 1)))

    assert sorted(results) == ["conflict", "done"]
    assert floor.ticket().assignee == ("ali" if results[0] == "done" else "sofia")
    assert len(floor.audit("ticket_claimed")) == 1


def test_a_small_refund_approved_by_the_agent_at_hand_back_runs_once(floor: Floor) -> None:
    ali = floor.person("ali")
    floor.world.say(JANE, "I'd like a refund of $20 for order 1001", "request_refund")
    floor.world.say(JANE, "Actually can I talk to a person first?", "request_human")
    ticket = floor.ticket()
    assert ticket.pending_id is not None
    floor.desk.claim(ali, ticket.id, 1)

    floor.desk.hand_back(ali, ticket.id, 2, "approved", "checked the order")

    assert floor.executed() == [("refund", 20_00)]
    assert floor.audit("executed")[0].actor == "agent:ali"
    assert floor.queued() == [HANDBACK_TRIGGER]
    assert floor.handed_back() == ([
        "Your specialist approved it. Refunded $20.00 for order 1001 to your Visa ending 4242. "
        "It will show in 3-5 working days.", ANYTHING_ELSE], "approved")
    with pytest.raises(Conflict):
        floor.desk.hand_back(ali, ticket.id, 2, "approved", "checked the order")
    assert floor.executed() == [("refund", 20_00)]


def test_when_the_business_times_out_on_an_approved_refund_a_person_checks_it_and_jane_is_told(floor: Floor) -> None:
    maria = floor.person("maria")
    request = jane_asks_for(floor, "700")
    floor.world.services.business = TimesOutOnExecute(floor.world.business)  # type: ignore[assignment]

    floor.desk.approve(maria, request.id, request.version)

    assert floor.stage(request) is Stage.WITH_AGENT  # parked under its key, never "ask again"
    check = floor.ticket()
    assert (check.topic, check.priority, check.queue, check.pending_id) == (
        "execution_unconfirmed", "urgent", "senior", request.pending_id)
    assert "didn't confirm whether it went through" in (floor.decided(request.id).result or "")
    assert floor.queued() == [APPROVAL_TRIGGER]
    assert floor.approvals_told() == ([], None)  # a person has the conversation now: the bot stays silent
    sofia = floor.person("sofia")
    floor.desk.claim(sofia, check.id, 1)
    with pytest.raises(InboxError, match="can.t mark it resolved while the waiting action may already have run"):
        floor.desk.hand_back(sofia, check.id, 2, "resolved", "looks fine")  # only a re-run can tell
    floor.world.services.business = floor.world.business  # the order system answers again
    floor.desk.hand_back(sofia, check.id, 2, "approved", "re-ran under the same key")

    assert floor.executed() == [("refund", 700_00)]  # once: the timed-out call never reached it here
    messages, outcome = floor.handed_back()  # the hand-back and the earlier decision, told together
    assert outcome == "approved" and messages[0].startswith("Your specialist approved it. Refunded $700.00")
    assert "a specialist is checking it now" in " ".join(messages)


def test_the_hand_back_news_is_queued_only_after_the_signed_off_refund_ran(floor: Floor) -> None:
    ali = floor.person("ali")
    floor.world.say(JANE, "I'd like a refund of $20 for order 1001", "request_refund")
    floor.world.say(JANE, "Actually can I talk to a person first?", "request_human")
    ticket = floor.ticket()
    floor.desk.claim(ali, ticket.id, 1)
    queued_while_running: List[List[Tuple[str, dict]]] = []
    business = floor.world.services.business

    class Watching:
        def __getattr__(self, name: str) -> object:
            return getattr(business, name)

        def execute(self, request: object, key: str) -> object:
            queued_while_running.append(floor.queued())
            return business.execute(request, key)  # type: ignore[arg-type]

    floor.world.services.business = Watching()  # type: ignore[assignment]
    floor.desk.hand_back(ali, ticket.id, 2, "approved", "checked the order")

    assert queued_while_running == [[]]
    assert floor.queued() == [HANDBACK_TRIGGER]


def test_handed_back_to_continue_the_bot_asks_jane_to_confirm_the_held_refund_herself(floor: Floor) -> None:
    ali = floor.person("ali")
    floor.world.say(JANE, "I'd like a refund of $20 for order 1001", "request_refund")
    floor.world.say(JANE, "Can I talk to a person?", "request_human")
    ticket = floor.ticket()
    floor.desk.claim(ali, ticket.id, 1)

    floor.desk.hand_back(ali, ticket.id, 2, "continue", "")

    assert floor.executed() == []
    told, status = floor.handed_back()
    assert status == "continue"
    assert told[:2] == ["Thanks for bearing with us. You're back with me, the Acme assistant, and I have the whole conversation.",
                        "Let's pick up your refund."]
    assert told[2].startswith("Refund $20.00 to your Visa ending 4242 for order 1001")
    assert floor.world.say(JANE, "yes", "affirm").startswith("Refunded $20.00 for order 1001")
    assert floor.executed() == [("refund", 20_00)]


def test_an_agent_cannot_sign_off_an_action_that_needs_the_customers_code(floor: Floor) -> None:
    ali = floor.person("ali")
    assert "6-digit code" in floor.world.say(JANE, "Please cancel my Coffee Club subscription", "cancel_subscription")
    floor.world.say(JANE, "Can I talk to a person?", "request_human")
    ticket = floor.ticket()
    floor.desk.claim(ali, ticket.id, 1)

    with pytest.raises(InboxError, match="needs the customer's one-time code"):
        floor.desk.hand_back(ali, ticket.id, 2, "approved", "")

    assert floor.executed() == []
    assert (floor.ticket().status, floor.ticket().version) == ("assigned", 2)

    # as the refusal says: handed back to continue, the bot sends Jane a new code
    floor.desk.hand_back(ali, ticket.id, 2, "continue", "")
    told, _ = floor.handed_back()
    assert "I've sent a 6-digit code to your phone ending 0001" in told[-1]
    assert floor.world.say(JANE, floor.world.last_code(JANE), "inform").startswith("Your Coffee Club")
    assert [kind for kind, _ in floor.executed()] == ["cancel_subscription"]


def test_a_held_address_change_comes_back_to_the_customer_to_confirm(floor: Floor) -> None:
    floor.world.say(JANE, "Please send order 1002 to 5 Pine Road, Springfield", "change_address")
    floor.world.say(JANE, "Can a person check this first?", "request_human")
    ticket = floor.ticket()
    floor.desk.claim(floor.person("ali"), ticket.id, 1)

    floor.desk.hand_back(floor.person("ali"), ticket.id, 2, "continue", "")

    told, _ = floor.handed_back()
    assert told[-1].endswith("Reply YES to confirm or NO to cancel.") and "5 Pine Road" in told[-1]
    assert "5 Pine Road" in floor.world.say(JANE, "yes", "affirm")
    assert [kind for kind, _ in floor.executed()] == ["change_address"]


def test_an_agent_cannot_sign_off_a_refund_above_their_limit(floor: Floor) -> None:
    ali = floor.person("ali")
    floor.world.say(JANE, "I'd like a refund of $300 for order 1003", "request_refund")
    floor.world.say(JANE, "Can I talk to a person?", "request_human")
    ticket = floor.ticket()
    floor.desk.claim(ali, ticket.id, 1)

    with pytest.raises(Forbidden, match=r"\$300.00 is above your \$100.00 limit; use Request approval"):
        floor.desk.hand_back(ali, ticket.id, 2, "approved", "")

    assert floor.executed() == []
    assert floor.audit("sign_off_refused")[0].actor == "agent:ali"
    assert (floor.ticket().status, floor.ticket().version) == ("assigned", 2)


def test_an_admin_cannot_hand_back_approved_on_a_held_cancellation_and_an_agent_the_policy_names_can(
        retention_floor: Floor) -> None:
    floor, admin, ali = retention_floor, retention_floor.person("admin"), retention_floor.person("ali")
    ticket = jane_holds_a_cancellation_for_a_person(floor)
    floor.desk.claim(admin, ticket.id, 1)
    view = floor.desk.ticket_view(admin, ticket.id)
    assert view["can"]["handback"] and not view["can"]["handback_approved"]  # the page doesn't offer it

    with pytest.raises(Forbidden) as refused:
        floor.desk.hand_back(admin, ticket.id, 2, "approved", "customer insisted")

    assert refused.value.message == (
        "an admin approves nothing: an agent, a senior or a manager may sign off a subscription cancellation; "
        "use Request approval")
    assert view["cannot_approve_because"] == refused.value.message
    assert floor.executed() == []
    assert floor.world.services.pendings.get(ticket.pending_id or "").stage is Stage.WITH_AGENT
    assert (floor.ticket().status, floor.ticket().version) == ("assigned", 2)
    assert floor.queued() == []  # the bot says nothing: nothing happened
    [record] = floor.audit("sign_off_refused")
    assert (record.actor, record.request, record.detail["why"]) == ("admin:admin", "cancel_subscription", refused.value.message)

    floor.desk.assign(admin, ticket.id, 2, "ali")
    assert floor.desk.ticket_view(ali, ticket.id)["can"]["handback_approved"]
    floor.desk.hand_back(ali, ticket.id, 3, "approved", "confirmed with Jane on the call")

    assert [kind for kind, _ in floor.executed()] == ["cancel_subscription"]
    assert floor.audit("executed")[0].actor == "agent:ali"
    told, status = floor.handed_back()
    assert status == "approved" and told[0].startswith("Your specialist approved it. Your Coffee Club")


def test_an_agent_the_policy_does_not_name_cannot_sign_off_a_cancellation_but_can_ask_a_senior(
        seniors_floor: Floor) -> None:
    floor, ali = seniors_floor, seniors_floor.person("ali")
    ticket = jane_holds_a_cancellation_for_a_person(floor)
    floor.desk.claim(ali, ticket.id, 1)
    assert not floor.desk.ticket_view(ali, ticket.id)["can"]["handback_approved"]

    with pytest.raises(Forbidden, match="an agent can't sign this off: a senior or a manager may sign off a "
                                        "subscription cancellation; use Request approval"):
        floor.desk.hand_back(ali, ticket.id, 2, "approved", "")

    assert floor.executed() == []
    assert floor.audit("sign_off_refused")[0].actor == "agent:ali"
    floor.desk.request_approval(ali, ticket.id, 2, "she confirmed twice")
    assert floor.approval().queue == "senior"
    floor.desk.approve(floor.person("sofia"), floor.approval().id, 1)
    assert [kind for kind, _ in floor.executed()] == ["cancel_subscription"]


def test_a_rejected_hand_back_cancels_the_held_refund_and_jane_hears_why(floor: Floor) -> None:
    ali = floor.person("ali")
    floor.world.say(JANE, "I'd like a refund of $20 for order 1001", "request_refund")
    floor.world.say(JANE, "Can I talk to a person?", "request_human")
    ticket = floor.ticket()
    floor.desk.claim(ali, ticket.id, 1)

    floor.desk.hand_back(ali, ticket.id, 2, "rejected", "the headphones were returned already")

    assert floor.executed() == []
    assert floor.world.services.pendings.get(ticket.pending_id or "").stage is Stage.CANCELLED
    told, status = floor.handed_back()
    assert status == "rejected"
    assert "couldn't approve it: the headphones were returned already. Nothing was changed." in told[0]


# -- timers ---------------------------------------------------------------------------------------


def test_an_unclaimed_ticket_moves_to_the_senior_queue_when_its_claim_time_is_up(floor: Floor) -> None:
    floor.world.say(JANE, "I want to talk to a person", "request_human")
    ticket = floor.ticket()
    scheduler = AsyncIOScheduler(timezone="UTC")  # not started: the test fires the job itself
    fires_at = timers.Timers(scheduler, floor.desk).schedule_ticket(ticket)
    assert fires_at == ticket.queued_at + timedelta(hours=1)
    job = scheduler.get_job(f"ticket:{ticket.id}")
    assert job is not None and job.args == (ticket.id, 1, "escalate")

    floor.world.clock.current = fires_at
    assert job.func(*job.args) is True

    moved = floor.ticket()
    assert (moved.queue, moved.status, moved.queued_at, moved.version) == ("senior", "open", fires_at, 2)
    assert [(m.kind, m.text) for m in floor.store.messages(ticket.id)] == [
        ("system", "Not claimed within 1 hour: moved from the agent queue to the senior queue for someone to pick up.")]
    [escalated] = floor.audit("ticket_escalated")
    assert (escalated.actor, escalated.detail["ticket_version"], escalated.detail["to_queue"]) == ("timer", 1, "senior")

    assert job.func(*job.args) is False  # the same timer firing again: already moved on
    assert len(floor.audit("ticket_escalated")) == 1


def test_a_timer_for_an_old_version_does_nothing(floor: Floor) -> None:
    floor.world.say(JANE, "I want to talk to a person", "request_human")
    ticket = floor.ticket()
    floor.desk.claim(floor.person("ali"), ticket.id, 1)  # claimed just in time
    floor.world.clock.advance(hours=1)

    assert timers.ticket_step(floor.desk, ticket.id, 1, "escalate") is False

    assert (floor.ticket().queue, floor.ticket().assignee, floor.ticket().version) == ("agent", "ali", 2)
    assert floor.audit("ticket_escalated") == []


def test_a_stale_timer_asks_for_the_tickets_current_timer_to_be_scheduled(floor: Floor) -> None:
    floor.world.say(JANE, "I want to talk to a person", "request_human")
    ticket = floor.ticket()
    floor.desk.claim(floor.person("ali"), ticket.id, 1)
    timers.Timers(AsyncIOScheduler(timezone="UTC"), floor.desk)  # not started: the test fires the job itself
    seen = floor.store.last_event_id()

    assert timers.fire_ticket(ticket.id, 1, "escalate") is False

    [event] = floor.store.events_after(seen)  # the feed reschedules the ticket from its current state
    assert (event.subject, event.subject_id, event.change) == ("ticket", ticket.id, "updated")
    assert floor.audit("ticket_escalated") == []


def test_the_assignee_is_reminded_once_before_the_reply_is_due(floor: Floor) -> None:
    floor.world.say(JANE, "I want to talk to a person", "request_human")
    ticket = floor.ticket()
    floor.desk.claim(floor.person("ali"), ticket.id, 1)
    floor.world.clock.advance(minutes=28)

    assert timers.ticket_step(floor.desk, ticket.id, 2, "remind") is True
    assert timers.ticket_step(floor.desk, ticket.id, 2, "remind") is False

    assert floor.store.messages(ticket.id)[-1].text == "Reminder for ali: the customer is waiting; reply due by 12:30 UTC."
    assert [e.detail["ticket_version"] for e in floor.audit("sla_reminder")] == [2]


def test_a_customer_left_unanswered_past_the_reply_time_goes_to_the_senior_queue(floor: Floor) -> None:
    floor.world.say(JANE, "I want to talk to a person", "request_human")
    ticket = floor.ticket()
    floor.desk.claim(floor.person("ali"), ticket.id, 1)
    floor.world.clock.advance(minutes=28)
    assert timers.ticket_step(floor.desk, ticket.id, 2, "remind") is True
    floor.world.clock.advance(minutes=2)

    assert timers.ticket_step(floor.desk, ticket.id, 3, "escalate") is True

    moved = floor.ticket()
    assert (moved.queue, moved.status, moved.assignee) == ("senior", "open", None)
    assert floor.store.messages(ticket.id)[-1].text == (
        "The customer waited over 30 minutes for a reply from ali: moved from the agent queue to the senior queue "
        "for someone to pick up.")
    [escalated] = floor.audit("ticket_escalated")
    assert (escalated.detail["missed"], escalated.detail["assignee"], escalated.detail["ticket_version"]) == ("reply", "ali", 3)


def test_every_human_and_timer_step_is_audited_with_the_ticket_version_it_acted_on(floor: Floor) -> None:
    ali, sofia = floor.person("ali"), floor.person("sofia")
    floor.world.say(JANE, "I want to talk to a person", "request_human")
    ticket_id = floor.ticket().id
    floor.world.clock.advance(hours=1)
    assert timers.ticket_step(floor.desk, ticket_id, 1, "escalate")          # v1 -> v2, senior queue
    floor.desk.claim(sofia, ticket_id, 2)                                    # v2 -> v3
    floor.desk.note(sofia, ticket_id, "Simple question, an agent can take it")  # v3, no change
    with pytest.raises(InboxError, match="Ali Khan is an agent and can't work on the senior queue"):
        floor.desk.assign(sofia, ticket_id, 3, "ali")                        # refused: nothing written
    floor.desk.transfer(sofia, ticket_id, 3, "agent", "front line")          # v3 -> v4
    floor.desk.assign(sofia, ticket_id, 4, "ali")                            # v4 -> v5
    floor.desk.reply(ali, ticket_id, "Hi Jane, Ali here.")                   # v5 -> v6
    floor.desk.hand_back(ali, ticket_id, 6, "continue", "")                  # v6 -> v7

    steps = [(e.actor, e.event, e.detail["ticket_version"]) for e in floor.world.entries(JANE)
             if e.detail.get("ticket_id") == ticket_id]
    assert steps == [
        ("timer", "ticket_escalated", 1),
        ("senior:sofia", "ticket_claimed", 2),
        ("senior:sofia", "note_added", 3),
        ("senior:sofia", "ticket_transferred", 3),
        ("senior:sofia", "ticket_assigned", 4),
        ("agent:ali", "agent_replied", 5),
        ("agent:ali", "handed_back", 6),
    ]
    assert floor.ticket().version == 7


def test_the_ticket_shows_the_approval_card_only_to_those_who_may_decide_it(floor: Floor) -> None:
    ali = floor.person("ali")
    a_big_order(floor, "2001", "Road bike", 2_400)
    floor.world.say(JANE, "I'd like a refund of $1,500 for order 2001", "request_refund")
    floor.world.say(JANE, "Can I talk to a person about this?", "request_human")
    ticket = floor.ticket()
    floor.desk.claim(ali, ticket.id, 1)
    floor.desk.request_approval(ali, ticket.id, 2, "frame cracked on delivery")
    assert floor.approval().queue == "manager"

    assert floor.desk.ticket_view(ali, ticket.id)["approval"] is None
    floor.desk.transfer(ali, ticket.id, floor.ticket().version, "senior", "needs a senior")
    assert floor.desk.ticket_view(floor.person("sofia"), ticket.id)["approval"] is None  # above her limit
    card = floor.desk.ticket_view(floor.person("maria"), ticket.id)["approval"]
    assert (card["amount"], card["raised_by"], card["can"]["approve"]) == ("$1,500.00", "ali", True)


def test_a_message_that_makes_a_waiting_case_urgent_raises_its_priority_not_the_bots_voice(floor: Floor) -> None:
    floor.world.say(JANE, "I want to talk to a person", "request_human")
    ticket = floor.ticket()
    assert (ticket.priority, floor.desk.ticket_view(floor.person("ali"), ticket.id)["sla"]["seconds_left"]) == ("normal", 3600)

    assert floor.world.say(JANE, "my card was stolen and there's a fraud charge on it", "complaint") == ""

    raised = floor.ticket()
    assert (raised.priority, raised.queue, raised.version) == ("urgent", "agent", ticket.version)  # no one's click goes stale
    view = floor.desk.ticket_view(floor.person("ali"), ticket.id)
    assert view["sla"]["seconds_left"] == 300  # the urgent claim time, from when it was queued
    assert "reported a problem with a payment (possible fraud)" in view["messages"][-1]["text"]
    assert view["messages"][-1]["text"].startswith("Priority raised to urgent: ")
    assert [e.detail["priority"] for e in floor.audit("ticket_priority_raised")] == ["urgent"]

    floor.world.say(JANE, "hello?", "greet")  # a calmer message never lowers it
    assert floor.ticket().priority == "urgent"


def test_once_someone_has_the_ticket_no_longer_needing_help_is_said_to_them_not_a_withdrawal(floor: Floor) -> None:
    floor.world.say(JANE, "I want to talk to a person", "request_human")
    ticket = floor.ticket()
    floor.desk.claim(floor.person("ali"), ticket.id, ticket.version)

    assert floor.world.say(JANE, "I no longer need help", "deny") == ""  # the bot stays silent: Ali has her

    assert floor.ticket().status == "assigned"
    assert floor.store.messages(ticket.id)[-1].text == "I no longer need help"
    assert "handoff_withdrawn" not in floor.world.events(JANE)
