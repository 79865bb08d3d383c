"""The closed-ticket search as asked in a URL (``GET /api/closed-tickets?...``), checked and made a query.

Every mistake is refused with a message naming the parameter and what it takes (a 400), never
guessed at: a misspelt parameter would otherwise silently show every ticket.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from typing import Dict, FrozenSet, Mapping, Optional, Sequence

from actions.domain.closed_search import MAX_PAGE_SIZE, PAGE_SIZE, BadCursor, ClosedQuery, Cursor, MAX_TERMS
from actions.domain.search_terms import customer_terms, reference_terms, word_terms
from handoff.domain.errors import InboxError

#: Each search parameter and how what is typed becomes terms.
TERM_PARAMETERS = {"customer": customer_terms, "ref": reference_terms, "text": word_terms}
PARAMETERS = ("customer", "ref", "text", "closed_from", "closed_to", "limit", "after")
#: Longest text accepted in one parameter.
MAX_PARAMETER_LENGTH = 500


def closed_query(params: Mapping[str, Sequence[str]]) -> ClosedQuery:
    """The query of ``params`` (each name with every value given for it); ``InboxError`` if any is wrong."""
    given = _single_values(params)
    terms: FrozenSet[str] = frozenset()
    for name, to_terms in TERM_PARAMETERS.items():
        if given.get(name, "").strip():
            found = to_terms(given[name])
            if not found:
                raise InboxError(f"'{name}' has nothing to search for: give letters or digits")
            terms |= found
    if len(terms) > MAX_TERMS:
        raise InboxError(f"a search takes at most {MAX_TERMS} words in all: leave some out")
    closed_from, closed_to = _day(given, "closed_from"), _day(given, "closed_to")
    if closed_from and closed_to and closed_to < closed_from:
        raise InboxError("'closed_to' is before 'closed_from': swap them")
    return ClosedQuery(
        terms=terms,
        closed_from=_start_of(closed_from) if closed_from else None,
        closed_before=_start_of(closed_to + timedelta(days=1)) if closed_to and closed_to < date.max else None,
        after=_cursor(given.get("after")),
        limit=_limit(given.get("limit")),
    )


def _single_values(params: Mapping[str, Sequence[str]]) -> Dict[str, str]:
    unknown = sorted(set(params) - set(PARAMETERS))
    if unknown:
        raise InboxError(f"unknown parameter '{unknown[0]}': the closed list takes {', '.join(PARAMETERS)}")
    values = {}
    for name, given in params.items():
        if len(given) != 1:
            raise InboxError(f"give '{name}' once")
        if len(given[0]) > MAX_PARAMETER_LENGTH or "\x00" in given[0]:
            raise InboxError(f"'{name}' is too long or not text: at most {MAX_PARAMETER_LENGTH} characters")
        values[name] = given[0]
    return values


def _day(given: Mapping[str, str], name: str) -> Optional[date]:
    text = given.get(name, "").strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InboxError(f"'{name}' must be a date like 2026-11-30 (UTC)") from None


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=timezone.utc)


def _cursor(text: Optional[str]) -> Optional[Cursor]:
    if not text:
        return None
    try:
        return Cursor.decode(text)
    except BadCursor as bad:
        raise InboxError(str(bad)) from None


def _limit(text: Optional[str]) -> int:
    if text is None:
        return PAGE_SIZE
    if not (text.isascii() and text.isdigit()) or not 1 <= int(text) <= MAX_PAGE_SIZE:
        raise InboxError(f"'limit' must be a whole number from 1 to {MAX_PAGE_SIZE}")
    return int(text)
