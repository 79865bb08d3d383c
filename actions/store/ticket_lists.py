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
from functools import lru_cache
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple

from sqlalchemy import and_, bindparam, delete, exists, func, insert, or_, union_all
from sqlmodel import Session, select

from actions.domain.closed_search import ClosedQuery, Cursor
from actions.domain.search_terms import implied_terms, ticket_terms
from actions.domain.ticket import ACTIVE_STATUSES, CLOSED
from actions.store.tables import ChannelAddressRow, HandoffRow, TicketMessageRow, TicketSearchTermRow

#: The tables as plain SQLAlchemy Core: building a statement from them costs a fraction of the ORM's.
TICKETS = HandoffRow.__table__  # type: ignore[attr-defined]
TERMS = TicketSearchTermRow.__table__  # type: ignore[attr-defined]
#: A search's terms are counted up to this many tickets each, to pick the rarest (``rarest_first``).
PROBE = 10000
#: The rows of a page's tickets.
_BY_IDS = select(TICKETS).where(TICKETS.c.id.in_(bindparam("ids", expanding=True)))


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
    seen = sorted(set(queues))
    if not seen:
        return []
    params: Dict[str, Any] = {f"queue_{n}": queue for n, queue in enumerate(seen)}
    runs = session.execute(_active_runs(len(seen)), {**params, "limit": limit})
    return _rows(session, sorted((at, ticket_id) for at, ticket_id in runs)[:limit])  # tuples sort in C, rows don't


@lru_cache(maxsize=64)
def _active_runs(queues: int) -> Any:
    """The (time, id) of the first ``limit`` active tickets of each status in each of ``queues`` queues,
    oldest first, in one statement built once per number of queues (``_closed_runs`` says why)."""
    return _union([select(TICKETS.c.created_at, TICKETS.c.id)
                   .where(TICKETS.c.status == status, TICKETS.c.queue == bindparam(f"queue_{n}"))
                   .order_by(TICKETS.c.created_at).limit(bindparam("limit"))
                   for status in ACTIVE_STATUSES for n in range(queues)])


def _union(runs: Sequence[Any]) -> Any:
    """The runs' rows in one statement: one round trip however many queues."""
    return runs[0] if len(runs) == 1 else union_all(*(select(run.subquery()) for run in runs))


def closed_page(session: Session, queues: Iterable[str], query: ClosedQuery) -> Tuple[List[Any], Optional[Cursor]]:
    """One page of the closed tickets in ``queues`` matching ``query`` (rows of ``handoff_requests``), and
    the cursor of the next page (None: this is the last)."""
    seen = sorted(set(queues))
    if not seen:
        return [], None
    terms = rarest_first(session, query.terms)
    bounds = (query.closed_from is not None, query.closed_before is not None, query.after is not None)
    params: Dict[str, Any] = {"limit": query.limit + 1, "closed_from": query.closed_from,
                              "closed_before": query.closed_before,
                              "after_at": query.after.closed_at if query.after else None,
                              "after_id": query.after.ticket_id if query.after else None}
    params.update({f"queue_{n}": queue for n, queue in enumerate(seen)})
    params.update({f"term_{n}": term for n, term in enumerate(terms)})
    runs = session.execute(_closed_runs(len(seen), len(terms), bounds),
                           {name: value for name, value in params.items() if value is not None})
    found = sorted(((at, ticket_id) for at, ticket_id in runs), reverse=True)
    page = found[:query.limit]
    return _rows(session, page), Cursor(*page[-1]) if len(found) > query.limit else None


def rarest_first(session: Session, terms: Iterable[str]) -> List[str]:
    """``terms``, the one on the fewest tickets first.

    The first term's index range is walked and each ticket on it is checked for the others, so a
    search costs about as many index entries as there are tickets carrying its rarest term before a
    page is full: a rare item with a common word reads a few dozen, not the thousands of the word.
    A pair of a customer's words is never on more tickets than either word, so it leads without
    counting, and its two words are not checked again (a ticket has the pair only with both);
    other terms are counted, up to ``PROBE`` tickets each, in one statement (then the longest
    leads: a longer word is usually the rarer one)."""
    ordered = sorted(terms, key=lambda term: (-len(term), term))
    paired = [term for term in ordered if implied_terms(term)]
    if paired:
        implied = set().union(*(implied_terms(term) for term in paired))
        return paired + [term for term in ordered if term not in paired and term not in implied]
    if len(ordered) < 2:
        return ordered
    counts = session.execute(_probe(len(ordered)), {f"term_{n}": term for n, term in enumerate(ordered)}).one()
    return [term for _, _, term in sorted(zip(counts, range(len(ordered)), ordered))]


@lru_cache(maxsize=None)
def _probe(terms: int) -> Any:
    """How many tickets carry each of ``terms`` terms (``term_0`` ...), up to ``PROBE``: one statement, built once."""
    return select(*(select(func.count()).select_from(
        select(TERMS.c.ticket_id).where(TERMS.c.term == bindparam(f"term_{n}")).limit(PROBE).subquery())
        .scalar_subquery() for n in range(terms)))


@lru_cache(maxsize=256)
def _closed_runs(queues: int, terms: int, bounds: Tuple[bool, bool, bool]) -> Any:
    """The (time, id) of the first ``limit`` matches in each of ``queues`` queues, newest first, in one
    statement: one index range per queue, read in order. Built once per shape (how many queues and
    terms, which bounds), and run with the values as parameters: building and keying a statement
    like this costs more than the database takes to answer it."""
    return _union([_in_queue(bindparam(f"queue_{n}"), terms, bounds) for n in range(queues)])


def _rows(session: Session, positions: Sequence[Tuple[Any, str]]) -> List[Any]:
    """The rows of the tickets at ``positions``, in that order (plain rows: no ORM objects to build)."""
    if not positions:
        return []
    rows = {row.id: row for row in session.execute(_BY_IDS, {"ids": [ticket_id for _, ticket_id in positions]})}
    return [rows[ticket_id] for _, ticket_id in positions]


def _in_queue(queue: Any, terms: int, bounds: Tuple[bool, bool, bool]) -> Any:
    """The first ``limit`` matches in one queue, newest first: one index range, read in order."""
    if not terms:
        at, ticket_id = TICKETS.c.closed_at, TICKETS.c.id
        where: List[Any] = [TICKETS.c.status == CLOSED, TICKETS.c.queue == queue]
    else:
        found = TERMS.alias("found")  # the rarest term (``term_0``) walks its index range
        at, ticket_id = found.c.closed_at, found.c.ticket_id
        where = [found.c.term == bindparam("term_0"), found.c.queue == queue, *_all_of(ticket_id, terms)]
    where += _window(at, ticket_id, bounds)
    return select(at, ticket_id).where(*where).order_by(at.desc(), ticket_id.desc()).limit(bindparam("limit"))


def _all_of(ticket_id: Any, terms: int) -> List[Any]:
    """The ticket carries each other term (``term_1`` ...) too: one primary-key lookup each."""
    checks = []
    for n in range(1, terms):
        other = TERMS.alias(f"also_{n}")
        checks.append(exists().where(other.c.ticket_id == ticket_id, other.c.term == bindparam(f"term_{n}")))
    return checks


def _window(at: Any, ticket_id: Any, bounds: Tuple[bool, bool, bool]) -> List[Any]:
    """The dates asked for, and after the cursor: bounds on the index range, not filters after it."""
    closed_from, closed_before, after = bounds
    found = []
    if closed_from:
        found.append(at >= bindparam("closed_from"))
    if closed_before:
        found.append(at < bindparam("closed_before"))
    if after:
        found.append(at <= bindparam("after_at"))
        found.append(or_(at < bindparam("after_at"), and_(at == bindparam("after_at"),
                                                          ticket_id < bindparam("after_id"))))
    return found
