"""The inbox's ticket lists on SQL: the queue list, and closed tickets searched a keyset page at a time.

Both lists read one index range per queue (and state) the person sees, in the index's order,
stopped at the page size, and merge those short runs here: a list's cost depends on the page
size, not on how many tickets were ever raised. The queue list reads
``ix_handoff_requests_status_queue_created``, oldest first.

A closed ticket's terms are written in the transaction that closes it (and again when a note is added
to it afterwards), so a closed ticket is never missing from the search. Each read is one index
range per queue the person sees (``ix_handoff_requests_status_queue_closed`` for the plain list,
``ix_ticket_search_terms_term_queue_closed`` for a search), newest first, stopped at the page
size. That keeps a page's cost independent of how many tickets were ever closed, on SQLite
and PostgreSQL alike.
"""

from __future__ import annotations

import json
from typing import Any, Iterable, List, Optional, Sequence, Tuple

from sqlalchemy import and_, delete, exists, insert, or_, union_all
from sqlmodel import Session, select

from actions.domain.closed_search import ClosedQuery, Cursor
from actions.domain.search_terms import ticket_terms
from actions.domain.ticket import ACTIVE_STATUSES, CLOSED
from actions.store.tables import ChannelAddressRow, HandoffRow, TicketMessageRow, TicketSearchTermRow

#: The tables as plain SQLAlchemy Core: building a statement from them costs a fraction of the ORM's.
TICKETS = HandoffRow.__table__  # type: ignore[attr-defined]
TERMS = TicketSearchTermRow.__table__  # type: ignore[attr-defined]


def index_if_closed(session: Session, ticket_id: str) -> None:
    """(Re)write the search terms of ``ticket_id`` if it is closed, inside the caller's transaction."""
    row = session.get(HandoffRow, ticket_id, populate_existing=True)
    if row is None or row.status != CLOSED or row.closed_at is None:
        return
    texts = session.exec(select(TicketMessageRow.text).where(TicketMessageRow.ticket_id == ticket_id)).all()
    addresses = session.exec(select(ChannelAddressRow.address)
                             .where(ChannelAddressRow.conversation_id == row.conversation_id)).all()
    terms = ticket_terms(row.id, row.conversation_id, json.loads(row.evidence_json or "{}"), texts, addresses)
    session.execute(delete(TicketSearchTermRow).where(TicketSearchTermRow.ticket_id == ticket_id))  # type: ignore[arg-type]
    session.execute(insert(TicketSearchTermRow), [  # type: ignore[arg-type]
        {"ticket_id": row.id, "term": term, "queue": row.queue, "closed_at": row.closed_at} for term in sorted(terms)
    ])


def active_list(session: Session, queues: Iterable[str], limit: int) -> List[Any]:
    """The ``limit`` longest-waiting active tickets in ``queues``, oldest first (rows of ``handoff_requests``)."""
    runs = [select(TICKETS.c.created_at, TICKETS.c.id).where(TICKETS.c.status == status, TICKETS.c.queue == queue)
            .order_by(TICKETS.c.created_at).limit(limit) for status in ACTIVE_STATUSES for queue in sorted(set(queues))]
    return _rows(session, sorted(_positions(session, runs))[:limit])


def closed_page(session: Session, queues: Iterable[str], query: ClosedQuery) -> Tuple[List[Any], Optional[Cursor]]:
    """One page of the closed tickets in ``queues`` matching ``query`` (rows of ``handoff_requests``), and
    the cursor of the next page (None: this is the last)."""
    found = sorted(_positions(session, [_in_queue(queue, query) for queue in sorted(set(queues))]), reverse=True)
    page = found[:query.limit]
    return _rows(session, page), Cursor(*page[-1]) if len(found) > query.limit else None


def _positions(session: Session, runs: Sequence[Any]) -> List[Tuple[Any, str]]:
    """The (time, id) of every run's tickets, read in one statement: one round trip however many queues."""
    if not runs:
        return []
    statement = runs[0] if len(runs) == 1 else union_all(*(select(run.subquery()) for run in runs))
    return [(at, ticket_id) for at, ticket_id in session.execute(statement)]


def _rows(session: Session, positions: Sequence[Tuple[Any, str]]) -> List[Any]:
    """The rows of the tickets at ``positions``, in that order (plain rows: no ORM objects to build)."""
    if not positions:
        return []
    rows = {row.id: row for row in session.execute(
        select(TICKETS).where(TICKETS.c.id.in_([ticket_id for _, ticket_id in positions])))}
    return [rows[ticket_id] for _, ticket_id in positions]


def _in_queue(queue: str, query: ClosedQuery) -> Any:
    """The first ``limit + 1`` matches in one queue, newest first: one index range, read in order."""
    if not query.terms:
        at, ticket_id = TICKETS.c.closed_at, TICKETS.c.id
        where: List[Any] = [TICKETS.c.status == CLOSED, TICKETS.c.queue == queue]
    else:
        # the longest term walks its index range; a longer word is usually the rarer one
        lead, *others = sorted(query.terms, key=lambda term: (-len(term), term))
        found = TERMS.alias("found")
        at, ticket_id = found.c.closed_at, found.c.ticket_id
        where = [found.c.term == lead, found.c.queue == queue, *_all_of(ticket_id, others)]
    where += _window(at, ticket_id, query)
    return select(at, ticket_id).where(*where).order_by(at.desc(), ticket_id.desc()).limit(query.limit + 1)


def _all_of(ticket_id: Any, terms: Sequence[str]) -> List[Any]:
    """The ticket carries each other term too: one primary-key lookup each."""
    checks = []
    for n, term in enumerate(terms):
        other = TERMS.alias(f"also_{n}")
        checks.append(exists().where(other.c.ticket_id == ticket_id, other.c.term == term))
    return checks


def _window(at: Any, ticket_id: Any, query: ClosedQuery) -> List[Any]:
    """The dates asked for, and after the cursor: bounds on the index range, not filters after it."""
    bounds = []
    if query.closed_from is not None:
        bounds.append(at >= query.closed_from)
    if query.closed_before is not None:
        bounds.append(at < query.closed_before)
    if query.after is not None:
        bounds.append(at <= query.after.closed_at)
        bounds.append(or_(at < query.after.closed_at, and_(at == query.after.closed_at,
                                                           ticket_id < query.after.ticket_id)))
    return bounds
