"""Approval codes texted to people, on SQL (``approval_phone_codes``), and the people who take them.

One row per request and person (a unique key): of two inbox processes noticing the same new
request, the database lets one issue the code and queue its notice, in one transaction. A
check moves a code on only from the state it was read in (a compare-and-set), and a decision
in the inbox voids the codes it makes useless in the decision's own transaction (``void_for``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import List, Optional, Set

from sqlalchemy import func, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from actions.domain.approval import Approval, PENDING
from actions.store.tables import DeliveryRow
from handoff.domain.call_roster import PhonePerson
from handoff.domain.people import Role, User
from handoff.domain.phone_approvals import ACTIVE, THROTTLED, VOID, PhoneCode
from handoff.domain.phone_proofs import PhoneProfile
from handoff.tables import ApprovalPhoneCodeRow, InboxUserRow

CODE = "code"


@dataclass(frozen=True)
class OnDuty:
    """A person who takes approval notices now: where, and by which channel (sms | whatsapp)."""

    user: User
    phone: str
    channel: str


class SqlPhoneCodes:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def profile(self, username: str) -> PhoneProfile:
        with Session(self.engine) as session:
            row = session.get(InboxUserRow, username)
            return PhoneProfile(row.phone, row.notices_by, row.on_duty) if row else PhoneProfile(None, "sms", False)

    def set_profile(self, username: str, profile: PhoneProfile) -> bool:
        """Keep a person's phone settings; False if another profile has that number."""
        with Session(self.engine) as session:
            try:
                calls = {} if profile.phone else {"available_by_phone": False}  # no number, no calls
                session.execute(update(InboxUserRow).where(InboxUserRow.username == username)
                                .values(phone=profile.phone, notices_by=profile.notices_by, on_duty=profile.on_duty,
                                        **calls))
                session.commit()
            except IntegrityError:
                session.rollback()
                return False
            return True

    def available_by_phone(self, username: str) -> bool:
        with Session(self.engine) as session:
            row = session.get(InboxUserRow, username)
            return bool(row and row.available_by_phone and row.phone)

    def set_available_by_phone(self, username: str, available: bool) -> bool:
        """Take customers' calls or stop; taking them needs a proven number on the profile (False without)."""
        with Session(self.engine) as session:
            query = update(InboxUserRow).where(InboxUserRow.username == username)
            if available:
                query = query.where(InboxUserRow.phone.is_not(None))  # type: ignore[union-attr]
            done = session.execute(query.values(available_by_phone=available)).rowcount == 1
            session.commit()
            return done

    def phone_people(self) -> List[PhonePerson]:
        """Everyone who said they take calls, as the call roster sees them (it checks the rest)."""
        with Session(self.engine) as session:
            rows = session.exec(select(InboxUserRow).where(InboxUserRow.available_by_phone == True)  # noqa: E712
                                .order_by(InboxUserRow.username))  # type: ignore[arg-type]
            return [PhonePerson(User(r.username, r.name, Role(r.role)), r.phone, r.available_by_phone, r.active)
                    for r in rows]

    def on_duty(self) -> List[OnDuty]:
        with Session(self.engine) as session:
            rows = session.exec(select(InboxUserRow).where(InboxUserRow.on_duty == True)  # noqa: E712 - SQL
                                .where(InboxUserRow.active == True)  # noqa: E712
                                .where(InboxUserRow.phone.is_not(None))  # type: ignore[union-attr]
                                .order_by(InboxUserRow.username))  # type: ignore[arg-type]
            return [OnDuty(User(r.username, r.name, Role(r.role)), str(r.phone), r.notices_by) for r in rows]

    def noticed(self, approval_id: str) -> Set[str]:
        """Who was texted (or throttled) about this request already."""
        with Session(self.engine) as session:
            return set(session.exec(select(ApprovalPhoneCodeRow.username)
                                    .where(ApprovalPhoneCodeRow.approval_id == approval_id)))

    def texted_since(self, username: str, since: datetime) -> int:
        """How many notices went to ``username`` since ``since`` (the throttled ones don't count)."""
        with Session(self.engine) as session:
            return session.exec(select(func.count()).select_from(ApprovalPhoneCodeRow)
                                .where(ApprovalPhoneCodeRow.username == username)
                                .where(ApprovalPhoneCodeRow.status != THROTTLED)
                                .where(ApprovalPhoneCodeRow.issued_at >= since)).one()

    def add(self, code: PhoneCode, notice: Optional[DeliveryRow] = None) -> bool:
        """Keep a new code (and queue its notice with it); False if this person had one for the request."""
        with Session(self.engine) as session:
            session.add(_row(code))
            if notice is not None:
                session.add(notice)
            try:
                session.commit()
            except IntegrityError:
                session.rollback()
                return False
            return True

    def codes_of(self, username: str, since: datetime) -> List[PhoneCode]:
        """The codes texted to ``username`` since ``since``, newest first (whatever their state)."""
        with Session(self.engine) as session:
            rows = session.exec(select(ApprovalPhoneCodeRow).where(ApprovalPhoneCodeRow.username == username)
                                .where(ApprovalPhoneCodeRow.status != THROTTLED)
                                .where(ApprovalPhoneCodeRow.issued_at >= since)
                                .order_by(ApprovalPhoneCodeRow.issued_at.desc()))  # type: ignore[attr-defined]
            return [_code(row) for row in rows]

    def code(self, code_id: str) -> Optional[PhoneCode]:
        with Session(self.engine) as session:
            row = session.get(ApprovalPhoneCodeRow, code_id)
            return _code(row) if row else None

    def void_of(self, username: str) -> int:
        """Void every code still open for ``username`` (they texted STOP); how many were."""
        with Session(self.engine) as session:
            voided = session.execute(update(ApprovalPhoneCodeRow).where(ApprovalPhoneCodeRow.username == username)
                                     .where(ApprovalPhoneCodeRow.status == ACTIVE).values(status=VOID)).rowcount
            session.commit()
            return voided

    def move(self, before: PhoneCode, after: PhoneCode) -> bool:
        """Store ``after`` if the code is still as ``before`` was read; True if this call did it."""
        with Session(self.engine) as session:
            done = session.execute(
                update(ApprovalPhoneCodeRow).where(ApprovalPhoneCodeRow.id == before.id)
                .where(ApprovalPhoneCodeRow.status == before.status)
                .where(ApprovalPhoneCodeRow.attempts == before.attempts)
                .values(status=after.status, attempts=after.attempts, reason_asked_at=after.reason_asked_at)
            ).rowcount == 1
            session.commit()
            return done


def void_for(session: Session, approval: Approval) -> None:
    """In a decision's transaction: a request decided for good voids every code still open for it; a
    first of two signatures voids the signer's own."""
    query = (update(ApprovalPhoneCodeRow).where(ApprovalPhoneCodeRow.approval_id == approval.id)
             .where(ApprovalPhoneCodeRow.status == ACTIVE))
    if approval.status == PENDING:
        query = query.where(ApprovalPhoneCodeRow.username.in_(list(approval.approvers)))  # type: ignore[attr-defined]
    session.execute(query.values(status=VOID))


def code_wanted(session: Session, code_id: str) -> bool:
    """Whether a queued notice still leads somewhere: its code is active."""
    row = session.get(ApprovalPhoneCodeRow, code_id)
    return row is not None and row.status == ACTIVE


def notice_row(conversation_id: str, channel: str, payload: dict, at: datetime) -> DeliveryRow:
    """A notice in the delivery queue: a code, bound to the person's channel."""
    return DeliveryRow(conversation_id=conversation_id, kind=CODE, channel=channel, payload_json=json.dumps(payload),
                       created_at=at, next_try_at=at)


def _row(code: PhoneCode) -> ApprovalPhoneCodeRow:
    return ApprovalPhoneCodeRow(id=code.id, approval_id=code.approval_id, username=code.username,
                                code_hash=code.code_hash, issued_at=code.issued_at, expires_at=code.expires_at,
                                attempts=code.attempts, status=code.status, reason_asked_at=code.reason_asked_at)


def _code(row: ApprovalPhoneCodeRow) -> PhoneCode:
    return PhoneCode(row.id, row.approval_id, row.username, row.code_hash, row.issued_at, row.expires_at,
                     row.attempts, row.status, row.reason_asked_at)

