"""Numbers waiting for the code that proves them, on SQL (``phone_proofs``, one per person).

Every change is a compare-and-set on the code as it was read: two asks at once queue one code,
a code typed twice at once proves the number once, and a proven number goes on the profile in
the same transaction that uses the code (the database refuses a number another profile took
meanwhile: ``NumberTaken``).
"""

from __future__ import annotations

from typing import Optional

from sqlalchemy import delete, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from actions.domain.step_up import ChallengeStatus, OtpChallenge
from actions.store.tables import DeliveryRow
from handoff.domain.phone_proofs import PhoneProfile, PhoneProof, proof_digest
from handoff.tables import InboxUserRow, PhoneProofRow


class NumberTaken(Exception):
    """The number went on another person's profile before this one proved it."""


class SqlPhoneProofs:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def proof(self, username: str) -> Optional[PhoneProof]:
        """The newest number ``username`` asked for, whatever became of it."""
        with Session(self.engine) as session:
            row = session.get(PhoneProofRow, username)
            return _proof(row) if row else None

    def ask(self, before: Optional[PhoneProof], proof: PhoneProof, code: DeliveryRow) -> bool:
        """Keep ``proof`` in place of ``before`` (as read) and queue its code; False if another ask came first."""
        with Session(self.engine) as session:
            try:
                if before is None:
                    session.add(_row(proof))
                elif session.execute(update(PhoneProofRow).where(PhoneProofRow.username == before.username)
                                     .where(PhoneProofRow.challenge_id == before.challenge.id)
                                     .values(**_values(proof))).rowcount != 1:
                    return False
                session.add(code)
                session.commit()
            except IntegrityError:
                session.rollback()
                return False
            return True

    def move(self, before: PhoneProof, after: PhoneProof) -> bool:
        """Store a check's outcome if the code is still as ``before`` was read; True if this call did it."""
        with Session(self.engine) as session:
            done = _moved(session, before, after)
            session.commit()
            return done

    def prove(self, before: PhoneProof, after: PhoneProof) -> bool:
        """Use the code and put the settings asked for on the profile, at once; False if the code moved
        under us. Raises ``NumberTaken`` if another profile has the number now."""
        wanted = after.wanted
        with Session(self.engine) as session:
            if not _moved(session, before, after):
                return False
            session.execute(update(InboxUserRow).where(InboxUserRow.username == before.username)
                            .values(phone=wanted.phone, notices_by=wanted.notices_by, on_duty=wanted.on_duty))
            try:
                session.commit()
            except IntegrityError:
                session.rollback()
                raise NumberTaken(str(wanted.phone)) from None
            return True

    def forget(self, username: str) -> None:
        """Drop the number ``username`` asked for (they removed their number): its code stops working."""
        with Session(self.engine) as session:
            session.execute(delete(PhoneProofRow).where(PhoneProofRow.username == username))
            session.commit()


def proof_code_wanted(session: Session, challenge_id: str) -> bool:
    """Whether a queued code still proves something: it is the person's newest, still active."""
    row = session.exec(select(PhoneProofRow).where(PhoneProofRow.challenge_id == challenge_id)).first()
    return row is not None and row.status == ChallengeStatus.ACTIVE.value


def _moved(session: Session, before: PhoneProof, after: PhoneProof) -> bool:
    return session.execute(
        update(PhoneProofRow).where(PhoneProofRow.username == before.username)
        .where(PhoneProofRow.challenge_id == before.challenge.id)
        .where(PhoneProofRow.status == before.challenge.status.value)
        .where(PhoneProofRow.attempts == before.challenge.attempts)
        .values(status=after.challenge.status.value, attempts=after.challenge.attempts)
    ).rowcount == 1


def _values(proof: PhoneProof) -> dict:
    c, wanted = proof.challenge, proof.wanted
    return {"phone": wanted.phone, "notices_by": wanted.notices_by, "on_duty": wanted.on_duty,
            "challenge_id": c.id, "code_hash": c.code_hash, "issued_at": c.issued_at, "expires_at": c.expires_at,
            "attempts": c.attempts, "send_number": c.send_number, "status": c.status.value}


def _row(proof: PhoneProof) -> PhoneProofRow:
    return PhoneProofRow(username=proof.username, **_values(proof))


def _proof(row: PhoneProofRow) -> PhoneProof:
    wanted = PhoneProfile(row.phone, row.notices_by, row.on_duty)
    challenge = OtpChallenge(row.challenge_id, row.username, proof_digest(row.username, wanted), row.code_hash,
                             row.issued_at, row.expires_at, row.attempts, row.send_number, ChallengeStatus(row.status))
    return PhoneProof(row.username, wanted, challenge)
