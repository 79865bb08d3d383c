"""The SQL store of identity links (``actions.domain.links``): link requests and the links they made.

Closing a request and recording its link are one transaction: the request moves only if it
is still waiting (a conditional UPDATE), and the link's primary key is the visitor's
conversation id, so a visitor id is linked once even if two right codes arrive together.
"""

from __future__ import annotations

from datetime import datetime
from typing import Optional, Sequence

from sqlalchemy import func, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from actions.domain.links import IdentityLink, LinkRequest, LinkStatus
from actions.store.engines import read_session
from actions.store.tables import IdentityLinkRow, LinkRequestRow


class SqlIdentityLinks:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def add_request(self, request: LinkRequest) -> None:
        with Session(self.engine) as session:
            session.add(LinkRequestRow(
                id=request.id, conversation_id=request.conversation_id, customer_id=request.customer_id,
                requested_at=request.requested_at, expires_at=request.expires_at, status=request.status.value,
                client=request.client,
            ))
            session.commit()

    def open_request(self, conversation_id: str) -> Optional[LinkRequest]:
        with read_session(self.engine) as session:
            row = session.exec(
                select(LinkRequestRow).where(LinkRequestRow.conversation_id == conversation_id)
                .where(LinkRequestRow.status == LinkStatus.REQUESTED.value)
                .order_by(LinkRequestRow.requested_at.desc())  # type: ignore[attr-defined]
            ).first()
            return _request(row) if row else None

    def code_prompt_live_since(self, conversation_id: str, since: datetime) -> bool:
        """Whether a sign-in code was asked for in the conversation and still live at ``since`` or later."""
        with read_session(self.engine) as session:
            return session.exec(
                select(LinkRequestRow.id).where(LinkRequestRow.conversation_id == conversation_id)
                .where(LinkRequestRow.expires_at >= since)  # type: ignore[operator]
            ).first() is not None

    def move_request(self, request_id: str, from_statuses: Sequence[LinkStatus], to: LinkStatus) -> bool:
        statement = (
            update(LinkRequestRow).where(LinkRequestRow.id == request_id)
            .where(LinkRequestRow.status.in_([s.value for s in from_statuses]))  # type: ignore[attr-defined]
            .values(status=to.value)
        )
        with self.engine.begin() as connection:
            return connection.execute(statement).rowcount == 1

    def requested_since(self, since: datetime, *, conversation_id: Optional[str] = None,
                        customer_id: Optional[str] = None, client: Optional[str] = None) -> int:
        query = select(func.count()).select_from(LinkRequestRow).where(LinkRequestRow.requested_at >= since)
        if conversation_id is not None:
            query = query.where(LinkRequestRow.conversation_id == conversation_id)
        if customer_id is not None:
            query = query.where(LinkRequestRow.customer_id == customer_id)
        if client is not None:
            query = query.where(LinkRequestRow.client == client)
        with read_session(self.engine) as session:
            return int(session.exec(query).one())

    def link(self, request_id: str, verified_at: datetime, proof: str) -> Optional[IdentityLink]:
        with Session(self.engine) as session:
            row = session.get(LinkRequestRow, request_id)
            if row is None or row.customer_id is None:
                return None
            moved = session.execute(
                update(LinkRequestRow).where(LinkRequestRow.id == request_id)
                .where(LinkRequestRow.status == LinkStatus.REQUESTED.value).values(status=LinkStatus.LINKED.value)
            )
            if moved.rowcount != 1:
                return None
            link = IdentityLink(row.conversation_id, row.customer_id, verified_at, proof, request_id)
            session.add(IdentityLinkRow(conversation_id=link.conversation_id, customer_id=link.customer_id,
                                        verified_at=verified_at, proof=proof, request_id=request_id))
            try:
                session.commit()
            except IntegrityError:  # this visitor id was linked by another request a moment ago
                session.rollback()
                return None
            return link

    def linked(self, conversation_id: str) -> Optional[IdentityLink]:
        with read_session(self.engine) as session:
            row = session.get(IdentityLinkRow, conversation_id)
            if row is None:
                return None
            return IdentityLink(row.conversation_id, row.customer_id, row.verified_at, row.proof, row.request_id)


def _request(row: LinkRequestRow) -> LinkRequest:
    return LinkRequest(id=row.id, conversation_id=row.conversation_id, customer_id=row.customer_id,
                       requested_at=row.requested_at, expires_at=row.expires_at, status=LinkStatus(row.status),
                       client=row.client)
