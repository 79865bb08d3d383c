"""The inbox's rules as a floor lead would state them: who may take, pass on, answer and hand
back a ticket; who may sign off a request and up to what amount; when a ticket is late.

Pure rules on plain objects, with the shipped ``bot/risk_policy.yml``: no database, no web.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone
from typing import Optional

import pytest

from actions.domain.policy import ApprovalRules, InboxRules, RiskPolicy, load_policy
from actions.settings import PROJECT_ROOT
from actions.domain.business import ActionRequest
from actions.domain.pending import PendingAction, Stage
from handoff.domain import approvals as approval_rules
from handoff.domain import sign_off
from handoff.domain import tickets as ticket_rules
from actions.domain.approval import Approval
from handoff.domain.errors import Conflict, Forbidden, InboxError
from handoff.domain.people import Role, User
from handoff.domain.sla import (
    Deadline,
    TimerStep,
    deadline,
    next_approval_step,
    next_ticket_step,
)
from actions.domain.ticket import Ticket

T0 = datetime(2026, 11, 21, 12, 0, tzinfo=timezone.utc)
LATER = T0 + timedelta(minutes=7)
QUEUES = ("agent", "senior", "manager")

ALI = User("ali", "Ali Khan", Role.AGENT)
NOOR = User("noor", "Noor Haddad", Role.AGENT)
SOFIA = User("sofia", "Sofia Rossi", Role.SENIOR)
MARIA = User("maria", "Maria Lopez", Role.MANAGER)
DAVID = User("david", "David Chen", Role.MANAGER)
ADMIN = User("admin", "Alex Admin", Role.ADMIN)


@pytest.fixture(scope="module")
def policy() -> RiskPolicy:
    return load_policy(PROJECT_ROOT / "bot" / "risk_policy.yml")


@pytest.fixture(scope="module")
def limits(policy: RiskPolicy) -> ApprovalRules:
    return policy.approvals


@pytest.fixture(scope="module")
def inbox(policy: RiskPolicy) -> InboxRules:
    return policy.inbox


def a_ticket(queue: str = "agent", priority: str = "normal", pending_id: Optional[str] = None, **changes: object) -> Ticket:
    ticket = Ticket(id="4f0c1a2b-ticket", conversation_id="+15550100001", customer_id="C001", topic="customer_asked_for_human",
                    priority=priority, queue=queue, status="open", reasons=("human_topic: asked for a person",),
                    pending_id=pending_id, created_at=T0, queued_at=T0)
    return replace(ticket, **changes)


def held_by(user: User, pending_id: Optional[str] = None, **changes: object) -> Ticket:
    return a_ticket(pending_id=pending_id, status="assigned", assignee=user.username, claimed_at=T0, version=2, **changes)


def a_request(dollars: Optional[int], kind: str = "refund", **changes: object) -> Approval:
    approval = Approval(id="9a1b2c3d-approval", pending_id="p1", conversation_id="+15550100001", customer_id="C001",
                        kind=kind, amount_cents=None if dollars is None else dollars * 100,
                        summary="Refund to your Visa ending 4242 for order 1003", reasons=("amount_above_approval_limit: ...",),
                        requested_at=T0)
    return replace(approval, **changes)


# -- tickets: claim -------------------------------------------------------------------------------


def test_an_agent_claims_a_waiting_ticket_and_it_becomes_theirs() -> None:
    ticket = a_ticket()

    change = ticket_rules.claim(ticket, ALI, LATER)

    assert (change.after.status, change.after.assignee, change.after.claimed_at) == ("assigned", "ali", LATER)
    assert (change.before, change.after.version, change.event) == (ticket, 2, "ticket_claimed")


def test_a_ticket_someone_already_has_cannot_be_claimed_again() -> None:
    with pytest.raises(Conflict, match="already with ali"):
        ticket_rules.claim(held_by(ALI), NOOR, LATER)


def test_an_agent_cannot_claim_a_ticket_in_the_senior_queue() -> None:
    with pytest.raises(Forbidden, match="is in the senior queue, which an agent can't work on"):
        ticket_rules.claim(a_ticket(queue="senior"), ALI, LATER)
    assert ticket_rules.claim(a_ticket(queue="senior"), SOFIA, LATER).after.assignee == "sofia"


def test_a_closed_ticket_cannot_be_claimed() -> None:
    closed = a_ticket(status="closed", outcome="resolved", closed_at=T0)
    with pytest.raises(InboxError, match="closed"):
        ticket_rules.claim(closed, ALI, LATER)


def test_acting_on_an_old_version_of_a_ticket_is_a_conflict_that_says_who_has_it() -> None:
    ticket = held_by(ALI)

    with pytest.raises(Conflict, match="with ali"):
        ticket_rules.expect_version(ticket, 1)
    with pytest.raises(InboxError, match="version") as missing:
        ticket_rules.expect_version(ticket, None)
    assert not isinstance(missing.value, Conflict)
    ticket_rules.expect_version(ticket, 2)  # the current version passes


# -- tickets: assign and transfer -----------------------------------------------------------------


def test_only_supervisors_assign_tickets() -> None:
    with pytest.raises(Forbidden, match="only seniors, managers and admins assign"):
        ticket_rules.assign(a_ticket(), ALI, NOOR, LATER)

    change = ticket_rules.assign(held_by(NOOR, reminded_for=T0), SOFIA, ALI, LATER)

    assert (change.after.assignee, change.after.claimed_at, change.after.reminded_for) == ("ali", LATER, None)
    assert change.detail == {"to": "ali", "from": "noor"}


def test_a_ticket_is_assigned_only_to_someone_who_works_on_its_queue() -> None:
    with pytest.raises(InboxError, match="Ali Khan is an agent and can't work on the senior queue"):
        ticket_rules.assign(a_ticket(queue="senior"), SOFIA, ALI, LATER)
    assert ticket_rules.assign(a_ticket(queue="manager"), ADMIN, MARIA, LATER).after.assignee == "maria"


def test_a_senior_cannot_assign_a_ticket_in_a_queue_they_cannot_see() -> None:
    with pytest.raises(Forbidden, match="is in the manager queue, which a senior can't work on"):
        ticket_rules.assign(a_ticket(queue="manager"), SOFIA, SOFIA, LATER)


def test_the_assignee_transfers_a_ticket_and_it_waits_unassigned_in_the_new_queue() -> None:
    change = ticket_rules.transfer(held_by(ALI), ALI, "senior", "refund dispute", LATER, QUEUES)

    after = change.after
    assert (after.queue, after.status, after.assignee, after.claimed_at, after.queued_at) == ("senior", "open", None, None, LATER)
    assert change.detail == {"from_queue": "agent", "to_queue": "senior", "note": "refund dispute"}


def test_only_the_assignee_or_a_supervisor_transfers_a_ticket() -> None:
    with pytest.raises(Forbidden, match="only the person who has ticket"):
        ticket_rules.transfer(held_by(ALI), NOOR, "senior", "", LATER, QUEUES)
    assert ticket_rules.transfer(held_by(ALI), SOFIA, "manager", "over my head", LATER, QUEUES).after.queue == "manager"


def test_a_transfer_names_a_real_queue_other_than_the_one_it_waits_in() -> None:
    with pytest.raises(InboxError, match="no 'billing' queue"):
        ticket_rules.transfer(held_by(ALI), ALI, "billing", "", LATER, QUEUES)
    with pytest.raises(InboxError, match="already waiting in the agent queue"):
        ticket_rules.transfer(a_ticket(), SOFIA, "agent", "", LATER, QUEUES)
    with pytest.raises(InboxError, match="say why you transfer it"):
        ticket_rules.transfer(held_by(ALI), ALI, "senior", "  ", LATER, QUEUES)


# -- tickets: replies and notes -------------------------------------------------------------------


def test_only_the_assignee_replies_to_the_customer() -> None:
    assert ticket_rules.check_reply(held_by(ALI), ALI, "  Hi Jane, I'm on it.  ") == "Hi Jane, I'm on it."
    with pytest.raises(Forbidden, match="ali has it"):
        ticket_rules.check_reply(held_by(ALI), SOFIA, "Hi Jane")
    with pytest.raises(Forbidden, match="claim it first"):
        ticket_rules.check_reply(a_ticket(), ALI, "Hi Jane")


def test_a_reply_must_say_something_and_fit_in_a_message() -> None:
    with pytest.raises(InboxError, match="empty"):
        ticket_rules.check_reply(held_by(ALI), ALI, "   ")
    with pytest.raises(InboxError, match="longer than 4000"):
        ticket_rules.check_reply(held_by(ALI), ALI, "x" * 4001)


def test_a_reply_stops_the_reply_clock_and_clears_the_reminder() -> None:
    change = ticket_rules.replied(held_by(ALI, reminded_for=T0), LATER)

    assert (change.after.last_agent_at, change.after.reminded_for, change.after.version) == (LATER, None, 3)


def test_anyone_who_sees_the_queue_may_write_a_note_but_not_outside_it() -> None:
    assert ticket_rules.check_note(held_by(ALI), SOFIA, " called the courier ") == "called the courier"
    with pytest.raises(Forbidden):
        ticket_rules.check_note(a_ticket(queue="manager"), ALI, "hello")
    with pytest.raises(InboxError, match="empty"):
        ticket_rules.check_note(held_by(ALI), ALI, "")


# -- tickets: hand-back and close -----------------------------------------------------------------


def test_the_assignee_hands_back_a_resolved_case_and_the_ticket_closes() -> None:
    change = ticket_rules.hand_back(held_by(ALI), ALI, "resolved", "  explained the delivery  ", LATER)

    after = change.after
    assert (after.status, after.outcome, after.resolution, after.closed_at) == ("closed", "resolved", "explained the delivery", LATER)
    assert (change.event, change.detail) == ("handed_back", {"outcome": "resolved", "note": "explained the delivery"})


def test_only_the_assignee_hands_back() -> None:
    with pytest.raises(Forbidden, match="only the person who has ticket"):
        ticket_rules.hand_back(held_by(ALI), MARIA, "resolved", "", LATER)


def test_a_rejection_must_say_why_because_the_customer_is_told() -> None:
    with pytest.raises(InboxError, match="say why"):
        ticket_rules.hand_back(held_by(ALI, pending_id="p1"), ALI, "rejected", "  ", LATER)

    change = ticket_rules.hand_back(held_by(ALI, pending_id="p1"), ALI, "rejected", "the order is outside the window", LATER)
    assert change.after.resolution == "the order is outside the window"


@pytest.mark.parametrize("outcome", ["approved", "rejected"])
def test_approving_or_rejecting_needs_a_waiting_action(outcome: str) -> None:
    with pytest.raises(InboxError, match="no waiting action"):
        ticket_rules.hand_back(held_by(ALI), ALI, outcome, "a reason", LATER)
    assert ticket_rules.hand_back(held_by(ALI, pending_id="p1"), ALI, outcome, "a reason", LATER).after.outcome == outcome


def test_a_hand_back_outcome_is_one_of_the_known_ones() -> None:
    with pytest.raises(InboxError, match="must be one of resolved, continue, approved, rejected"):
        ticket_rules.hand_back(held_by(ALI), ALI, "escalated", "", LATER)


def test_the_assignee_or_a_supervisor_closes_a_ticket_with_a_resolution() -> None:
    change = ticket_rules.close(held_by(ALI), SOFIA, "customer left the chat", LATER)
    assert (change.after.status, change.after.outcome, change.after.resolution) == ("closed", "closed", "customer left the chat")
    with pytest.raises(Forbidden, match="only the person who has ticket"):
        ticket_rules.close(held_by(ALI), NOOR, "done", LATER)
    with pytest.raises(InboxError, match="say how the ticket was resolved"):
        ticket_rules.close(held_by(ALI), ALI, " ", LATER)


def test_nothing_more_is_done_on_a_closed_ticket() -> None:
    closed = ticket_rules.close(held_by(ALI), ALI, "done", LATER).after
    for attempt in (lambda: ticket_rules.close(closed, SOFIA, "again", LATER),
                    lambda: ticket_rules.transfer(closed, SOFIA, "senior", "", LATER, QUEUES),
                    lambda: ticket_rules.hand_back(closed, ALI, "resolved", "", LATER),
                    lambda: ticket_rules.check_reply(closed, ALI, "hello?")):
        with pytest.raises(InboxError, match="closed"):
            attempt()


# -- tickets: the buttons a person sees ------------------------------------------------------------


def test_an_agent_sees_claim_and_note_on_a_waiting_ticket() -> None:
    assert ticket_rules.allowed(a_ticket(), ALI) == {
        "claim": True, "assign": False, "transfer": False, "reply": False, "note": True,
        "handback": False, "close": False, "request_approval": False,
    }


def test_the_assignee_works_the_case_and_a_senior_supervises_it() -> None:
    ticket = held_by(ALI, pending_id="p1")

    assert ticket_rules.allowed(ticket, ALI) == {
        "claim": False, "assign": False, "transfer": True, "reply": True, "note": True,
        "handback": True, "close": True, "request_approval": True,
    }
    assert ticket_rules.allowed(ticket, SOFIA) == {
        "claim": False, "assign": True, "transfer": True, "reply": False, "note": True,
        "handback": False, "close": True, "request_approval": False,
    }
    assert ticket_rules.allowed(held_by(ALI), ALI)["request_approval"] is False  # nothing waiting to approve


def test_a_role_sees_no_button_on_a_queue_it_cannot_see() -> None:
    assert not any(ticket_rules.allowed(a_ticket(queue="senior"), ALI).values())


def test_a_closed_ticket_only_takes_notes() -> None:
    closed = replace(held_by(ALI), status="closed", outcome="resolved", closed_at=LATER)
    assert [name for name, can in ticket_rules.allowed(closed, ALI).items() if can] == ["note"]


# -- approvals: limits from the policy ------------------------------------------------------------


def test_the_shipped_policy_sets_100_1000_and_10000_dollar_limits(limits: ApprovalRules) -> None:
    assert dict(limits.limits_cents) == {"agent": 100_00, "senior": 1_000_00, "manager": 10_000_00}
    assert limits.top_limit_cents == 10_000_00


@pytest.mark.parametrize("user, dollars, why", [
    (ALI, 100, None),
    (ALI, 101, "$101.00 is above your $100.00 limit"),
    (SOFIA, 1_000, None),
    (SOFIA, 1_500, "$1,500.00 is above your $1,000.00 limit"),
    (MARIA, 10_000, None),
    (MARIA, 12_000, None),  # one of the two manager signatures
])
def test_each_role_approves_alone_up_to_its_limit(limits: ApprovalRules, user: User, dollars: int, why: Optional[str]) -> None:
    assert approval_rules.refusal(a_request(dollars), user, limits, handled_by=()) == why


def test_approving_within_the_limit_decides_the_request(limits: ApprovalRules) -> None:
    decision = approval_rules.approve(a_request(700), MARIA, limits, (), 1, LATER)

    after = decision.after
    assert decision.final and decision.event == "approval_approved"
    assert (after.status, after.decided_by, after.decided_at, after.approvers, after.version) == (
        "approved", "maria", LATER, ("maria",), 2)


def test_above_the_top_limit_two_different_managers_must_approve(limits: ApprovalRules) -> None:
    request = a_request(12_000)
    assert approval_rules.approvals_needed(request, limits) == 2
    assert approval_rules.approvals_needed(a_request(10_000), limits) == 1

    first = approval_rules.approve(request, MARIA, limits, (), 1, LATER)
    assert not first.final
    assert (first.event, first.after.status, first.after.approvers, first.after.decided_by) == (
        "approval_first_signature", "pending", ("maria",), None)

    with pytest.raises(Forbidden, match="you have already approved it: a second manager must approve too"):
        approval_rules.approve(first.after, MARIA, limits, (), 2, LATER)
    with pytest.raises(Forbidden, match=r"\$12,000.00 is above your \$1,000.00 limit"):
        approval_rules.approve(first.after, SOFIA, limits, (), 2, LATER)

    second = approval_rules.approve(first.after, DAVID, limits, (), 2, LATER)
    assert second.final
    assert (second.after.status, second.after.approvers, second.after.decided_by) == ("approved", ("maria", "david"), "david")


def test_nobody_approves_a_request_they_raised(limits: ApprovalRules) -> None:
    raised = a_request(300, raised_by="sofia")
    with pytest.raises(Forbidden, match="you raised this request: someone else must approve it"):
        approval_rules.approve(raised, SOFIA, limits, (), 1, LATER)
    assert approval_rules.refusal(raised, MARIA, limits, ()) is None


def test_nobody_approves_for_a_case_they_handled(limits: ApprovalRules) -> None:
    with pytest.raises(Forbidden, match="you handled this customer's case"):
        approval_rules.approve(a_request(700), MARIA, limits, {"maria", "ali"}, 1, LATER)
    assert approval_rules.refusal(a_request(700), DAVID, limits, {"maria", "ali"}) is None


def test_an_admin_reads_approvals_but_approves_nothing(limits: ApprovalRules) -> None:
    assert ADMIN.sees_approvals
    with pytest.raises(Forbidden, match=r"an admin approves nothing: an agent, a senior or a manager may approve \$50.00"):
        approval_rules.approve(a_request(50), ADMIN, limits, (), 1, LATER)
    with pytest.raises(Forbidden, match="an admin approves nothing: a senior or a manager may sign off an account closure"):
        approval_rules.approve(a_request(None, kind="close_account"), ADMIN, limits, (), 1, LATER)
    with pytest.raises(Forbidden, match="an admin approves nothing"):
        approval_rules.reject(a_request(None, kind="close_account"), ADMIN, limits, (), 1, "no", LATER)


def test_a_request_without_an_amount_needs_a_role_the_policy_names_for_its_kind(limits: ApprovalRules) -> None:
    closing = a_request(None, kind="close_account")
    assert limits.signers_of("close_account") == ("senior", "manager")
    assert approval_rules.refusal(closing, ALI, limits, ()) == (
        "an agent can't sign this off: a senior or a manager may sign off an account closure")
    assert approval_rules.refusal(closing, SOFIA, limits, ()) is None
    assert approval_rules.approvals_needed(closing, limits) == 1
    assert limits.queue_for("close_account", None) == "senior"


def test_naming_only_managers_for_account_closures_keeps_seniors_out(limits: ApprovalRules) -> None:
    managers_only = replace(limits, sign_off={**limits.sign_off, "close_account": ("manager",)})
    closing = a_request(None, kind="close_account")
    assert approval_rules.refusal(closing, SOFIA, managers_only, ()) == (
        "a senior can't sign this off: a manager may sign off an account closure")
    assert approval_rules.refusal(closing, MARIA, managers_only, ()) is None
    assert managers_only.queue_for("close_account", None) == "manager"


def test_a_role_the_limits_leave_out_approves_no_amount(limits: ApprovalRules) -> None:
    no_agents = replace(limits, limits_cents={"senior": 1_000_00, "manager": 10_000_00})
    assert approval_rules.refusal(a_request(50), ALI, no_agents, ()) == (
        "an agent has no approval limit: a senior or a manager may approve $50.00")


def test_deciding_an_old_version_is_a_conflict(limits: ApprovalRules) -> None:
    decided = approval_rules.approve(a_request(700), MARIA, limits, (), 1, LATER).after

    with pytest.raises(Conflict, match="changed since you opened it \\(now approved\\)"):
        approval_rules.approve(decided, DAVID, limits, (), 1, LATER)
    with pytest.raises(Forbidden, match="it is already approved"):
        approval_rules.reject(decided, DAVID, limits, (), decided.version, "too late", LATER)
    with pytest.raises(InboxError, match="version"):
        approval_rules.approve(a_request(700), MARIA, limits, (), None, LATER)


def test_a_rejection_needs_a_reason_the_customer_will_hear(limits: ApprovalRules) -> None:
    for blank in ("", "   "):
        with pytest.raises(InboxError, match="give a reason"):
            approval_rules.reject(a_request(700), MARIA, limits, (), 1, blank, LATER)

    decision = approval_rules.reject(a_request(700), MARIA, limits, (), 1, " used for three months ", LATER)

    assert decision.final
    assert (decision.after.status, decision.after.decision_reason, decision.after.decided_by) == (
        "rejected", "used for three months", "maria")


def test_a_modification_only_lowers_a_refund(limits: ApprovalRules) -> None:
    for higher_or_same in (700_00, 800_00):
        with pytest.raises(InboxError, match=r"lower than the \$700.00 asked for"):
            approval_rules.modify(a_request(700), MARIA, limits, (), 1, higher_or_same, "", LATER)
    for nothing in (None, 0):
        with pytest.raises(InboxError, match="give the new amount"):
            approval_rules.modify(a_request(700), MARIA, limits, (), 1, nothing, "", LATER)
    with pytest.raises(InboxError, match="only a refund's amount can be modified"):
        approval_rules.modify(a_request(None, kind="close_account"), MARIA, limits, (), 1, 100, "", LATER)

    decision = approval_rules.modify(a_request(700), MARIA, limits, (), 1, 450_00, "partial: box missing", LATER)

    assert (decision.after.status, decision.after.new_amount_cents, decision.after.decision_reason) == (
        "modified", 450_00, "partial: box missing")
    assert decision.detail == {"old_amount_cents": 700_00, "new_amount_cents": 450_00}


def test_the_buttons_and_the_reason_an_approver_cannot_decide(limits: ApprovalRules) -> None:
    assert approval_rules.allowed(a_request(1_500), SOFIA, limits, ()) == {
        "can": {"approve": False, "reject": False, "modify": False},
        "cannot_because": "$1,500.00 is above your $1,000.00 limit",
    }
    assert approval_rules.allowed(a_request(700), MARIA, limits, ()) == {
        "can": {"approve": True, "reject": True, "modify": True}, "cannot_because": None}
    assert approval_rules.allowed(a_request(None, kind="close_account"), MARIA, limits, ())["can"]["modify"] is False
    decided = a_request(700, status="approved", version=2)
    assert approval_rules.allowed(decided, MARIA, limits, ())["cannot_because"] is None  # nothing to explain any more


def waiting_with_the_agent(kind: str, dollars: Optional[int] = None, tier: str = "confirm", **changes: object) -> PendingAction:
    """An action held on the ticket for the person who has it (the customer asked for a person first)."""
    pending = PendingAction(id="p1", conversation_id="+15550100001", customer_id="C001",
                            request=ActionRequest(kind, "C001", {}), headline=f"{kind} for Jane", summary=f"{kind} for Jane",
                            outcome="handoff", tier=tier, reasons=(), policy_version="test", idempotency_key="k1",
                            digest="d1", stage=Stage.WITH_AGENT, created_at=T0, expires_at=LATER,
                            amount_cents=None if dollars is None else dollars * 100)
    return replace(pending, **changes)


def retention_desk(policy: RiskPolicy, *roles: str) -> RiskPolicy:
    """Cancellations always go to a person, and the policy names who may sign them off."""
    approvals = replace(policy.approvals, sign_off={**policy.approvals.sign_off, "cancel_subscription": roles})
    return replace(policy, actions={**policy.actions, "cancel_subscription": "handoff"}, approvals=approvals)


def test_an_admin_cannot_hand_back_approved_on_any_waiting_action(policy: RiskPolicy) -> None:
    anyone = retention_desk(policy, "agent", "senior", "manager")
    for pending in (waiting_with_the_agent("cancel_subscription"), waiting_with_the_agent("change_address"),
                    waiting_with_the_agent("refund", 20),
                    waiting_with_the_agent("change_address", claimed_at=T0)):  # not even a re-run of an unconfirmed one
        refused = sign_off.hand_back_refusal(ADMIN, pending, anyone)
        assert isinstance(refused, Forbidden) and refused.message.startswith("an admin approves nothing: ")
    refused = sign_off.hand_back_refusal(ADMIN, waiting_with_the_agent("cancel_subscription"), retention_desk(policy, "senior"))
    assert refused is not None and refused.message == (
        "an admin approves nothing: a senior may sign off a subscription cancellation; use Request approval")


def test_a_cancellation_at_hand_back_needs_a_role_the_policy_names(policy: RiskPolicy) -> None:
    cancelling = waiting_with_the_agent("cancel_subscription")
    seniors = retention_desk(policy, "senior", "manager")
    refused = sign_off.hand_back_refusal(ALI, cancelling, seniors)
    assert isinstance(refused, Forbidden)
    assert refused.message == ("an agent can't sign this off: a senior or a manager may sign off a subscription "
                               "cancellation; use Request approval")
    assert sign_off.hand_back_refusal(SOFIA, cancelling, seniors) is None

    agents_too = retention_desk(policy, "agent", "senior", "manager")
    assert sign_off.hand_back_refusal(ALI, cancelling, agents_too) is None

    nobody = retention_desk(policy)
    refused = sign_off.hand_back_refusal(MARIA, cancelling, nobody)
    assert isinstance(refused, Forbidden) and refused.message == (
        "a manager can't sign this off: nobody in the inbox may sign off a subscription cancellation (the policy "
        "names no role); hand back with 'continue' so the customer confirms it")


def test_a_refund_at_hand_back_keeps_the_amount_limits(policy: RiskPolicy) -> None:
    assert sign_off.hand_back_refusal(ALI, waiting_with_the_agent("refund", 100), policy) is None
    refused = sign_off.hand_back_refusal(ALI, waiting_with_the_agent("refund", 300), policy)
    assert isinstance(refused, Forbidden) and refused.message == "$300.00 is above your $100.00 limit; use Request approval"
    refused = sign_off.hand_back_refusal(MARIA, waiting_with_the_agent("refund", 12_000), policy)
    assert isinstance(refused, Forbidden)  # one person can't give both manager signatures


def test_an_action_behind_a_code_or_four_eyes_is_not_signed_off_at_hand_back_by_anyone(policy: RiskPolicy) -> None:
    code = sign_off.hand_back_refusal(MARIA, waiting_with_the_agent("cancel_subscription", tier="destructive"), policy)
    assert type(code) is InboxError and "needs the customer's one-time code" in code.message
    four_eyes = sign_off.hand_back_refusal(MARIA, waiting_with_the_agent("refund", 700, outcome="approval"), policy)
    assert type(four_eyes) is InboxError and "use Request approval" in four_eyes.message


# -- approvals: the timer -------------------------------------------------------------------------


def test_an_undecided_request_is_escalated_to_managers_once_then_expires(limits: ApprovalRules) -> None:
    request = a_request(700, queue="senior")
    assert next_approval_step(request.requested_at, request.escalated, limits) == TimerStep("escalate", T0 + timedelta(hours=4))

    escalated = approval_rules.escalate(request)
    assert escalated is not None
    assert (escalated.after.queue, escalated.after.escalated, escalated.after.version) == (request.queue, True, 2)
    assert escalated.detail == {"queue": "senior"}
    assert approval_rules.escalate(escalated.after) is None
    assert next_approval_step(T0, True, limits) == TimerStep("expire", T0 + timedelta(hours=24))

    expired = approval_rules.expire(escalated.after, T0 + timedelta(hours=24))
    assert expired is not None and expired.final
    assert (expired.after.status, expired.after.decided_by, expired.after.version) == ("expired", "timer", 3)
    assert approval_rules.expire(expired.after, T0 + timedelta(hours=25)) is None


def test_a_decided_request_neither_escalates_nor_expires(limits: ApprovalRules) -> None:
    decided = approval_rules.approve(a_request(700), MARIA, limits, (), 1, LATER).after
    assert approval_rules.escalate(decided) is None
    assert approval_rules.expire(decided, T0 + timedelta(days=2)) is None


# -- service levels -------------------------------------------------------------------------------


@pytest.mark.parametrize("priority, minutes", [("urgent", 5), ("high", 15), ("normal", 60)])
def test_a_waiting_ticket_must_be_claimed_within_its_prioritys_time(inbox: InboxRules, priority: str, minutes: int) -> None:
    assert deadline(a_ticket(priority=priority), inbox) == Deadline("claim", T0 + timedelta(minutes=minutes))


def test_the_claim_clock_restarts_when_a_ticket_enters_a_new_queue(inbox: InboxRules) -> None:
    transferred = ticket_rules.transfer(held_by(ALI), ALI, "senior", "needs a senior", LATER, QUEUES).after
    assert deadline(transferred, inbox) == Deadline("claim", LATER + timedelta(hours=1))


@pytest.mark.parametrize("priority, minutes", [("urgent", 5), ("high", 15), ("normal", 30)])
def test_a_claimed_ticket_must_be_answered_within_the_reply_time_of_the_claim(inbox: InboxRules, priority: str, minutes: int) -> None:
    assert deadline(held_by(ALI, priority=priority), inbox) == Deadline("reply", T0 + timedelta(minutes=minutes))


def test_the_reply_clock_runs_from_the_oldest_unanswered_customer_message(inbox: InboxRules) -> None:
    replied_at, customer_wrote = T0 + timedelta(minutes=3), T0 + timedelta(minutes=10)

    waiting = held_by(ALI, last_agent_at=replied_at, last_customer_at=customer_wrote)
    answered = held_by(ALI, last_agent_at=customer_wrote, last_customer_at=replied_at)

    assert deadline(waiting, inbox) == Deadline("reply", customer_wrote + timedelta(minutes=30))
    assert deadline(answered, inbox) is None
    assert deadline(replace(answered, status="closed"), inbox) is None


def test_a_deadline_shows_the_time_left_and_whether_it_was_missed() -> None:
    due = Deadline("claim", T0 + timedelta(minutes=5))
    assert due.to_dict(T0) == {"kind": "claim", "due_at": "2026-11-21T12:05:00+00:00", "seconds_left": 300, "breached": False}
    assert due.to_dict(T0 + timedelta(minutes=6))["breached"] is True


def test_an_unclaimed_ticket_escalates_up_the_queues_and_is_flagged_overdue_once_at_the_top(inbox: InboxRules) -> None:
    due = T0 + timedelta(hours=1)
    assert next_ticket_step(a_ticket(queue="agent"), inbox) == TimerStep("escalate", due)
    assert next_ticket_step(a_ticket(queue="senior"), inbox) == TimerStep("escalate", due)
    assert next_ticket_step(a_ticket(queue="manager"), inbox) == TimerStep("overdue", due)
    assert next_ticket_step(a_ticket(queue="manager", overdue_for=due), inbox) is None


def test_the_assignee_is_reminded_once_then_an_unanswered_customer_goes_to_the_backup_queue(inbox: InboxRules) -> None:
    due = T0 + timedelta(minutes=30)
    assert next_ticket_step(held_by(ALI), inbox) == TimerStep("remind", due - timedelta(minutes=2))
    assert next_ticket_step(held_by(ALI, reminded_for=due), inbox) == TimerStep("escalate", due)
    at_the_top = held_by(MARIA, queue="manager", reminded_for=due)
    assert next_ticket_step(at_the_top, inbox) == TimerStep("overdue", due)
    assert next_ticket_step(replace(at_the_top, overdue_for=due), inbox) is None
    answered = held_by(ALI, last_agent_at=LATER)
    assert next_ticket_step(answered, inbox) is None


@pytest.mark.parametrize("conversation, wrote_from, offered", [
    ("customer-C001", set(), ("webchat", "sms")),  # the phone on file takes SMS; WhatsApp only once she wrote from it
    ("customer-C001", {"whatsapp"}, ("webchat", "sms", "whatsapp")),
    ("visitor-" + "a" * 32, {"whatsapp"}, ("whatsapp",)),  # a stranger on WhatsApp: no number on file for SMS
    ("visitor-" + "b" * 32, {"sms", "whatsapp"}, ("sms", "whatsapp")),
    ("visitor-" + "c" * 32, set(), ("webchat",)),  # a web chat guest
])
def test_a_person_is_offered_only_the_channels_the_customer_can_be_reached_on(
        conversation: str, wrote_from: set, offered: tuple) -> None:
    assert ticket_rules.reachable_by(conversation, wrote_from) == offered
