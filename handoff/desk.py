"""The inbox's use cases: what a person's click does, start to finish.

Each method checks the rules (``handoff.domain``), stores the change as a compare-and-set
together with its audit record, feed event and deliveries (``handoff.store``), and, for a
sign-off, runs the action through the assistant's one executor (``SignOff.commit``) under the
idempotency key minted when the action was proposed, so it runs once however many people
click and whatever timer fires at the same moment.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any, Dict, List, Optional

from actions.domain.evidence import RECOMMENDATIONS
from actions.domain.approval import Approval, new_approval
from actions.domain.audit import AuditEntry
from actions.domain.money import AmountError, format_cents, parse_amount
from actions.domain.pending import PendingAction, Stage
from actions.domain.policy import QUEUES
from actions.domain.services import Services
from actions.domain.signoff import OutcomeUnknown, SignOff
from actions.domain.staff_words import stage_words, why_in_words
from actions.domain.ticket import Ticket, new_ticket
from handoff.domain import approvals as approval_rules
from handoff.domain import sign_off
from handoff.domain import tickets as ticket_rules
from handoff.domain.approvals import Decision
from handoff.domain.errors import Conflict, Forbidden, InboxError, NotFound
from handoff.domain.people import User
from handoff.domain.sla import deadline
from handoff.domain.tickets import Change
from handoff.store import InboxStore, Outgoing
from handoff.views import (
    account_view,
    approval_card,
    context_of,
    evidence_view,
    row_words,
)

#: What the bot runs when people hand a conversation back, or a manager decides.
HANDBACK_ACTION = "action_handback"
APPROVAL_ACTION = "action_approval_decided"


def actor(user: User) -> str:
    return f"{user.role.value}:{user.username}"


def bot_runs(action: str) -> Outgoing:
    return Outgoing("trigger", {"action": action})


class Desk:
    def __init__(self, store: InboxStore, services: Services) -> None:
        self.store = store
        self.s = services
        self.signoff = SignOff(services)

    @property
    def now(self):  # noqa: ANN201 - a datetime; the clock is the assistant's
        return self.s.clock.now()

    # -- reading --------------------------------------------------------------------------------

    def ticket(self, user: User, ticket_id: str) -> Ticket:
        ticket = self.store.ticket(ticket_id)
        if ticket is None:
            raise NotFound(f"there is no ticket {ticket_id}")
        if not user.sees(ticket.queue):
            raise Forbidden(f"ticket {ticket.ref} is in the {ticket.queue} queue, which {user.role.with_article} can't see")
        return ticket

    def ticket_list(self, user: User, active: bool) -> List[Dict[str, Any]]:
        tickets = self.store.tickets(active, user.queues)
        if active:
            tickets.sort(key=ticket_rules.urgency)
        counts = self.store.unanswered([t.id for t in tickets])
        return [self._item(t, counts.get(t.id, (0, None))) for t in tickets]

    def ticket_view(self, user: User, ticket_id: str) -> Dict[str, Any]:
        ticket = self.ticket(user, ticket_id)
        messages = self.store.messages(ticket.id)
        counts = self.store.unanswered([ticket.id])
        pending = self.s.pendings.get(ticket.pending_id) if ticket.pending_id else None
        approval = self.s.approvals.for_pending(ticket.pending_id) if ticket.pending_id else None
        can = ticket_rules.allowed(ticket, user)
        waiting = pending if can["handback"] and pending and pending.stage is Stage.WITH_AGENT else None
        refused = sign_off.hand_back_refusal(user, waiting, self.s.policy) if waiting else None
        evidence = ticket.evidence or {}
        return {
            **self._item(ticket, counts.get(ticket.id, (0, None))),
            "evidence": evidence_view(evidence, evidence.get("reasons") or ticket.reasons, ticket.topic),
            "account": account_view(self.s, ticket.customer_id, evidence, ticket.created_at, self.now),
            "messages": [m.to_dict() for m in messages],
            "pending_action": _pending_view(pending) if pending else None,
            # the request's card, for those who may decide it; others see the pending action only
            "approval": self._approval_item(user, self._approval_of(approval.id), with_evidence=True)
            if approval and user.sees_approvals and user.sees(approval.queue) else None,
            "outcome": ticket.outcome,
            "resolution": ticket.resolution,
            # the hand-back offers "approved" only to someone who may sign the waiting action off
            "can": {**can, "handback_approved": bool(waiting) and refused is None},
            "cannot_approve_because": refused.message if refused else None,
        }

    def _item(self, ticket: Ticket, unanswered: tuple) -> Dict[str, Any]:
        count, latest = unanswered
        customer = (ticket.evidence or {}).get("customer") or None
        sla = deadline(ticket, self.s.policy.inbox)
        now = self.now
        return {
            "id": ticket.id, "ref": ticket.ref, "conversation_id": ticket.conversation_id,
            "customer": {"id": customer.get("id"), "name": customer.get("name")} if customer else None,
            "topic": ticket.topic, "priority": ticket.priority, "queue": ticket.queue, "status": ticket.status,
            "assignee": ticket.assignee, "channel": (ticket.evidence or {}).get("channel"),
            "created_at": ticket.created_at.isoformat(),
            "waiting_seconds": int(((ticket.closed_at or now) - ticket.created_at).total_seconds()),
            "sla": sla.to_dict(now) if sla and ticket.active else None,
            "summary": (ticket.evidence or {}).get("summary", ""),
            **row_words(ticket.evidence or {}, ticket.reasons, ticket.topic),
            "last_customer_message": {"text": latest.text, "at": latest.at.isoformat()} if latest else None,
            "unanswered": count,
            "version": ticket.version,
        }

    # -- working a ticket -----------------------------------------------------------------------

    def claim(self, user: User, ticket_id: str, version: Optional[int]) -> None:
        ticket = self.ticket(user, ticket_id)
        ticket_rules.expect_version(ticket, version)
        self._apply(user, ticket_rules.claim(ticket, user, self.now), feed="claimed")

    def assign(self, user: User, ticket_id: str, version: Optional[int], username: str) -> None:
        ticket = self.ticket(user, ticket_id)
        ticket_rules.expect_version(ticket, version)
        found = self.store.user(username or "")
        if found is None:
            raise InboxError(f"there is no active user {username!r}")
        self._apply(user, ticket_rules.assign(ticket, user, found[0], self.now), feed="claimed")

    def transfer(self, user: User, ticket_id: str, version: Optional[int], queue: str, note: str) -> None:
        ticket = self.ticket(user, ticket_id)
        ticket_rules.expect_version(ticket, version)
        change = ticket_rules.transfer(ticket, user, queue, note, self.now, QUEUES)
        self._apply(user, change, message=("system", user.username, f"Transferred to the {queue} queue" + (f": {note}" if note else "")))

    def note(self, user: User, ticket_id: str, text: str) -> None:
        ticket = self.ticket(user, ticket_id)
        text = ticket_rules.check_note(ticket, user, text)
        self.store.add_note(ticket, "note", user.username, text, self._audit(user, "note_added", ticket))

    def reply(self, user: User, ticket_id: str, text: str) -> None:
        for _ in range(3):  # a reply does not depend on the version: retry if a timer moved it meanwhile
            ticket = self.ticket(user, ticket_id)
            text = ticket_rules.check_reply(ticket, user, text)
            change = ticket_rules.replied(ticket, self.now)
            audit = self._audit(user, "agent_replied", ticket, chars=len(text))
            payload = {"text": text, "agent": user.username, "agent_name": user.name}
            if self.store.apply(change, audit, message=("agent", user.username, text),
                                outgoing=[Outgoing("say", payload)], feed="message"):
                return
        raise Conflict("the ticket keeps changing; reload it and send the reply again")

    def retry(self, user: User, message_id: int) -> None:
        message = self.store.message(message_id)
        if message is None:
            raise NotFound(f"there is no message {message_id}")
        ticket = self.ticket(user, message.ticket_id)
        if message.kind != "agent" or message.author != user.username:
            raise Forbidden("only the person who wrote a reply can send it again")
        if not ticket.active:
            raise InboxError(f"ticket {ticket.ref} is closed and the bot has the conversation again; "
                             "the reply is not sent any more")
        if not self.store.retry_message(message_id, self.now):
            raise InboxError("only a reply that failed to deliver can be sent again")
        self.s.audit.append(self._audit(user, "reply_retried", ticket, message_id=message_id))

    def request_approval(self, user: User, ticket_id: str, version: Optional[int], note: str) -> None:
        """The person holding the case asks a senior or manager to sign off the waiting action."""
        ticket = self.ticket(user, ticket_id)
        ticket_rules.expect_version(ticket, version)
        if ticket.assignee != user.username or not ticket.active:
            raise Forbidden(f"only the person who has ticket {ticket.ref} can send its action for approval")
        pending = self._waiting_action(ticket)
        if not self.s.pendings.move(pending.id, (Stage.WITH_AGENT,), Stage.APPROVAL):
            raise Conflict("the waiting action changed in the meantime; reload the ticket")
        request = new_approval(self.s.policy.approvals, pending, id=self.s.make_id(), at=self.now,
                               evidence=ticket.evidence, raised_by=user.username,
                               reasons=(f"raised_by_agent: {note.strip()}",) if note.strip() else ())
        self.s.approvals.add(request)
        self.store.add_note(ticket, "system", user.username, f"Sent for approval ({request.queue} queue): {pending.headline}",
                            self._audit(user, "approval_requested", ticket, pending=pending, approval_id=request.id))

    def hand_back(self, user: User, ticket_id: str, version: Optional[int], outcome: str, note: str) -> None:
        ticket = self.ticket(user, ticket_id)
        ticket_rules.expect_version(ticket, version)
        change = ticket_rules.hand_back(ticket, user, outcome, note, self.now)
        pending = self.s.pendings.get(ticket.pending_id) if ticket.pending_id else None
        if outcome == "approved":
            self._may_sign_off(user, self._waiting_action(ticket))
        else:
            _not_while_unconfirmed(pending, outcome)
        if outcome != "approved":
            self._apply(user, change, outgoing=[bot_runs(HANDBACK_ACTION)])
        else:
            # the bot's news is queued only once the action has run, so it can say how it went
            self._apply(user, change)
            try:
                if pending and pending.stage is Stage.WITH_AGENT:
                    self._run(pending, actor(user))
            finally:
                self.store.enqueue(ticket.conversation_id, bot_runs(HANDBACK_ACTION), self.now)
        if pending and pending.stage is Stage.WITH_AGENT:
            if outcome in ("rejected", "resolved"):
                if self.s.pendings.move(pending.id, (Stage.WITH_AGENT,), Stage.CANCELLED):
                    self.s.record(f"pending_{outcome}_by_person", pending.conversation_id, actor=actor(user),
                                  pending=pending, note=note or None)

    def close(self, user: User, ticket_id: str, version: Optional[int], resolution: str) -> None:
        ticket = self.ticket(user, ticket_id)
        ticket_rules.expect_version(ticket, version)
        pending = self.s.pendings.get(ticket.pending_id) if ticket.pending_id else None
        _not_while_unconfirmed(pending, "close")
        self._apply(user, ticket_rules.close(ticket, user, resolution, self.now))
        if pending and self.s.pendings.move(pending.id, (Stage.WITH_AGENT,), Stage.CANCELLED):
            self.s.record("pending_closed_by_person", pending.conversation_id, actor=actor(user), pending=pending)

    def _waiting_action(self, ticket: Ticket) -> PendingAction:
        pending = self.s.pendings.get(ticket.pending_id) if ticket.pending_id else None
        if pending is None or pending.stage is not Stage.WITH_AGENT:
            raise InboxError(f"ticket {ticket.ref} has no action waiting for a person")
        return pending

    def _may_sign_off(self, user: User, pending: PendingAction) -> None:
        """A person handling the case may sign off what the customer could have confirmed, if the
        policy lets their role sign off that action (see ``sign_off``); a refusal is on record."""
        refused = sign_off.hand_back_refusal(user, pending, self.s.policy)
        if isinstance(refused, Forbidden):
            self.s.record("sign_off_refused", pending.conversation_id, actor=actor(user), pending=pending,
                          why=refused.message)
        if refused:
            raise refused

    def _apply(self, user: User, change: Change, message: Optional[tuple] = None,
               outgoing: tuple | list = (), feed: str = "updated") -> None:
        audit = self._audit(user, change.event, change.before, **change.detail)
        if not self.store.apply(change, audit, message=message, outgoing=outgoing, feed=feed):
            current = self.store.ticket(change.before.id)
            raise Conflict(f"ticket {change.before.ref} changed while you were acting on it"
                           f"{f' (now with {current.assignee})' if current and current.assignee else ''}; reload and look again")

    def _audit(self, user: User, event: str, ticket: Ticket, pending: Optional[PendingAction] = None,
               **detail: Any) -> AuditEntry:
        return self.s.ticket_entry(event, ticket, actor=actor(user), pending=pending, **detail)

    # -- approvals ------------------------------------------------------------------------------

    def approval(self, user: User, approval_id: str) -> Approval:
        if not user.sees_approvals:
            raise Forbidden("approvals are for seniors and managers")
        approval = self.store.approval(approval_id)
        if approval is None:
            raise NotFound(f"there is no approval request {approval_id}")
        if not user.sees(approval.queue):
            raise Forbidden(f"request {approval.ref} is in the {approval.queue} approvals, which a {user.role.value} can't see")
        return approval

    def approval_list(self, user: User, pending: bool) -> List[Dict[str, Any]]:
        if not user.sees_approvals:
            raise Forbidden("approvals are for seniors and managers")
        return [self._approval_item(user, a) for a in self.store.approvals(pending) if user.sees(a.queue)]

    def approval_view(self, user: User, approval_id: str) -> Dict[str, Any]:
        return self._approval_item(user, self.approval(user, approval_id), with_evidence=True)

    def _approval_of(self, approval_id: str) -> Approval:
        approval = self.store.approval(approval_id)
        assert approval is not None, f"approval {approval_id} vanished"
        return approval

    def _approval_item(self, user: User, approval: Approval, with_evidence: bool = False) -> Dict[str, Any]:
        rules = self.s.policy.approvals
        pending = self.s.pendings.get(approval.pending_id)
        ticket = self.store.latest_ticket(approval.conversation_id)
        evidence = dict(approval.evidence) or (dict(ticket.evidence) if ticket else {})
        customer = evidence.get("customer") or {"id": approval.customer_id, "name": None}
        due = approval.requested_at + rules.decide_within
        item = {
            "id": approval.id, "ref": approval.ref, "status": approval.status, "queue": approval.queue,
            "kind": approval.kind, "amount_cents": approval.amount_cents,
            "amount": format_cents(approval.amount_cents) if approval.amount_cents is not None else None,
            "headline": pending.headline if pending else approval.summary, "summary": approval.summary,
            "why": why_in_words(approval.reasons, context_of(evidence, None)),
            "customer": {"id": customer.get("id"), "name": customer.get("name")},
            "conversation_id": approval.conversation_id, "requested_at": approval.requested_at.isoformat(),
            "raised_by": approval.raised_by, "due_at": due.isoformat(),
            "seconds_left": int((due - self.now).total_seconds()),
            "needs": approval_rules.approvals_needed(approval, rules), "approvals": list(approval.approvers),
            "decided_by": approval.decided_by, "decided_at": approval.decided_at.isoformat() if approval.decided_at else None,
            "decision_reason": approval.decision_reason, "result": approval.result, "version": approval.version,
            "ticket_id": ticket.id if ticket else None,
            **approval_rules.allowed(approval, user, rules, self.store.handled_by(approval.conversation_id)),
        }
        if with_evidence:
            item.update(approval_card(self.store, self.s, approval, pending, evidence, self.now))
        return item

    def _deciding(self, user: User, approval_id: str) -> Approval:
        """The request a person is about to decide; an attempt outside their queues is refused on record."""
        try:
            return self.approval(user, approval_id)
        except Forbidden as refused:
            approval = self.store.approval(approval_id)
            if approval is not None:
                self._refused(user, approval, refused)
            raise

    def _refused(self, user: User, approval: Approval, refused: Forbidden) -> None:
        self.s.audit.append(self.s.approval_entry("approval_refused", approval, actor=actor(user), why=refused.message))

    def approve(self, user: User, approval_id: str, version: Optional[int]) -> None:
        approval = self._deciding(user, approval_id)
        decision = self._decide(user, approval, lambda handled: approval_rules.approve(
            approval, user, self.s.policy.approvals, handled, version, self.now))
        if decision.final:
            self._execute(user, decision.after)

    def reject(self, user: User, approval_id: str, version: Optional[int], reason: str) -> None:
        approval = self._deciding(user, approval_id)
        decision = self._decide(user, approval, lambda handled: approval_rules.reject(
            approval, user, self.s.policy.approvals, handled, version, reason, self.now),
            outgoing=[bot_runs(APPROVAL_ACTION)])
        self._settle_pending(decision, Stage.CANCELLED, actor(user))
        self._tell_people(decision.after, f"Request {approval.ref} rejected by {user.username}: {decision.after.decision_reason}")

    def modify(self, user: User, approval_id: str, version: Optional[int], amount: str, reason: str) -> None:
        approval = self._deciding(user, approval_id)
        try:
            new_cents = parse_amount(amount) if (amount or "").strip() else None
        except AmountError as refused:
            raise InboxError(refused.message) from None
        decision = self._decide(user, approval, lambda handled: approval_rules.modify(
            approval, user, self.s.policy.approvals, handled, version, new_cents, reason, self.now),
            outgoing=[bot_runs(APPROVAL_ACTION)])
        self._settle_pending(decision, Stage.CANCELLED, actor(user))
        self._tell_people(decision.after, f"Request {approval.ref} modified by {user.username} to "
                                          f"{format_cents(decision.after.new_amount_cents or 0)}: the customer confirms it again")

    def expire(self, approval_id: str, seen_version: int) -> bool:
        """The decision deadline passed: nothing runs, the customer is told. A no-op if it moved on."""
        approval = self.store.approval(approval_id)
        if approval is None or approval.version != seen_version:
            return False
        decision = approval_rules.expire(approval, self.now)
        if decision is None or not self.store.decide(decision, self._approval_audit("timer", decision),
                                                     outgoing=[bot_runs(APPROVAL_ACTION)]):
            return False
        self._settle_pending(decision, Stage.EXPIRED, "timer")
        self._tell_people(decision.after, f"Request {approval.ref} lapsed undecided: nothing was done")
        return True

    def escalate_approval(self, approval_id: str, seen_version: int) -> bool:
        approval = self.store.approval(approval_id)
        if approval is None or approval.version != seen_version:
            return False
        decision = approval_rules.escalate(approval)
        return bool(decision and self.store.decide(decision, self._approval_audit("timer", decision)))

    def _decide(self, user: User, approval: Approval, rule, outgoing: list | tuple = ()) -> Decision:
        try:
            decision = rule(self.store.handled_by(approval.conversation_id))
        except Forbidden as refused:
            self._refused(user, approval, refused)
            raise
        if not self.store.decide(decision, self._approval_audit(actor(user), decision), outgoing=outgoing):
            current = self.store.approval(approval.id)
            raise Conflict(f"request {approval.ref} was decided or changed by someone else"
                           f"{f' (now {current.status})' if current else ''}; reload and look again")
        return decision

    def _execute(self, user: User, approval: Approval) -> None:
        pending = self.s.pendings.get(approval.pending_id)
        if pending is not None:
            self._execute_as(actor(user), approval, pending)

    def _execute_as(self, who: str, approval: Approval, pending: PendingAction) -> None:
        result = self._run(pending, who)
        self.store.record_result(approval.id, result, [bot_runs(APPROVAL_ACTION)], self.now)
        self._tell_people(approval, f"Request {approval.ref} approved by {approval.decided_by}: {result}")

    def _tell_people(self, approval: Approval, text: str) -> None:
        """If people have the conversation, the decision goes on their ticket (the bot stays silent)."""
        open_ticket = self.s.handoffs.open_for(approval.conversation_id)
        ticket = self.store.ticket(open_ticket.id) if open_ticket else None
        if ticket is not None:
            self.store.add_note(ticket, "system", None, text, self.s.ticket_entry(
                "decision_passed_to_ticket", ticket, actor="system", pending_id=approval.pending_id,
                approval_id=approval.id))

    def resume(self, settle_for: timedelta = timedelta(minutes=1)) -> int:
        """Finish sign-offs a crash or an error interrupted; returns how many were picked up.

        An approval recorded as approved with no result, and a ticket handed back as approved
        whose customer was never told, are older than ``settle_for`` only if the click that
        made them did not finish. Running them again is safe: the executor claims the action by
        compare-and-set and the business runs it under its idempotency key.
        """
        before = self.now - settle_for
        picked = 0
        for approval in self.store.approved_without_result(before):
            pending = self.s.pendings.get(approval.pending_id)
            if pending is not None:
                self._execute_as("system", approval, pending)
                picked += 1
        for ticket in self.store.approved_handbacks_untold(before):
            pending = self.s.pendings.get(ticket.pending_id) if ticket.pending_id else None
            if pending is not None and pending.stage is Stage.WITH_AGENT:
                self._run(pending, "system")
            if not self.store.delivery_waiting(ticket.conversation_id):
                self.store.enqueue(ticket.conversation_id, bot_runs(HANDBACK_ACTION), self.now)
            picked += 1
        return picked

    def _run(self, pending: PendingAction, who: str) -> str:
        """Execute once through the assistant's executor; an unconfirmed outcome goes to a person."""
        try:
            return " ".join(self.signoff.commit(pending.id, pending.digest, actor=who))
        except OutcomeUnknown as unknown:
            self._check_by_a_person(unknown)
            return ("Our account system didn't confirm whether it went through, so a specialist is checking it now. "
                    "It will not be done twice, and you don't need to ask again.")

    def _check_by_a_person(self, unknown: OutcomeUnknown) -> None:
        """An urgent ticket under the same idempotency key, as the assistant raises for its own runs.

        If people already have the conversation it is noted on their ticket too; the customer
        keeps talking to them (their ticket is the conversation's oldest open one).
        """
        pending = self.s.pendings.get(unknown.pending.id) or unknown.pending
        detail = f"the business did not confirm '{pending.headline}' ({unknown.detail})"
        reason = f"execution_unconfirmed: {detail}"
        talking = self.s.handoffs.open_for(pending.conversation_id)
        ticket = self.store.ticket(talking.id) if talking else None
        if ticket is not None:
            self.store.add_note(ticket, "system", None, f"URGENT: {detail}. A separate urgent ticket checks it.",
                                self.s.ticket_entry("execution_unconfirmed_noted", ticket, actor="system",
                                                    pending_id=pending.id))
        topic = "execution_unconfirmed"
        request = new_ticket(
            self.s.policy.inbox, id=self.s.make_id(), conversation_id=pending.conversation_id,
            customer_id=pending.customer_id, topic=topic, priority="urgent", reasons=(reason,),
            pending_id=pending.id, at=self.now,
            evidence={"summary": f"Signed off in the inbox, but the business did not confirm it ran: {pending.headline}.\n"
                                 f"Check the order system; retry only by approving this ticket (same idempotency key "
                                 f"{pending.idempotency_key}).",
                      "reasons": [reason], "recommendation": RECOMMENDATIONS[topic]},
        )
        self.s.handoffs.add(request)
        self.s.record("handoff_requested", pending.conversation_id, actor="system", pending=pending,
                      handoff_id=request.id, priority="urgent", topic=topic)

    def _settle_pending(self, decision: Decision, stage: Stage, who: str) -> None:
        pending = self.s.pendings.get(decision.after.pending_id)
        if pending and self.s.pendings.move(pending.id, (Stage.APPROVAL,), stage):
            self.s.record(f"pending_{decision.after.status}", pending.conversation_id, actor=who, pending=pending,
                          approval_id=decision.after.id)

    def _approval_audit(self, who: str, decision: Decision) -> AuditEntry:
        return self.s.approval_entry(decision.event, decision.before, actor=who,
                                     amount_cents=decision.before.amount_cents, **decision.detail)


def _not_while_unconfirmed(pending: Optional[PendingAction], doing: str) -> None:
    """An action whose run the business did not confirm may have happened: only a re-run under
    its own key (approve) tells, so nothing may cancel it or hand it back to the customer."""
    if pending is not None and pending.stage is Stage.WITH_AGENT and pending.claimed_at is not None:
        what = {"resolved": "mark it resolved", "rejected": "reject it", "continue": "hand it back to continue",
                "close": "close the ticket"}.get(doing, doing)
        raise InboxError(f"can't {what} while the waiting action may already have run (its outcome was never "
                         "confirmed): hand back with 'approved', which re-runs it safely under the same key "
                         "and says whether it had gone through")


def _pending_view(pending: PendingAction) -> Dict[str, Any]:
    return {"id": pending.id, "headline": pending.headline, "summary": pending.summary, "stage": pending.stage.value,
            "stage_words": stage_words(pending.stage.value), "kind": pending.request.kind, "amount_cents": pending.amount_cents,
            "amount": format_cents(pending.amount_cents) if pending.amount_cents is not None else None,
            "result": pending.result_message}
