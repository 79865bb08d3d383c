"""The inbox's own tables: people, their sessions and their recent sign-in tries.

They share the assistant's metadata (``StoreTable``) so one migration history covers the
whole database the action server and the inbox work on together.
"""

from __future__ import annotations

from datetime import datetime
from typing import Optional

from sqlalchemy import Column, Index, UniqueConstraint, text
from sqlmodel import Field

from actions.store.tables import StoreTable, UtcDateTime


class InboxUserRow(StoreTable, table=True):
    __tablename__ = "inbox_users"
    username: str = Field(primary_key=True)
    name: str
    role: str
    password_hash: str  # scrypt, with its own salt and parameters
    active: bool = True
    created_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))
    phone: Optional[str] = Field(default=None, sa_column_kwargs={"unique": True})  # E.164: approval notices, replies
    #: Takes approval notices on their phone now (a manager on duty).
    on_duty: bool = Field(default=False, sa_column_kwargs={"server_default": text("false")})
    #: How the notices reach them: sms | whatsapp.
    notices_by: str = Field(default="sms", sa_column_kwargs={"server_default": "sms"})
    #: Takes customers' calls handed to people (warm transfers); only with a proven ``phone``.
    available_by_phone: bool = Field(default=False, sa_column_kwargs={"server_default": text("false")})


class ApprovalPhoneCodeRow(StoreTable, table=True):
    """A one-time code texted to one person for one approval request: replying with it decides the
    request, as that person, once. Only a keyed hash of the code is kept.

    One row per request and person, whether texted or not: a notice over the person's hourly
    limit is a ``throttled`` row with no code, so it is never texted later.
    """

    __tablename__ = "approval_phone_codes"
    __table_args__ = (UniqueConstraint("approval_id", "username", name="uq_approval_phone_codes_approval_username"),)
    id: str = Field(primary_key=True)
    approval_id: str = Field(index=True)
    username: str = Field(index=True)
    code_hash: str
    issued_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))
    expires_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))
    attempts: int = 0
    status: str = "active"  # active | used | void (decided elsewhere, locked) | throttled (never texted)
    #: They replied REJECT without a reason: their next text, soon after, is the reason.
    reason_asked_at: Optional[datetime] = Field(default=None, sa_column=Column(UtcDateTime(), nullable=True))


class PhoneProofRow(StoreTable, table=True):
    """A number a person asked to put on their profile, not theirs until they type back the code
    texted to it (``handoff.my_phone``): one per person, the newest ask. Only a keyed hash of the
    code is kept, bound to the person, the number and the settings they asked for."""

    __tablename__ = "phone_proofs"
    username: str = Field(primary_key=True)
    phone: str  # E.164, the number to prove
    notices_by: str  # sms | whatsapp: how the code went, and the notices will
    on_duty: bool  # what they asked for once the number is proven
    challenge_id: str = Field(unique=True)  # the code's id (the queued delivery names it)
    code_hash: str
    issued_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))
    expires_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))
    attempts: int = 0
    send_number: int = 1  # codes asked for in a row (resends are throttled)
    status: str = "active"  # active | used | locked (too many wrong codes)


class VoiceTransferRow(StoreTable, table=True):
    """A phone call handed to people (``handoff.domain.transfer_records.Transfer``)."""

    __tablename__ = "voice_transfers"
    id: str = Field(primary_key=True)
    call_sid: str = Field(index=True)  # the caller's call
    conversation_id: str
    ticket_id: Optional[str] = Field(default=None, index=True)
    room: str
    state: str
    leg: int = 0
    outcome: Optional[str] = None
    note: Optional[str] = None
    created_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))
    updated_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))
    version: int = 1


class VoiceTransferLegRow(StoreTable, table=True):
    """One person's phone rung for a transfer (``Leg``), by its place in the order."""

    __tablename__ = "voice_transfer_legs"
    transfer_id: str = Field(primary_key=True)
    n: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    username: str
    phone: str  # E.164 as rung; the inbox shows it masked
    state: str
    call_sid: Optional[str] = Field(default=None, index=True)
    created_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))
    updated_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))
    answered_at: Optional[datetime] = Field(default=None, sa_column=Column(UtcDateTime(), nullable=True))
    ended_at: Optional[datetime] = Field(default=None, sa_column=Column(UtcDateTime(), nullable=True))


class InboxSessionRow(StoreTable, table=True):
    __tablename__ = "inbox_sessions"
    token_hash: str = Field(primary_key=True)  # sha256 of the cookie value: a leaked table opens no session
    username: str = Field(index=True)
    csrf_token: str
    created_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))
    expires_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))


class LoginTryRow(StoreTable, table=True):
    """One password check counted against a username (``handoff.login_throttle``).

    The username is kept only as its SHA-256: whatever was typed in the box (a password by
    mistake, text the database can't store or index) is counted, never stored.
    """

    __tablename__ = "login_tries"
    id: Optional[int] = Field(default=None, primary_key=True)
    username_hash: str
    at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))


Index("ix_login_tries_username_hash_at", LoginTryRow.username_hash, LoginTryRow.at)
