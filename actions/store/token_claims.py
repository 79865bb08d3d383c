"""Which socket claimed each web chat identity token, in the database every chat server shares.

A token identifies only the first socket that presents it. With several Rasa processes
behind a balancer, a copy of the token replayed to another process must fail too, so the
claim is a row whose primary key is the token's id: the first insert wins, in one statement.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from actions.store.tables import TokenClaimRow

#: Claims of tokens this long expired are removed as new ones come in: no token that old verifies.
KEEP_EXPIRED = timedelta(hours=1)


class SqlTokenClaims:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def claim(self, token_id: str, socket_id: str, expires_at: datetime) -> bool:
        with Session(self.engine) as session:
            session.add(TokenClaimRow(token_id=token_id, socket_id=socket_id, expires_at=expires_at))
            try:
                session.commit()
            except IntegrityError:
                session.rollback()
                holder = session.get(TokenClaimRow, token_id)
                return holder is not None and holder.socket_id == socket_id
            session.execute(delete(TokenClaimRow).where(TokenClaimRow.expires_at < expires_at - KEEP_EXPIRED))
            session.commit()
            return True
