"""A search of closed tickets, and where its next page starts.

Pages are keyset pages: a page ends at a ticket (its closing time and id), and the next page is
"closed before that one". Unlike an offset, that costs the same for the hundredth page as for the
first, and a ticket closing meanwhile never shifts a page by one. The cursor handed out is that
position as opaque text; a cursor that does not decode is refused with a message, never guessed at.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import FrozenSet, Optional

#: A page unless asked otherwise, and the most a page may hold.
PAGE_SIZE, MAX_PAGE_SIZE = 50, 200
#: More terms than this in one search is refused: each one is another index lookup per ticket.
MAX_TERMS = 12


class BadCursor(ValueError):
    """The ``after`` text is not a cursor this inbox handed out."""


@dataclass(frozen=True, order=True)
class Cursor:
    """A position in the closed list, newest first: the last ticket of the page before."""

    closed_at: datetime
    ticket_id: str

    def encode(self) -> str:
        raw = f"{self.closed_at.astimezone(timezone.utc).isoformat()}|{self.ticket_id}".encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    @staticmethod
    def decode(text: str) -> "Cursor":
        try:
            raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode()
            at, ticket_id = raw.split("|", 1)
            closed_at = datetime.fromisoformat(at)
        except (binascii.Error, UnicodeDecodeError, ValueError):
            raise BadCursor("'after' is not a cursor from this list: pass the 'next' of the page before") from None
        if closed_at.tzinfo is None or not ticket_id or "\x00" in ticket_id:
            raise BadCursor("'after' is not a cursor from this list: pass the 'next' of the page before")
        return Cursor(closed_at.astimezone(timezone.utc), ticket_id)


@dataclass(frozen=True)
class ClosedQuery:
    """Closed tickets carrying every one of ``terms`` (``actions.domain.search_terms``), closed in
    ``[closed_from, closed_before)``, newest first, ``limit`` of them after ``after``."""

    terms: FrozenSet[str] = field(default_factory=frozenset)
    closed_from: Optional[datetime] = None
    closed_before: Optional[datetime] = None
    after: Optional[Cursor] = None
    limit: int = PAGE_SIZE

    def __post_init__(self) -> None:
        if not 1 <= self.limit <= MAX_PAGE_SIZE:
            raise ValueError(f"a page holds 1 to {MAX_PAGE_SIZE} tickets")
        if len(self.terms) > MAX_TERMS:
            raise ValueError(f"a search takes at most {MAX_TERMS} words")
