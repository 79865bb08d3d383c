"""SQL tables for the assistant's own state: pending actions, codes, drafts, audit, handoffs, approvals,
and the deliveries waiting to go out to customers."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Optional

from sqlalchemy import Column, DateTime, Index, event, text
from sqlalchemy.orm import registry
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel


class StoreTable(SQLModel, registry=registry()):
    """Base of the assistant's tables: their own metadata, apart from any other SQLModel tables."""


class UtcDateTime(TypeDecorator):
    """Store UTC; hand back timezone-aware datetimes (SQLite forgets the zone otherwise)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Optional[datetime], dialect) -> Optional[datetime]:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store; use timezone-aware UTC times")
        return value.astimezone(timezone.utc)

    def process_result_value(self, value: Optional[datetime], dialect) -> Optional[datetime]:
        if value is None:
            return None
        return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


def _utc(nullable: bool = False):
    return Field(sa_column=Column(UtcDateTime(), nullable=nullable))


class PendingRow(StoreTable, table=True):
    __tablename__ = "pending_actions"
    id: str = Field(primary_key=True)
    conversation_id: str = Field(index=True)
    customer_id: str
    kind: str
    params_json: str
    headline: str
    summary: str
    outcome: str
    tier: str
    reasons_json: str
    policy_version: str
    idempotency_key: str = Field(sa_column_kwargs={"unique": True})
    digest: str
    stage: str = Field(index=True)
    created_at: datetime = _utc()
    expires_at: datetime = _utc()
    amount_cents: Optional[int] = None
    unclear_replies: int = 0
    result_message: Optional[str] = None
    claimed_at: Optional[datetime] = _utc(nullable=True)


class ChallengeRow(StoreTable, table=True):
    __tablename__ = "otp_challenges"
    id: str = Field(primary_key=True)
    pending_id: str = Field(index=True)
    action_digest: str
    code_hash: str
    issued_at: datetime = _utc()
    expires_at: datetime = _utc()
    attempts: int = 0
    send_number: int = 1
    status: str


class DraftRow(StoreTable, table=True):
    __tablename__ = "request_drafts"
    conversation_id: str = Field(primary_key=True)
    request: str
    fields_json: str
    missing: str


class AuditRow(StoreTable, table=True):
    __tablename__ = "audit_log"
    id: Optional[int] = Field(default=None, primary_key=True)
    at: datetime = _utc()
    actor: str
    event: str = Field(index=True)
    conversation_id: str = Field(index=True)
    customer_id: Optional[str] = None
    pending_id: Optional[str] = Field(default=None, index=True)
    request: Optional[str] = None
    outcome: Optional[str] = None
    tier: Optional[str] = None
    reasons_json: str = "[]"
    policy_version: Optional[str] = None
    detail_json: str = "{}"


class HandoffRow(StoreTable, table=True):
    __tablename__ = "handoff_requests"
    id: str = Field(primary_key=True)
    conversation_id: str = Field(index=True)
    customer_id: Optional[str] = None
    topic: str
    priority: str
    reasons_json: str
    pending_id: Optional[str] = None
    created_at: datetime = _utc()
    status: str = Field(default="open", index=True)
    evidence_json: str = "{}"
    queue: str = Field(default="agent", index=True)
    version: int = 1
    assignee: Optional[str] = None
    queued_at: Optional[datetime] = _utc(nullable=True)
    claimed_at: Optional[datetime] = _utc(nullable=True)
    last_customer_at: Optional[datetime] = _utc(nullable=True)
    last_agent_at: Optional[datetime] = _utc(nullable=True)
    reminded_for: Optional[datetime] = _utc(nullable=True)
    overdue_for: Optional[datetime] = _utc(nullable=True)
    closed_at: Optional[datetime] = _utc(nullable=True)
    outcome: Optional[str] = None
    resolution: Optional[str] = None
    customer_told: bool = False  # the bot has told the customer how it ended


class TicketSearchTermRow(StoreTable, table=True):
    """One term a closed ticket can be found by (``actions.domain.search_terms``), with the ticket's
    queue and closing time beside it: a search walks one index range per queue, newest first."""

    __tablename__ = "ticket_search_terms"
    ticket_id: str = Field(primary_key=True)
    term: str = Field(primary_key=True)
    queue: str
    closed_at: datetime = _utc()


class ApprovalRow(StoreTable, table=True):
    __tablename__ = "approval_requests"
    id: str = Field(primary_key=True)
    pending_id: str = Field(index=True)
    conversation_id: str
    customer_id: str
    kind: str
    amount_cents: Optional[int] = None
    summary: str
    reasons_json: str
    requested_at: datetime = _utc()
    status: str = Field(default="pending", index=True)
    queue: str = "manager"
    version: int = 1
    raised_by: Optional[str] = None
    approvers_json: str = "[]"
    decided_by: Optional[str] = None
    decided_at: Optional[datetime] = _utc(nullable=True)
    decision_reason: Optional[str] = None
    new_amount_cents: Optional[int] = None
    result: Optional[str] = None
    escalated: bool = False
    customer_told: bool = False  # the bot has told the customer the decision
    evidence_json: str = "{}"


class TicketMessageRow(StoreTable, table=True):
    """Everything said in a conversation while people have it, in order: customer, agent, notes."""

    __tablename__ = "ticket_messages"
    id: Optional[int] = Field(default=None, primary_key=True)
    ticket_id: str = Field(index=True)
    conversation_id: str = Field(index=True)
    at: datetime = _utc()
    kind: str  # customer | agent | bot | note | system
    author: Optional[str] = None
    text: str
    delivery: Optional[str] = None  # agent replies: pending | delivered | recorded | failed
    error: Optional[str] = None
    channel: Optional[str] = None  # the customer's: where it came from; an agent's: where it was sent


class InboxEventRow(StoreTable, table=True):
    """A feed of changes the inbox pushes to open pages; written by every process that changes tickets."""

    __tablename__ = "inbox_events"
    id: Optional[int] = Field(default=None, primary_key=True)
    at: datetime = _utc()
    subject: str  # ticket | approval
    subject_id: str
    change: str  # created | updated | message | claimed


class LinkRequestRow(StoreTable, table=True):
    """A visitor's claim to be a customer, waiting for its code (``actions.domain.links``)."""

    __tablename__ = "identity_link_requests"
    id: str = Field(primary_key=True)
    conversation_id: str
    customer_id: Optional[str] = None  # None: the number named no account
    requested_at: datetime = _utc()
    expires_at: datetime = _utc()
    status: str
    client: Optional[str] = None  # a keyed hash of the network address the claim came from


class IdentityLinkRow(StoreTable, table=True):
    """A visitor's conversation proven to be a customer's: one per visitor id, made once."""

    __tablename__ = "identity_links"
    conversation_id: str = Field(primary_key=True)
    customer_id: str = Field(index=True)
    verified_at: datetime = _utc()
    proof: str
    request_id: str = Field(sa_column_kwargs={"unique": True})


class TokenClaimRow(StoreTable, table=True):
    """A web chat identity token and the one socket that presented it first (tokens are single-socket)."""

    __tablename__ = "webchat_token_claims"
    token_id: str = Field(primary_key=True)
    socket_id: str
    expires_at: datetime = _utc()


Index("ix_webchat_token_claims_expires_at", TokenClaimRow.expires_at)


class DeliveryRow(StoreTable, table=True):
    """Something to send to a customer that is not the reply to their message: an agent's words, a
    status line, news for the bot, a one-time code.

    Written in the same transaction as the change that causes it (by the inbox, or by the action
    server for a code) and sent by the inbox's delivery worker in order, so a crash or a channel
    that is down loses nothing.
    """

    __tablename__ = "deliveries"
    id: Optional[int] = Field(default=None, primary_key=True)
    conversation_id: str
    kind: str  # say (an agent's words) | status | trigger (an event the bot acts on) | code
    channel: Optional[str] = None  # where it must go (a code: "sms"); None: where the customer is now
    payload_json: str
    message_id: Optional[int] = None  # the ticket message it delivers, for 'say'
    status: str = "pending"  # see handoff.domain.deliveries
    provider_id: Optional[str] = Field(default=None, index=True)  # the channel's id for it (a Twilio Message SID)
    attempts: int = 0
    error: Optional[str] = None
    created_at: datetime = _utc()
    next_try_at: datetime = _utc()


class DeliveryMessageRow(StoreTable, table=True):
    """One message a delivery became at its provider (a long text goes as several), by the id the
    provider gave it: a retry that looks for a message it may have sent adopts none another
    delivery recorded, and a report on any of them finds its delivery by an index.

    A report that comes while the delivery is still being sent (``pending``) is kept here, and
    applied when the worker records the outcome.
    """

    __tablename__ = "delivery_messages"
    provider_id: str = Field(primary_key=True)  # a Twilio Message SID
    delivery_id: int = Field(index=True)
    reported: Optional[str] = None  # delivered | read | failed, reported before the delivery was recorded
    error: Optional[str] = None  # the provider's reason, with ``failed``


class ChannelAddressRow(StoreTable, table=True):
    """A phone address a conversation was reached on (SMS, or WhatsApp): where replies go, when the
    customer last wrote from it (WhatsApp's 24-hour window), and whether it opted out (STOP)."""

    __tablename__ = "channel_addresses"
    channel: str = Field(primary_key=True)  # sms | whatsapp
    address: str = Field(primary_key=True)  # E.164, without a channel prefix
    conversation_id: str = Field(index=True)
    last_inbound_at: datetime = _utc()
    opted_out_at: Optional[datetime] = _utc(nullable=True)


class InboundMessageRow(StoreTable, table=True):
    """A message a provider delivered to a webhook, kept from the moment it was accepted.

    The provider's id is unique, so a retried or duplicated delivery is one turn in every
    process; the row id is the order of arrival, in which each conversation's are handled.
    """

    __tablename__ = "inbound_messages"
    id: Optional[int] = Field(default=None, primary_key=True)
    provider_id: str = Field(sa_column_kwargs={"unique": True})  # Twilio's MessageSid
    channel: str
    address: str
    conversation_id: str
    text: str
    media_json: str = "[]"  # [{"url": ..., "type": ...}], and a shared location
    received_at: datetime = _utc()
    status: str = "accepted"  # accepted | handling (a process has it) | handled | failed
    claimed_at: Optional[datetime] = _utc(nullable=True)
    handled_at: Optional[datetime] = _utc(nullable=True)
    error: Optional[str] = None


class VoiceCallRow(StoreTable, table=True):
    """A phone call to the assistant (``actions.domain.voice_calls``)."""

    __tablename__ = "voice_calls"
    call_sid: str = Field(primary_key=True)  # Twilio's CallSid
    conversation_id: str = Field(index=True)
    caller: Optional[str] = None  # E.164; None when withheld
    started_at: datetime = _utc()
    status: str = "in-progress"
    turn: int = 0
    misses: int = 0
    expecting: Optional[str] = None
    stage: str = "bot"  # bot | transfer | ended
    ended_at: Optional[datetime] = _utc(nullable=True)


class VoiceTurnRow(StoreTable, table=True):
    """A turn of a call, claimed by its number, with the TwiML it answered (for a duplicate delivery)."""

    __tablename__ = "voice_turns"
    call_sid: str = Field(primary_key=True)
    turn: int = Field(primary_key=True)
    twiml: Optional[str] = None  # None while the turn runs
    heard: Optional[str] = None  # what the caller said (a code: "(a code)"), for a call back's transcript
    claimed_at: datetime = _utc()


class VoiceSpeechRow(StoreTable, table=True):
    """Something queued to be said on a call at its next document (news that came outside a turn)."""

    __tablename__ = "voice_speech"
    id: Optional[int] = Field(default=None, primary_key=True)
    call_sid: str = Field(index=True)
    text: str
    queued_at: datetime = _utc()
    spoken_at: Optional[datetime] = _utc(nullable=True)


class SealedInputRow(StoreTable, table=True):
    """A code a caller entered, kept out of the tracker and the logs until the action server takes it
    (``actions.domain.sealed``): read once, then deleted."""

    __tablename__ = "sealed_inputs"
    ref: str = Field(primary_key=True)
    conversation_id: str
    value: str
    sealed_at: datetime = _utc()


# The audit log is append-only in the database itself, not just by convention.
_SQLITE_GUARDS = [
    "CREATE TRIGGER IF NOT EXISTS audit_log_no_update BEFORE UPDATE ON audit_log "
    "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END",
    "CREATE TRIGGER IF NOT EXISTS audit_log_no_delete BEFORE DELETE ON audit_log "
    "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END",
]
_POSTGRES_GUARDS = [
    "CREATE OR REPLACE FUNCTION audit_log_append_only() RETURNS trigger AS $$ "
    "BEGIN RAISE EXCEPTION 'audit_log is append-only'; END; $$ LANGUAGE plpgsql",
    "DROP TRIGGER IF EXISTS audit_log_append_only ON audit_log",
    "CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log "
    "FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()",
]


@event.listens_for(AuditRow.__table__, "after_create")
def _guard_audit_log(target, connection, **kw) -> None:
    guards = _POSTGRES_GUARDS if connection.dialect.name == "postgresql" else _SQLITE_GUARDS
    for statement in guards:
        connection.execute(text(statement))


Index("ix_pending_conversation_stage", PendingRow.conversation_id, PendingRow.stage)
Index("ix_identity_link_requests_conversation_status", LinkRequestRow.conversation_id, LinkRequestRow.status)
Index("ix_identity_link_requests_customer_requested", LinkRequestRow.customer_id, LinkRequestRow.requested_at)
Index("ix_identity_link_requests_client_requested", LinkRequestRow.client, LinkRequestRow.requested_at)
Index("ix_deliveries_status_next_try", DeliveryRow.status, DeliveryRow.next_try_at)
Index("ix_inbound_messages_conversation_status", InboundMessageRow.conversation_id, InboundMessageRow.status)
#: The active queue list, per queue, oldest first; the closed list, per queue, newest first (keyset paging).
Index("ix_handoff_requests_status_queue_created", HandoffRow.status, HandoffRow.queue, HandoffRow.created_at)
Index("ix_handoff_requests_status_queue_closed", HandoffRow.status, HandoffRow.queue, HandoffRow.closed_at,
      HandoffRow.id)
#: A closed-ticket search: one term's tickets in one queue, newest first; it holds all the search reads.
Index("ix_ticket_search_terms_term_queue_closed", TicketSearchTermRow.term, TicketSearchTermRow.queue,
      TicketSearchTermRow.closed_at, TicketSearchTermRow.ticket_id)
