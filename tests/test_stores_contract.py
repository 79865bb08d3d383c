"""One contract for the assistant's stores, run against every backend.

The in-memory stores are the reference; the SQL stores must behave the same on a SQLite
file and on PostgreSQL (each test in its own throwaway schema, skipped only when no server
answers). Races are real threads released together by a barrier.
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Iterator, Optional, Tuple

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from actions.domain.audit import AuditEntry
from actions.domain.business import ActionRequest
from actions.domain.approval import Approval
from actions.domain.pending import PendingAction, Stage
from actions.domain.step_up import ChallengeStatus, OtpChallenge
from actions.domain.stores import Draft, Stores
from actions.domain.ticket import Ticket
from actions.store import memory, sql
from actions.store.database import make_engine
from tests.support.postgres import postgres_schema_url
from tests.support.race import race

NOW = datetime(2026, 11, 21, 12, 0, tzinfo=timezone.utc)
PHONE = "+15550100001"
OTHER_PHONE = "+15550100002"


@contextmanager
def database_url(backend: str, tmp_path: Path) -> Iterator[str]:
    """A SQLite file, or a PostgreSQL schema that exists for one test and is dropped after it."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'hitl.db'}"
        return
    with postgres_schema_url("hitl_test") as url:
        yield url


@contextmanager
def stores_on(backend: str, tmp_path: Path) -> Iterator[Stores]:
    if backend == "memory":
        yield memory.memory_stores()
        return
    with database_url(backend, tmp_path) as url:
        engine = make_engine(url)
        try:
            yield sql.sql_stores(engine)
        finally:
            engine.dispose()


@pytest.fixture(params=["memory", "sqlite", "postgresql"])
def stores(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Stores]:
    with stores_on(request.param, tmp_path) as bundle:
        yield bundle


@pytest.fixture(params=["sqlite", "postgresql"])
def sql_only(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Stores]:
    with stores_on(request.param, tmp_path) as bundle:
        yield bundle


def a_pending(id: str = "p1", *, conversation: str = PHONE, stage: Stage = Stage.CONFIRM,
              created: datetime = NOW, **changes: Any) -> PendingAction:
    pending = PendingAction(
        id=id, conversation_id=conversation, customer_id="C001",
        request=ActionRequest("refund", "C001", {"order_id": "1001", "amount_cents": 2000}),
        headline="Refund $20.00 to your Visa ending 4242 for order 1001",
        summary="Refund $20.00 to your Visa ending 4242 for order 1001, delivered 8 days ago. You'll see it in 3-5 working days.",
        outcome="confirm", tier="medium", reasons=("small_refund: $20.00 is within $100.00",),
        policy_version="2026-11-21.2", idempotency_key=f"key-{id}", digest=f"digest-{id}", stage=stage,
        created_at=created, expires_at=created + timedelta(minutes=10), amount_cents=2000,
    )
    return replace(pending, **changes)


def a_challenge(id: str = "ch1", *, pending: str = "p1", send: int = 1, issued: datetime = NOW) -> OtpChallenge:
    return OtpChallenge(
        id=id, pending_id=pending, action_digest="digest-p1", code_hash=f"hash-{id}",
        issued_at=issued, expires_at=issued + timedelta(minutes=5), send_number=send,
    )


def an_entry(event: str, conversation: str = PHONE, at: datetime = NOW, **detail: Any) -> AuditEntry:
    return AuditEntry(
        at=at, actor="bot", event=event, conversation_id=conversation, customer_id="C001", pending_id="p1",
        request="refund", outcome="confirm", tier="medium", reasons=("small_refund: $20.00 is within $100.00",),
        policy_version="2026-11-21.2", detail=detail,
    )


# -- pending actions -----------------------------------------------------------------------


def test_a_pending_action_comes_back_exactly_as_it_was_stored(stores: Stores) -> None:
    pending = a_pending(result_message=None, unclear_replies=0)
    stores.pendings.add(pending)
    assert stores.pendings.get("p1") == pending
    assert stores.pendings.get("nobody") is None


def test_the_action_awaiting_the_customer_is_the_newest_in_confirm_or_otp(stores: Stores) -> None:
    stores.pendings.add(a_pending("older", created=NOW))
    stores.pendings.add(a_pending("newer", stage=Stage.OTP, created=NOW + timedelta(minutes=1)))
    stores.pendings.add(a_pending("manager", stage=Stage.APPROVAL, created=NOW + timedelta(minutes=2)))
    stores.pendings.add(a_pending("finished", stage=Stage.DONE, created=NOW + timedelta(minutes=3)))
    stores.pendings.add(a_pending("someone-else", conversation=OTHER_PHONE, created=NOW + timedelta(minutes=4)))

    assert stores.pendings.awaiting_customer(PHONE).id == "newer"
    stores.pendings.move("newer", (Stage.OTP,), Stage.CANCELLED)
    assert stores.pendings.awaiting_customer(PHONE).id == "older"
    stores.pendings.move("older", (Stage.CONFIRM,), Stage.EXPIRED)
    assert stores.pendings.awaiting_customer(PHONE) is None
    assert stores.pendings.awaiting_customer("+15559990000") is None


def test_a_move_happens_only_from_the_expected_stage(stores: Stores) -> None:
    stores.pendings.add(a_pending())

    assert stores.pendings.move("p1", (Stage.OTP, Stage.APPROVAL), Stage.EXECUTING) is False
    assert stores.pendings.get("p1").stage is Stage.CONFIRM
    assert stores.pendings.move("p1", (Stage.CONFIRM, Stage.OTP), Stage.EXECUTING) is True
    assert stores.pendings.move("p1", (Stage.EXECUTING,), Stage.DONE, "Refunded $20.00.") is True
    done = stores.pendings.get("p1")
    assert (done.stage, done.result_message) == (Stage.DONE, "Refunded $20.00.")
    assert stores.pendings.move("p1", (Stage.CONFIRM,), Stage.CANCELLED) is False
    assert stores.pendings.move("nobody", (Stage.CONFIRM,), Stage.CANCELLED) is False


def test_a_move_without_a_message_keeps_the_earlier_one(stores: Stores) -> None:
    stores.pendings.add(a_pending(result_message="first"))
    stores.pendings.move("p1", (Stage.CONFIRM,), Stage.CANCELLED)
    assert stores.pendings.get("p1").result_message == "first"


def test_two_workers_racing_the_same_move_only_one_wins(stores: Stores) -> None:
    stores.pendings.add(a_pending())

    results = race(2, lambda: stores.pendings.move("p1", (Stage.CONFIRM, Stage.OTP), Stage.EXECUTING))

    assert sorted(results) == [False, True]
    assert stores.pendings.get("p1").stage is Stage.EXECUTING


def test_unclear_replies_are_counted_one_by_one(stores: Stores) -> None:
    stores.pendings.add(a_pending())
    assert stores.pendings.add_unclear_reply("p1") == 1
    assert stores.pendings.add_unclear_reply("p1") == 2
    assert stores.pendings.get("p1").unclear_replies == 2


# -- one-time code challenges --------------------------------------------------------------


def test_the_current_challenge_is_the_latest_send(stores: Stores) -> None:
    assert stores.challenges.current("p1") is None
    first = a_challenge("ch1", send=1)
    second = a_challenge("ch2", send=2, issued=NOW + timedelta(seconds=30))
    stores.challenges.add(first)
    assert stores.challenges.current("p1") == first
    stores.challenges.add(second)
    stores.challenges.add(a_challenge("other", pending="p2", send=3))
    assert stores.challenges.current("p1") == second


def test_a_challenge_is_updated_only_if_nobody_changed_it_first(stores: Stores) -> None:
    challenge = a_challenge()
    stores.challenges.add(challenge)
    one_wrong = replace(challenge, attempts=1)

    assert stores.challenges.update(challenge, one_wrong) is True
    assert stores.challenges.current("p1") == one_wrong
    # a second worker still holding the old reading loses
    assert stores.challenges.update(challenge, replace(challenge, status=ChallengeStatus.USED)) is False
    assert stores.challenges.update(one_wrong, replace(one_wrong, status=ChallengeStatus.USED)) is True
    assert stores.challenges.current("p1").status is ChallengeStatus.USED
    assert stores.challenges.update(a_challenge("ghost"), a_challenge("ghost")) is False


def test_two_workers_using_the_same_code_only_one_succeeds(stores: Stores) -> None:
    challenge = a_challenge()
    stores.challenges.add(challenge)

    results = race(2, lambda: stores.challenges.update(challenge, replace(challenge, status=ChallengeStatus.USED)))

    assert sorted(results) == [False, True]


# -- drafts --------------------------------------------------------------------------------


def test_a_draft_is_kept_replaced_and_cleared(stores: Stores) -> None:
    assert stores.drafts.get(PHONE) is None
    stores.drafts.put(PHONE, Draft("refund", {"amount_cents": 2000}, "order_id"))
    assert stores.drafts.get(PHONE) == Draft("refund", {"amount_cents": 2000}, "order_id")

    stores.drafts.put(PHONE, Draft("change_address", {"order_id": "1002"}, "address"))
    assert stores.drafts.get(PHONE) == Draft("change_address", {"order_id": "1002"}, "address")
    assert stores.drafts.get(OTHER_PHONE) is None

    stores.drafts.clear(PHONE)
    assert stores.drafts.get(PHONE) is None
    stores.drafts.clear(PHONE)  # clearing twice is fine


# -- audit, handoffs, approvals ------------------------------------------------------------


def test_audit_entries_come_back_in_the_order_they_were_written(stores: Stores) -> None:
    written = [
        an_entry("risk_decision", intent="request_refund", confidence=0.95),
        an_entry("handoff_requested", conversation=OTHER_PHONE),
        an_entry("confirmation_requested", at=NOW + timedelta(seconds=1)),
        an_entry("executed", at=NOW + timedelta(seconds=2), idempotency_key="key-p1", result="Refunded $20.00."),
    ]
    for entry in written:
        stores.audit.append(entry)

    assert list(stores.audit.entries()) == written
    assert list(stores.audit.entries(PHONE)) == [written[0], written[2], written[3]]
    assert list(stores.audit.entries("+15559990000")) == []


def a_ticket(id: str, conversation_id: str, customer_id: str, topic: str, priority: str, reasons: Tuple[str, ...],
             pending_id: Optional[str], at: datetime, status: str = "open", evidence: Optional[dict] = None) -> Ticket:
    """A ticket as the assistant opens it, in the agents' queue."""
    return Ticket(id=id, conversation_id=conversation_id, customer_id=customer_id, topic=topic, priority=priority,
                  queue="agent", status=status, reasons=reasons, pending_id=pending_id, created_at=at, queued_at=at,
                  evidence=evidence or {})


def test_the_handoff_open_for_a_conversation_is_found(stores: Stores) -> None:
    assert stores.handoffs.open_for(PHONE) is None
    closed = a_ticket("h1", PHONE, "C001", "legal", "high", ("regulated_topic: legal",), None, NOW, status="closed")
    open_ = a_ticket("h2", PHONE, "C001", "complaint", "urgent", ("sensitive_keywords: fraud",), "p1", NOW)
    stores.handoffs.add(closed)
    assert stores.handoffs.open_for(PHONE) is None
    stores.handoffs.add(open_)
    assert stores.handoffs.open_for(PHONE) == open_
    assert stores.handoffs.open_for(OTHER_PHONE) is None


def test_a_customers_tickets_come_back_oldest_first_with_their_evidence(stores: Stores) -> None:
    evidence = {"summary": "Jane Doe wants a refund.", "transcript": [{"at": NOW.isoformat(), "speaker": "customer", "text": "hi"}]}
    later = a_ticket("h2", PHONE, "C001", "complaint", "high", (), None, NOW + timedelta(hours=1), evidence=evidence)
    earlier = a_ticket("h1", PHONE, "C001", "legal", "high", (), None, NOW, status="closed")
    stores.handoffs.add(later)
    stores.handoffs.add(earlier)
    stores.handoffs.add(a_ticket("h3", OTHER_PHONE, "C002", "legal", "high", (), None, NOW))

    tickets = stores.handoffs.for_customer("C001")

    assert [t.id for t in tickets] == ["h1", "h2"]
    assert tickets[1].evidence == evidence


def test_the_approval_for_a_pending_action_is_found(stores: Stores) -> None:
    approval = Approval(
        "a1", "p1", PHONE, "C001", "refund", 70000, "Refund $700.00 for order 1003",
        ("amount_above_approval_limit: $700.00 is above $500.00",), NOW,
    )
    stores.approvals.add(approval)
    assert stores.approvals.for_pending("p1") == approval
    assert stores.approvals.for_pending("p2") is None


def test_times_keep_their_instant_and_their_time_zone(stores: Stores) -> None:
    paris_evening = datetime(2026, 11, 21, 19, 30, tzinfo=timezone(timedelta(hours=1)))
    same_instant_in_utc = datetime(2026, 11, 21, 18, 30, tzinfo=timezone.utc)
    stores.pendings.add(a_pending(created=paris_evening))
    stores.challenges.add(a_challenge(issued=paris_evening))
    stores.audit.append(an_entry("risk_decision", at=paris_evening))

    pending = stores.pendings.get("p1")
    back = {
        "created_at": pending.created_at,
        "expires_at": pending.expires_at - timedelta(minutes=10),
        "issued_at": stores.challenges.current("p1").issued_at,
        "challenge expires_at": stores.challenges.current("p1").expires_at - timedelta(minutes=5),
        "audit at": stores.audit.entries()[0].at,
    }
    for name, moment in back.items():
        assert moment.utcoffset() is not None, f"{name} came back without a time zone"
        assert moment == same_instant_in_utc, name
    assert not pending.is_expired(same_instant_in_utc + timedelta(minutes=9, seconds=59))
    assert pending.is_expired(same_instant_in_utc + timedelta(minutes=10))


# -- what only a database can promise -------------------------------------------------------


@pytest.mark.parametrize("statement", [
    "UPDATE audit_log SET event = 'nothing_happened'",
    "DELETE FROM audit_log",
])
def test_the_database_refuses_to_rewrite_the_audit_log(sql_only: Stores, statement: str) -> None:
    sql_only.audit.append(an_entry("executed", result="Refunded $20.00."))
    engine = sql_only.audit.engine  # type: ignore[attr-defined]

    with pytest.raises(DBAPIError, match="append-only"):
        with engine.begin() as connection:
            connection.execute(text(statement))

    assert [e.event for e in sql_only.audit.entries()] == ["executed"]


def test_a_naive_time_is_refused_before_it_is_stored(sql_only: Stores) -> None:
    with pytest.raises(Exception, match="naive datetime"):
        sql_only.pendings.add(a_pending(created=datetime(2026, 11, 21, 12, 0)))
    assert sql_only.pendings.get("p1") is None


def test_a_customers_open_approvals_are_listed_oldest_first(stores: Stores) -> None:
    older = Approval("a1", "p1", PHONE, "C001", "refund", 70000, "Refund $700.00", (), NOW)
    newer = Approval("a2", "p2", PHONE, "C001", "refund", 60000, "Refund $600.00", (), NOW + timedelta(minutes=1))
    decided = Approval("a3", "p3", PHONE, "C001", "refund", 55000, "Refund $550.00", (), NOW, status="approved")
    someone_else = Approval("a4", "p4", OTHER_PHONE, "C002", "refund", 80000, "Refund $800.00", (), NOW)
    for approval in (newer, decided, someone_else, older):
        stores.approvals.add(approval)

    assert [a.id for a in stores.approvals.open_for_customer("C001")] == ["a1", "a2"]


def test_actions_claimed_long_ago_and_never_finished_are_found(stores: Stores) -> None:
    stores.pendings.add(a_pending("p1"))
    stores.pendings.add(a_pending("p2"))
    assert stores.pendings.move("p1", (Stage.CONFIRM,), Stage.EXECUTING, claimed_at=NOW)
    assert stores.pendings.move("p2", (Stage.CONFIRM,), Stage.EXECUTING, claimed_at=NOW + timedelta(minutes=5))

    stuck = stores.pendings.stuck_executing(PHONE, claimed_before=NOW + timedelta(minutes=2))

    assert [p.id for p in stuck] == ["p1"] and stuck[0].claimed_at == NOW
    assert stores.pendings.stuck_executing(OTHER_PHONE, claimed_before=NOW + timedelta(hours=1)) == []


def test_the_newest_action_run_since_a_time_is_found_with_its_result(stores: Stores) -> None:
    for id in ("old", "done", "refused", "running", "theirs"):
        stores.pendings.add(a_pending(id, conversation=OTHER_PHONE if id == "theirs" else PHONE))
    claims = {"old": NOW - timedelta(hours=1), "done": NOW, "refused": NOW + timedelta(minutes=1),
              "running": NOW + timedelta(minutes=2), "theirs": NOW + timedelta(minutes=3)}
    for id, at in claims.items():
        assert stores.pendings.move(id, (Stage.CONFIRM,), Stage.EXECUTING, claimed_at=at)
    stores.pendings.move("old", (Stage.EXECUTING,), Stage.DONE, "Refunded long ago.")
    stores.pendings.move("done", (Stage.EXECUTING,), Stage.DONE, "Refunded $20.00.")
    stores.pendings.move("theirs", (Stage.EXECUTING,), Stage.DONE, "Someone else's.")

    assert stores.pendings.finished_since(PHONE, NOW - timedelta(minutes=10)).result_message == "Refunded $20.00."
    stores.pendings.move("refused", (Stage.EXECUTING,), Stage.FAILED, "Too much.")
    assert stores.pendings.finished_since(PHONE, NOW - timedelta(minutes=10)).id == "refused"  # still running: not yet
    assert stores.pendings.finished_since(PHONE, NOW + timedelta(minutes=5)) is None



def test_a_step_up_code_prompt_counts_as_live_until_it_expires_whatever_became_of_it(stores: Stores) -> None:
    stores.pendings.add(a_pending("asked", stage=Stage.OTP, outcome="otp"))  # expires NOW + 10 minutes
    stores.pendings.add(a_pending("confirmed", conversation=OTHER_PHONE))  # a yes/no, never a code
    stores.pendings.move("asked", (Stage.OTP,), Stage.DONE, "Cancelled.")

    assert stores.pendings.code_prompt_live_since(PHONE, NOW + timedelta(minutes=10))
    assert not stores.pendings.code_prompt_live_since(PHONE, NOW + timedelta(minutes=11))
    assert not stores.pendings.code_prompt_live_since(OTHER_PHONE, NOW)
