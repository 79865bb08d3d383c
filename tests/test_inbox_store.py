"""One contract for the inbox's database, run on a SQLite file and on PostgreSQL.

The inbox (``handoff/store.py``) and the action server (``actions/store/sql.py``) share the
tables of a ticket and an approval; both sides are checked here on the schema the
migrations build. Every change is a compare-and-set on a version, written together with its
audit record, its feed event and its deliveries, or not at all. Races are real threads.
"""

from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Iterator, List, Optional, Tuple

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from actions.domain.approval import Approval
from actions.domain.audit import AuditEntry
from actions.domain.policy import load_policy
from actions.domain.ticket import Ticket
from actions.settings import PROJECT_ROOT
from actions.store.sql import SqlApprovalQueue, SqlAuditLog, SqlHandoffQueue, publish
from handoff.domain import approvals as approval_rules
from handoff.domain import tickets as ticket_rules
from handoff.domain.approvals import Decision
from handoff.domain.people import Role, User
from handoff.domain.tickets import Change
from handoff.delivery_queue import Delivery, Outgoing
from handoff.store import InboxStore
from tests.support.databases import migrated_engine
from tests.support.race import race, race_between

NOW = datetime(2026, 11, 21, 12, 0, tzinfo=timezone.utc)
JANE, SAM = "+15550100001", "+15550100002"
ALI = User("ali", "Ali Khan", Role.AGENT)
NOOR = User("noor", "Noor Haddad", Role.AGENT)
SOFIA = User("sofia", "Sofia Rossi", Role.SENIOR)
MARIA = User("maria", "Maria Lopez", Role.MANAGER)
RULES = load_policy(PROJECT_ROOT / "bot" / "risk_policy.yml").approvals


def minutes(n: float) -> datetime:
    return NOW + timedelta(minutes=n)


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    with migrated_engine(request.param, tmp_path, "inbox_test") as engine:
        yield engine


@pytest.fixture
def store(engine: Engine) -> InboxStore:
    return InboxStore(engine)


@pytest.fixture
def handoffs(engine: Engine) -> SqlHandoffQueue:
    return SqlHandoffQueue(engine)


@pytest.fixture
def approvals(engine: Engine) -> SqlApprovalQueue:
    return SqlApprovalQueue(engine)


@pytest.fixture
def audit(engine: Engine) -> SqlAuditLog:
    return SqlAuditLog(engine)


def open_ticket(store: InboxStore, handoffs: SqlHandoffQueue, id: str = "t1", conversation: str = JANE,
                queue: str = "agent", at: datetime = NOW) -> Ticket:
    handoffs.add(Ticket(id=id, conversation_id=conversation, customer_id="C001", topic="customer_asked_for_human",
                        priority="normal", reasons=("human_topic: asked for a person",), pending_id=None,
                        created_at=at, queued_at=at, status="open", queue=queue,
                        evidence={"summary": "Jane asked for a person."}))
    ticket = store.ticket(id)
    assert ticket is not None
    return ticket


def record(change: Change, actor: str) -> AuditEntry:
    return AuditEntry(at=change.after.claimed_at or NOW, actor=actor, event=change.event,
                      conversation_id=change.before.conversation_id,
                      detail={"ticket_id": change.before.id, "ticket_version": change.before.version})


def claimed(store: InboxStore, ticket: Ticket, user: User = ALI, at: datetime = NOW) -> Ticket:
    assert store.apply(ticket_rules.claim(ticket, user, at), record(ticket_rules.claim(ticket, user, at), user.username),
                       feed="claimed")
    after = store.ticket(ticket.id)
    assert after is not None
    return after


def reply(store: InboxStore, ticket: Ticket, user: User, text: str, at: datetime) -> bool:
    change = ticket_rules.replied(ticket, at)
    audit = AuditEntry(at=at, actor=user.username, event=change.event, conversation_id=ticket.conversation_id,
                       detail={"ticket_id": ticket.id, "ticket_version": ticket.version})
    return store.apply(change, audit, message=("agent", user.username, text),
                       outgoing=[Outgoing("say", {"text": text, "agent": user.username, "agent_name": user.name})],
                       feed="message")


def current(store: InboxStore, ticket_id: str = "t1") -> Ticket:
    ticket = store.ticket(ticket_id)
    assert ticket is not None
    return ticket


def said(store: InboxStore, ticket_id: str = "t1") -> List[Tuple[str, Optional[str], str]]:
    return [(m.kind, m.author, m.text) for m in store.messages(ticket_id)]


def feed(store: InboxStore, after: int = 0) -> List[Tuple[str, str, str]]:
    return [(e.subject, e.subject_id, e.change) for e in store.events_after(after)]


def queued(deliveries: List[Delivery]) -> List[Tuple[str, str, dict]]:
    return [(d.conversation_id, d.kind, d.payload) for d in deliveries]


# -- one record, two sides -----------------------------------------------------------------------


def test_the_inbox_reads_back_the_very_ticket_and_request_the_assistant_stored(
        store: InboxStore, handoffs: SqlHandoffQueue, approvals: SqlApprovalQueue) -> None:
    ticket = Ticket(id="t1", conversation_id=JANE, customer_id="C001", topic="complaint", priority="high",
                    queue="senior", status="open", reasons=("sensitive_keywords: fraud",), pending_id="p1",
                    created_at=NOW, queued_at=NOW, evidence={"summary": "Jane says her card was used."})
    handoffs.add(ticket)
    approvals.add(a_request("a1"))

    assert store.ticket("t1") == ticket == handoffs.open_for(JANE)
    assert store.approval("a1") == a_request("a1") == approvals.for_pending("p-a1")


# -- tickets: compare-and-set ---------------------------------------------------------------------


def test_a_claim_is_stored_with_its_audit_record_and_its_feed_event(store: InboxStore, handoffs: SqlHandoffQueue,
                                                                     audit: SqlAuditLog) -> None:
    ticket = open_ticket(store, handoffs)
    assert feed(store) == [("ticket", "t1", "created")]
    seen = store.last_event_id()

    done = store.apply(ticket_rules.claim(ticket, ALI, minutes(3)), record(ticket_rules.claim(ticket, ALI, minutes(3)), "agent:ali"),
                       feed="claimed")

    assert done
    after = current(store)
    assert (after.status, after.assignee, after.claimed_at, after.version) == ("assigned", "ali", minutes(3), 2)
    assert [(e.actor, e.event, dict(e.detail)) for e in audit.entries(JANE)] == [
        ("agent:ali", "ticket_claimed", {"ticket_id": "t1", "ticket_version": 1})]
    assert feed(store, seen) == [("ticket", "t1", "claimed")]


def test_a_change_made_from_an_old_version_writes_nothing_at_all(store: InboxStore, handoffs: SqlHandoffQueue,
                                                                 audit: SqlAuditLog) -> None:
    ticket = open_ticket(store, handoffs)
    claimed(store, ticket, ALI)
    seen = store.last_event_id()

    stale = reply(store, ticket, NOOR, "Hi Jane, Noor here", minutes(1))  # computed from version 1

    assert stale is False
    assert current(store).assignee == "ali" and current(store).last_agent_at is None
    assert [e.event for e in audit.entries(JANE)] == ["ticket_claimed"]
    assert store.messages("t1") == []
    assert store.events_after(seen) == []
    assert store.due_deliveries(minutes(10)) == []


def test_two_people_claiming_at_once_get_one_winner(store: InboxStore, handoffs: SqlHandoffQueue, audit: SqlAuditLog) -> None:
    ticket = open_ticket(store, handoffs)
    change = ticket_rules.claim(ticket, ALI, NOW)

    results = race(2, lambda: store.apply(change, record(change, "agent:ali"), message=("system", "ali", "Claimed")))

    assert sorted(results) == [False, True]
    assert [e.event for e in audit.entries(JANE)] == ["ticket_claimed"]
    assert said(store) == [("system", "ali", "Claimed")]


def test_a_customer_message_arriving_between_read_and_claim_survives_the_claim(store: InboxStore,
                                                                               handoffs: SqlHandoffQueue) -> None:
    ticket = open_ticket(store, handoffs)  # the agent's page read it here, without the message below

    handoffs.customer_said("t1", "hello? anyone there?", minutes(2))
    assert store.apply(ticket_rules.claim(ticket, ALI, minutes(3)), record(ticket_rules.claim(ticket, ALI, minutes(3)), "agent:ali"))

    after = current(store)
    assert (after.assignee, after.last_customer_at) == ("ali", minutes(2))


def test_active_tickets_are_listed_by_queue_and_closed_ones_apart(store: InboxStore, handoffs: SqlHandoffQueue) -> None:
    first = open_ticket(store, handoffs, "t1", JANE, "agent")
    open_ticket(store, handoffs, "t2", SAM, "senior", at=minutes(1))
    held = claimed(store, first, ALI)
    assert store.apply(ticket_rules.close(held, ALI, "customer left", minutes(5)),
                       AuditEntry(at=minutes(5), actor="agent:ali", event="ticket_closed", conversation_id=JANE))

    assert [t.id for t in store.tickets(True, ("agent",))] == []
    assert [t.id for t in store.tickets(True, ("agent", "senior"))] == ["t2"]
    assert [t.id for t in store.tickets(False, ("agent", "senior"))] == ["t1"]
    assert [t.id for t in store.active_tickets()] == ["t2"]
    assert current(store, "t1").closed_at == minutes(5)


# -- messages and notes ---------------------------------------------------------------------------


def test_the_conversation_after_the_handoff_is_kept_in_order_with_notes(store: InboxStore, handoffs: SqlHandoffQueue) -> None:
    ticket = claimed(store, open_ticket(store, handoffs), ALI)
    handoffs.customer_said("t1", "Where is my parcel?", minutes(1))
    assert reply(store, ticket, ALI, "Let me check with the courier.", minutes(2))
    store.add_note(current(store), "note", "ali", "Courier says Tuesday.",
                   AuditEntry(at=minutes(3), actor="agent:ali", event="note_added", conversation_id=JANE))
    handoffs.customer_said("t1", "Thanks!", minutes(4))

    messages = store.messages("t1")

    assert [(m.kind, m.author, m.text) for m in messages] == [
        ("customer", None, "Where is my parcel?"),
        ("agent", "ali", "Let me check with the courier."),
        ("note", "ali", "Courier says Tuesday."),
        ("customer", None, "Thanks!"),
    ]
    assert [m.at for m in messages] == [minutes(1), minutes(2), minutes(3), minutes(4)]
    assert [m.delivery for m in messages] == [None, "pending", None, None]
    count, latest = store.unanswered(["t1"])["t1"]
    assert count == 1 and latest is not None and latest.text == "Thanks!"


def test_the_reply_clock_starts_at_the_oldest_message_nobody_answered(store: InboxStore, handoffs: SqlHandoffQueue) -> None:
    ticket = claimed(store, open_ticket(store, handoffs), ALI)

    handoffs.customer_said("t1", "Hello?", minutes(1))
    handoffs.customer_said("t1", "Is anyone there?", minutes(2))
    assert current(store).last_customer_at == minutes(1)

    assert reply(store, ticket, ALI, "Yes, sorry for the wait.", minutes(3))
    handoffs.customer_said("t1", "Great, so about my refund", minutes(4))
    assert current(store).last_customer_at == minutes(4)


def test_a_customer_message_for_a_ticket_that_is_not_open_is_not_taken(handoffs: SqlHandoffQueue) -> None:
    assert handoffs.customer_said("t404", "hello", NOW) is False  # the bot answers it instead


# -- deliveries -----------------------------------------------------------------------------------


def test_a_reply_queues_its_delivery_in_the_same_change(store: InboxStore, handoffs: SqlHandoffQueue) -> None:
    ticket = claimed(store, open_ticket(store, handoffs), ALI)

    assert reply(store, ticket, ALI, "Hi Jane, Ali here.", minutes(1))

    [message] = store.messages("t1")
    [delivery] = store.due_deliveries(minutes(1))
    assert (delivery.conversation_id, delivery.kind, delivery.message_id, delivery.attempts) == (JANE, "say", message.id, 0)
    assert delivery.payload == {"text": "Hi Jane, Ali here.", "agent": "ali", "agent_name": "Ali Khan"}


def test_a_delivery_waiting_to_be_retried_holds_back_its_conversation_but_no_other(store: InboxStore) -> None:
    store.enqueue(JANE, Outgoing("trigger", {"action": "first"}), NOW)
    store.enqueue(JANE, Outgoing("trigger", {"action": "second"}), NOW)
    store.enqueue(SAM, Outgoing("trigger", {"action": "for sam"}), NOW)

    due = store.due_deliveries(NOW)
    assert [d.payload["action"] for d in due] == ["first", "for sam"]  # one at a time per conversation

    first = due[0]
    store.delivery_done(first, "failed", "Rasa is restarting", NOW, retry_at=NOW + timedelta(seconds=2))
    assert [d.payload["action"] for d in store.due_deliveries(NOW + timedelta(seconds=1))] == ["for sam"]

    retried = store.due_deliveries(NOW + timedelta(seconds=2))
    assert [(d.payload["action"], d.attempts) for d in retried] == [("first", 1), ("for sam", 0)]

    store.delivery_done(retried[0], "delivered", None, NOW + timedelta(seconds=2))
    assert [d.payload["action"] for d in store.due_deliveries(NOW + timedelta(seconds=2))] == ["second", "for sam"]


def test_two_inbox_workers_claiming_at_once_each_delivery_goes_to_exactly_one(engine: Engine) -> None:
    workers = [InboxStore(engine), InboxStore(engine)]  # one per inbox process, on the shared database
    for n in range(6):
        workers[0].enqueue(f"+1555010{n:04d}", Outgoing("trigger", {"action": f"for {n}"}), NOW)

    claims = race_between(*[lambda w=w: w.claim_due_deliveries(NOW, timedelta(seconds=90)) for w in workers])

    taken = [d.payload["action"] for claim in claims for d in claim]
    assert sorted(taken) == [f"for {n}" for n in range(6)]  # each once, none lost
    assert workers[1].claim_due_deliveries(NOW + timedelta(seconds=89), timedelta(seconds=90)) == []


def test_a_claimed_delivery_whose_worker_died_is_tried_again_once_the_lease_is_over(store: InboxStore) -> None:
    store.enqueue(JANE, Outgoing("trigger", {"action": "first"}), NOW)
    store.enqueue(JANE, Outgoing("trigger", {"action": "second"}), NOW)
    [claimed] = store.claim_due_deliveries(NOW, timedelta(seconds=90))

    assert store.claim_due_deliveries(NOW + timedelta(seconds=30), timedelta(seconds=90)) == []  # "second" waits its turn
    [again] = store.claim_due_deliveries(NOW + timedelta(seconds=90), timedelta(seconds=90))
    assert (again.id, again.payload["action"]) == (claimed.id, "first")
    store.delivery_done(again, "delivered", None, NOW + timedelta(seconds=91))
    assert [d.payload["action"] for d in store.claim_due_deliveries(NOW + timedelta(seconds=91), timedelta(seconds=90))] == ["second"]


def test_a_conversation_with_a_backlog_does_not_use_up_a_round_meant_for_others(store: InboxStore) -> None:
    for n in range(3):
        store.enqueue(JANE, Outgoing("trigger", {"action": f"jane {n}"}), NOW)
    store.enqueue(SAM, Outgoing("trigger", {"action": "for sam"}), NOW)
    [first] = store.due_deliveries(NOW, limit=1)
    store.delivery_done(first, "failed", "Rasa refused this conversation", NOW, retry_at=NOW + timedelta(minutes=1))

    due = store.due_deliveries(NOW, limit=2)  # Jane's backlog fills the first rows; Sam's is still due

    assert [d.payload["action"] for d in due] == ["for sam"]


def test_the_outcome_of_a_delivery_shows_on_the_agents_message(store: InboxStore, handoffs: SqlHandoffQueue) -> None:
    ticket = claimed(store, open_ticket(store, handoffs), ALI)
    assert reply(store, ticket, ALI, "First reply", minutes(1))
    [first] = store.due_deliveries(minutes(1))
    seen = store.last_event_id()

    store.delivery_done(first, "delivered", None, minutes(1))

    assert (store.messages("t1")[0].delivery, store.messages("t1")[0].error) == ("delivered", None)
    assert feed(store, seen) == [("ticket", "t1", "message")]

    assert reply(store, current(store), ALI, "Second reply", minutes(2))
    [second] = store.due_deliveries(minutes(2))
    store.delivery_done(second, "failed", "the chat window is closed", minutes(2))

    failed = store.messages("t1")[1]
    assert (failed.delivery, failed.error) == ("failed", "the chat window is closed")
    assert store.due_deliveries(minutes(3)) == []  # failed for good: not sent again by itself


def test_a_failed_reply_is_sent_again_only_when_asked(store: InboxStore, handoffs: SqlHandoffQueue) -> None:
    ticket = claimed(store, open_ticket(store, handoffs), ALI)
    assert reply(store, ticket, ALI, "Are you still there?", minutes(1))
    [delivery] = store.due_deliveries(minutes(1))
    store.delivery_done(delivery, "failed", "channel refused", minutes(1))
    message_id = store.messages("t1")[0].id

    assert store.retry_message(message_id, minutes(5)) is True

    again = store.message(message_id)
    assert again is not None and (again.delivery, again.error) == ("pending", None)
    [resent] = store.due_deliveries(minutes(5))
    assert (resent.id, resent.attempts) == (delivery.id, 1)
    assert store.retry_message(message_id, minutes(6)) is False  # it is pending, not failed

    store.delivery_done(resent, "recorded", None, minutes(5))
    assert store.messages("t1")[0].delivery == "recorded"
    assert store.retry_message(message_id, minutes(7)) is False


# -- the feed -------------------------------------------------------------------------------------


def test_the_feed_lists_changes_after_the_last_one_a_page_saw(store: InboxStore, handoffs: SqlHandoffQueue,
                                                              approvals: SqlApprovalQueue) -> None:
    assert store.last_event_id() == 0
    ticket = open_ticket(store, handoffs)
    claimed(store, ticket, ALI)
    approvals.add(a_request("a1"))
    middle = store.events_after(0)[1].id

    assert feed(store) == [("ticket", "t1", "created"), ("ticket", "t1", "claimed"), ("approval", "a1", "created")]
    assert feed(store, middle) == [("approval", "a1", "created")]
    assert store.last_event_id() == store.events_after(0)[-1].id


# -- people and sessions --------------------------------------------------------------------------


def test_users_are_added_once_and_listed_by_name(store: InboxStore) -> None:
    assert store.add_user(SOFIA, "scrypt$hash-of-sofia", NOW) is True
    assert store.add_user(ALI, "scrypt$hash-of-ali", NOW) is True
    assert store.add_user(User("ali", "Somebody Else", Role.ADMIN), "scrypt$other", NOW) is False

    assert store.user("ali") == (ALI, "scrypt$hash-of-ali")
    assert store.user("nobody") is None
    assert store.users() == [ALI, SOFIA]


def test_a_session_lasts_until_it_expires_or_is_closed(store: InboxStore) -> None:
    store.add_user(MARIA, "scrypt$hash", NOW)
    store.open_session("token-hash", "maria", "csrf-1", NOW, NOW + timedelta(hours=8))

    assert store.session("token-hash", NOW + timedelta(hours=7, minutes=59)) == (MARIA, "csrf-1")
    assert store.session("token-hash", NOW + timedelta(hours=8)) is None
    assert store.session("another-token", NOW) is None

    store.close_session("token-hash")
    assert store.session("token-hash", NOW + timedelta(hours=1)) is None


# -- who handled a case (four eyes) ---------------------------------------------------------------


def test_everyone_who_held_or_answered_a_conversation_handled_it(store: InboxStore, handoffs: SqlHandoffQueue) -> None:
    ticket = claimed(store, open_ticket(store, handoffs), ALI)
    assert reply(store, ticket, ALI, "I'll pass you to a senior.", minutes(1))
    moved = ticket_rules.transfer(current(store), ALI, "senior", "refund dispute", minutes(2), ("agent", "senior", "manager"))
    assert store.apply(moved, AuditEntry(at=minutes(2), actor="agent:ali", event=moved.event, conversation_id=JANE))
    claimed(store, current(store), SOFIA, minutes(3))
    store.add_note(current(store), "note", "maria", "Looks fine to me.",
                   AuditEntry(at=minutes(4), actor="manager:maria", event="note_added", conversation_id=JANE))
    claimed(store, open_ticket(store, handoffs, "t2", SAM), NOOR)

    assert store.handled_by(JANE) == {"ali", "sofia"}  # a note is not handling the case
    assert store.handled_by(SAM) == {"noor"}


# -- telling the customer (the action server's side) ----------------------------------------------


def test_a_ticket_is_open_for_the_customer_while_it_waits_or_is_held(store: InboxStore, handoffs: SqlHandoffQueue) -> None:
    assert handoffs.open_for(JANE) is None
    ticket = open_ticket(store, handoffs)
    assert handoffs.open_for(JANE) is not None and handoffs.open_for(JANE).status == "open"

    held = claimed(store, ticket, ALI)
    found = handoffs.open_for(JANE)
    assert found is not None and (found.id, found.status, found.assignee) == ("t1", "assigned", "ali")
    assert handoffs.take_untold(JANE) is None  # nothing to tell while people have it

    back = ticket_rules.hand_back(held, ALI, "resolved", "explained the delivery", minutes(5))
    assert store.apply(back, AuditEntry(at=minutes(5), actor="agent:ali", event=back.event, conversation_id=JANE))
    assert handoffs.open_for(JANE) is None


def test_the_customer_is_told_of_a_hand_back_once_even_when_two_workers_take_the_news(
        store: InboxStore, handoffs: SqlHandoffQueue) -> None:
    held = claimed(store, open_ticket(store, handoffs), ALI)
    back = ticket_rules.hand_back(held, ALI, "resolved", "explained the delivery", minutes(5))
    assert store.apply(back, AuditEntry(at=minutes(5), actor="agent:ali", event=back.event, conversation_id=JANE))

    taken = race(2, lambda: handoffs.take_untold(JANE))

    told = [t for t in taken if t is not None]
    assert len(told) == 1
    assert (told[0].id, told[0].outcome, told[0].resolution) == ("t1", "resolved", "explained the delivery")
    assert handoffs.take_untold(JANE) is None


# -- approvals ------------------------------------------------------------------------------------


def a_request(id: str, conversation: str = JANE, dollars: int = 700) -> Approval:
    return Approval(id=id, pending_id=f"p-{id}", conversation_id=conversation, customer_id="C001", kind="refund",
                    amount_cents=dollars * 100, summary=f"Refund ${dollars} for order 1003",
                    reasons=("amount_above_approval_limit: above $500.00",), requested_at=NOW, queue="senior")


def stored(store: InboxStore, approval_id: str) -> Approval:
    approval = store.approval(approval_id)
    assert approval is not None
    return approval


def decision_record(decision: Decision, actor: str) -> AuditEntry:
    return AuditEntry(at=NOW, actor=actor, event=decision.event, conversation_id=decision.before.conversation_id,
                      detail={"approval_id": decision.before.id, "approval_version": decision.before.version})


def test_a_decision_is_a_compare_and_set_on_the_requests_version(store: InboxStore, approvals: SqlApprovalQueue,
                                                                 audit: SqlAuditLog) -> None:
    approvals.add(a_request("a1"))
    request = stored(store, "a1")
    approve = approval_rules.approve(request, MARIA, RULES, (), 1, minutes(1))
    reject = approval_rules.reject(request, SOFIA, RULES, (), 1, "used for months", minutes(1))

    assert store.decide(approve, decision_record(approve, "manager:maria"),
                        outgoing=[Outgoing("trigger", {"action": "action_approval_decided"})]) is True
    assert store.decide(reject, decision_record(reject, "senior:sofia"),
                        outgoing=[Outgoing("trigger", {"action": "action_approval_decided"})]) is False

    after = stored(store, "a1")
    assert (after.status, after.approvers, after.decided_by, after.decided_at, after.version) == (
        "approved", ("maria",), "maria", minutes(1), 2)
    assert [e.event for e in audit.entries(JANE)] == ["approval_approved"]
    assert len(store.due_deliveries(minutes(1))) == 1
    assert [a.id for a in store.approvals(pending=False)] == ["a1"] and store.approvals(pending=True) == []


def test_an_approved_request_is_told_only_once_its_result_is_in(store: InboxStore, approvals: SqlApprovalQueue) -> None:
    approvals.add(a_request("a1"))
    approvals.add(a_request("a2", conversation=SAM))
    request = stored(store, "a1")
    approved = approval_rules.approve(request, MARIA, RULES, (), 1, minutes(1))
    assert store.decide(approved, decision_record(approved, "manager:maria"))

    assert approvals.take_untold(JANE) == []  # approved, still running: nothing to say yet

    store.record_result("a1", "Refunded $700.00 for order 1003.", [Outgoing("trigger", {"action": "action_approval_decided"})],
                        minutes(2))
    told = approvals.take_untold(JANE)
    assert [(a.id, a.status, a.result) for a in told] == [("a1", "approved", "Refunded $700.00 for order 1003.")]
    assert approvals.take_untold(JANE) == []
    assert approvals.take_untold(SAM) == []  # Sam's is still pending
    assert queued(store.due_deliveries(minutes(2))) == [(JANE, "trigger", {"action": "action_approval_decided"})]


def test_a_rejection_is_told_at_once_and_only_once_when_two_workers_take_it(store: InboxStore,
                                                                            approvals: SqlApprovalQueue) -> None:
    approvals.add(a_request("a1"))
    request = stored(store, "a1")
    rejected = approval_rules.reject(request, MARIA, RULES, (), 1, "used for months", minutes(1))
    assert store.decide(rejected, decision_record(rejected, "manager:maria"))

    taken = race(2, lambda: approvals.take_untold(JANE))

    assert sorted(len(t) for t in taken) == [0, 1]
    [told] = [t for t in taken if t][0]
    assert (told.status, told.decision_reason) == ("rejected", "used for months")


def test_feed_events_become_visible_in_id_order_even_when_an_earlier_writer_commits_last(engine: Engine) -> None:
    """The inbox follows the feed by id: a lower id committed after a higher one would never be seen."""
    first_has_its_id = threading.Event()
    committed: List[str] = []

    def slow_writer() -> None:
        with Session(engine) as session:
            publish(session, "ticket", "slow", "created", NOW)
            session.flush()  # its id is taken now...
            first_has_its_id.set()
            time.sleep(0.5)  # ...and committed only later
            session.commit()
            committed.append("slow")

    def quick_writer() -> None:
        first_has_its_id.wait(5)
        with Session(engine) as session:
            publish(session, "ticket", "quick", "created", NOW)
            session.commit()
            committed.append("quick")

    store = InboxStore(engine)
    seen = store.last_event_id()
    threads = [threading.Thread(target=slow_writer), threading.Thread(target=quick_writer)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)

    events = store.events_after(seen)
    assert [e.subject_id for e in events] == committed == ["slow", "quick"]


def test_a_tickets_priority_only_ever_rises_and_only_while_people_have_it(store: InboxStore, handoffs: SqlHandoffQueue) -> None:
    ticket = open_ticket(store, handoffs)
    seen = store.last_event_id()

    assert handoffs.raise_priority(ticket.id, "high", "complaint", minutes(1)) is True
    assert handoffs.raise_priority(ticket.id, "normal", "calmer now", minutes(2)) is False
    assert handoffs.raise_priority(ticket.id, "high", "again", minutes(3)) is False
    assert handoffs.raise_priority(ticket.id, "urgent", "mentions fraud", minutes(4)) is True

    raised = store.ticket(ticket.id)
    assert raised is not None and (raised.priority, raised.version) == ("urgent", ticket.version)
    assert [m.text for m in store.messages(ticket.id)] == ["Priority raised to high: complaint",
                                                           "Priority raised to urgent: mentions fraud"]
    assert [e.change for e in store.events_after(seen)] == ["updated", "updated"]
    closed = open_ticket(store, handoffs, id="t2", conversation=SAM)
    assert store.apply(ticket_rules.close(closed, SOFIA, "sorted", minutes(5)),
                       AuditEntry(at=minutes(5), actor="senior:sofia", event="ticket_closed", conversation_id=SAM))
    assert handoffs.raise_priority("t2", "urgent", "too late", minutes(6)) is False
