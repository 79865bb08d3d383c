"""Rows and models: the one mapping of each shared table to its domain record.

Tickets (``handoff_requests``), approval requests (``approval_requests``) and audit entries
(``audit_log``) are written by the action server and the inbox alike; both stores map them
here, so a column added to a table is read and written the same way on both sides.
"""

from __future__ import annotations

import json

from actions.domain.approval import Approval
from actions.domain.audit import AuditEntry
from actions.domain.ticket import Ticket
from actions.store.tables import ApprovalRow, AuditRow, HandoffRow


def ticket_row(ticket: Ticket) -> HandoffRow:
    """The row of a new ticket (the customer is not told about it yet)."""
    return HandoffRow(
        id=ticket.id, conversation_id=ticket.conversation_id, customer_id=ticket.customer_id, topic=ticket.topic,
        priority=ticket.priority, reasons_json=json.dumps(list(ticket.reasons)), pending_id=ticket.pending_id,
        created_at=ticket.created_at, status=ticket.status,
        evidence_json=json.dumps(dict(ticket.evidence), default=str), queue=ticket.queue, version=ticket.version,
        assignee=ticket.assignee, queued_at=ticket.queued_at, claimed_at=ticket.claimed_at,
        last_customer_at=ticket.last_customer_at, last_agent_at=ticket.last_agent_at,
        reminded_for=ticket.reminded_for, overdue_for=ticket.overdue_for, closed_at=ticket.closed_at,
        outcome=ticket.outcome, resolution=ticket.resolution,
    )


def ticket_of(row: HandoffRow) -> Ticket:
    return Ticket(
        id=row.id, conversation_id=row.conversation_id, customer_id=row.customer_id, topic=row.topic,
        priority=row.priority, queue=row.queue, status=row.status, reasons=tuple(json.loads(row.reasons_json)),
        pending_id=row.pending_id, created_at=row.created_at, queued_at=row.queued_at or row.created_at,
        version=row.version, assignee=row.assignee, claimed_at=row.claimed_at, last_customer_at=row.last_customer_at,
        last_agent_at=row.last_agent_at, reminded_for=row.reminded_for, overdue_for=row.overdue_for,
        closed_at=row.closed_at, outcome=row.outcome, resolution=row.resolution,
        evidence=json.loads(row.evidence_json),
    )


def approval_row(approval: Approval) -> ApprovalRow:
    """The row of a new approval request (the customer is not told about it yet)."""
    return ApprovalRow(
        id=approval.id, pending_id=approval.pending_id, conversation_id=approval.conversation_id,
        customer_id=approval.customer_id, kind=approval.kind, amount_cents=approval.amount_cents,
        summary=approval.summary, reasons_json=json.dumps(list(approval.reasons)),
        requested_at=approval.requested_at, status=approval.status, queue=approval.queue, version=approval.version,
        raised_by=approval.raised_by, approvers_json=json.dumps(list(approval.approvers)),
        decided_by=approval.decided_by, decided_at=approval.decided_at, decision_reason=approval.decision_reason,
        new_amount_cents=approval.new_amount_cents, result=approval.result, escalated=approval.escalated,
        evidence_json=json.dumps(dict(approval.evidence), default=str),
    )


def approval_of(row: ApprovalRow) -> Approval:
    return Approval(
        id=row.id, pending_id=row.pending_id, conversation_id=row.conversation_id, customer_id=row.customer_id,
        kind=row.kind, amount_cents=row.amount_cents, summary=row.summary, reasons=tuple(json.loads(row.reasons_json)),
        requested_at=row.requested_at, status=row.status, queue=row.queue, version=row.version, raised_by=row.raised_by,
        approvers=tuple(json.loads(row.approvers_json)), decided_by=row.decided_by, decided_at=row.decided_at,
        decision_reason=row.decision_reason, new_amount_cents=row.new_amount_cents, result=row.result,
        escalated=row.escalated, evidence=json.loads(row.evidence_json),
    )


def audit_row(entry: AuditEntry) -> AuditRow:
    """The row for an audit entry, to add in the same transaction as the change it records."""
    return AuditRow(
        at=entry.at, actor=entry.actor, event=entry.event, conversation_id=entry.conversation_id,
        customer_id=entry.customer_id, pending_id=entry.pending_id, request=entry.request,
        outcome=entry.outcome, tier=entry.tier, reasons_json=json.dumps(list(entry.reasons)),
        policy_version=entry.policy_version, detail_json=json.dumps(dict(entry.detail), default=str),
    )


def audit_entry_of(row: AuditRow) -> AuditEntry:
    return AuditEntry(
        at=row.at, actor=row.actor, event=row.event, conversation_id=row.conversation_id,
        customer_id=row.customer_id, pending_id=row.pending_id, request=row.request,
        outcome=row.outcome, tier=row.tier, reasons=tuple(json.loads(row.reasons_json)),
        policy_version=row.policy_version, detail=json.loads(row.detail_json),
    )
