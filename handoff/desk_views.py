"""The JSON the inbox's API answers with: queue rows, a ticket with its case, an approval card.

Each view shows only what the person may see, and says what they may do now (the page shows
only those buttons); the words of a case come from ``handoff.views``.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional

from actions.domain.approval import Approval
from actions.domain.closed_search import ClosedQuery
from actions.domain.money import format_cents
from actions.domain.pending import PendingAction, Stage
from actions.domain.sessions import is_visitor
from actions.domain.staff_words import stage_words, why_in_words
from actions.domain.ticket import Ticket
from actions.store.channel_addresses import SqlChannelAddresses
from handoff.approval_service import ApprovalService
from handoff.domain import approvals as approval_rules
from handoff.domain.call_controls import may_hold
from handoff.domain import sign_off
from handoff.domain import tickets as ticket_rules
from handoff.domain.errors import Forbidden
from handoff.domain.people import User
from handoff.domain.sla import deadline
from handoff.domain.transfer_records import state_in_words
from handoff.ticket_service import TicketService
from handoff.transfers import SqlTransfers
from handoff.views import account_view, approval_card, context_of, evidence_view, row_words


class DeskViews(TicketService, ApprovalService):
    def ticket_list(self, user: User, active: bool) -> List[Dict[str, Any]]:
        tickets = self.store.tickets(active, user.queues)
        if active:
            tickets.sort(key=ticket_rules.urgency)
        return self._items(tickets)

    def closed_list(self, user: User, query: ClosedQuery) -> Dict[str, Any]:
        """A page of the closed tickets this person's queues hold that match ``query``, newest first;
        ``next`` is the cursor of the page after it (None on the last page)."""
        tickets, after = self.store.closed_tickets(user.queues, query)
        return {"tickets": self._items(tickets), "next": after.encode() if after else None}

    def _items(self, tickets: List[Ticket]) -> List[Dict[str, Any]]:
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
            "reply_channels": list(self.reply_channels(ticket)),
            "call": self._call(ticket, user),
        }

    def _call(self, ticket: Ticket, user: User) -> Optional[Dict[str, Any]]:
        """The ticket's phone call handed to people, if any: its state in words, the phones rung,
        the caller's call SID (the link between the call and the ticket), and whether this person
        may put the caller on hold or take them off it now."""
        transfer = SqlTransfers(self.store.engine).for_ticket(ticket.id)
        if transfer is None:
            return None
        legs = SqlTransfers(self.store.engine).legs(transfer.id)
        names = {u.username: u.name for u in self.store.users()}
        return {**transfer.to_dict(), "words": state_in_words(transfer, legs, names),
                "legs": [{**leg.to_dict(), "name": names.get(leg.username, leg.username)} for leg in legs],
                "can": may_hold(ticket, transfer, user)}

    def _item(self, ticket: Ticket, unanswered: tuple) -> Dict[str, Any]:
        count, latest = unanswered
        customer = (ticket.evidence or {}).get("customer") or None
        sla = deadline(ticket, self.s.policy.inbox)
        now = self.now
        return {
            "id": ticket.id, "ref": ticket.ref, "conversation_id": ticket.conversation_id,
            "customer": {"id": customer.get("id"), "name": customer.get("name")} if customer else None,
            "contact": None if customer else self._contact(ticket.conversation_id),
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

    def _contact(self, conversation_id: str) -> Optional[str]:
        """How a person on no account reached us ("+15557770123 by WhatsApp"), for their ticket's name."""
        if not is_visitor(conversation_id):
            return None
        known = SqlChannelAddresses(self.store.engine).latest_of(conversation_id)
        return f"{known.address} by {'WhatsApp' if known.channel == 'whatsapp' else 'SMS'}" if known else None

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


def _pending_view(pending: PendingAction) -> Dict[str, Any]:
    return {"id": pending.id, "headline": pending.headline, "summary": pending.summary, "stage": pending.stage.value,
            "stage_words": stage_words(pending.stage.value), "kind": pending.request.kind, "amount_cents": pending.amount_cents,
            "amount": format_cents(pending.amount_cents) if pending.amount_cents is not None else None,
            "result": pending.result_message}
