"""Which messages ``GET .../Messages.json`` lists: Twilio's filters on To, From and DateSent.

Twilio matches ``To`` and ``From`` exactly (a WhatsApp address keeps its ``whatsapp:``
prefix) and documents ``DateSent`` at the granularity of a GMT day: ``DateSent=D`` lists
messages sent on day D, ``DateSent>`` on or after it, ``DateSent<`` on or before it. The
twilio library sends a date as ``2023-08-24T00:00:00Z``, so a value may be a date or a
date-time; the fake uses its GMT day either way. A message not sent yet has no ``date_sent``
and matches no ``DateSent`` filter.
"""

from __future__ import annotations

from datetime import date, datetime, timezone
from email.utils import parsedate_to_datetime
from typing import Any, Callable, Mapping, Optional, Sequence

from devtools.fake_twilio.validation import INVALID_PARAMETER, bad_request

Record = dict[str, Any]
DAY_COMPARISONS: dict[str, Callable[[date, date], bool]] = {
    "DateSent": lambda sent, day: sent == day,
    "DateSent>": lambda sent, day: sent >= day,
    "DateSent<": lambda sent, day: sent <= day,
}


def gmt_day(name: str, value: str) -> date:
    """The GMT day of a ``DateSent`` value (``2023-08-24`` or ``2023-08-24T05:01:45Z``)."""
    try:
        if len(value) == 10:
            return date.fromisoformat(value)
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise bad_request(INVALID_PARAMETER, f"Invalid value for {name}: {value} is not a date") from None
    if moment.tzinfo is not None:
        moment = moment.astimezone(timezone.utc)
    return moment.date()


def sent_day(record: Record) -> Optional[date]:
    if not record.get("date_sent"):
        return None
    return parsedate_to_datetime(str(record["date_sent"])).astimezone(timezone.utc).date()


def matching(records: Sequence[Record], query: Mapping[str, Sequence[str]]) -> list[Record]:
    """The records the query's filters keep, newest first (Twilio lists the most recent first)."""
    exact = {name: query[name][0] for name in ("To", "From") if name in query}
    days = {name: gmt_day(name, query[name][0]) for name in DAY_COMPARISONS if name in query}

    def keeps(record: Record) -> bool:
        if any(record.get(name.lower()) != value for name, value in exact.items()):
            return False
        if not days:
            return True
        sent = sent_day(record)
        return sent is not None and all(DAY_COMPARISONS[name](sent, day) for name, day in days.items())

    return [record for record in reversed(records) if keeps(record)]


def echoed_filters(query: Mapping[str, Sequence[str]]) -> dict[str, str]:
    """The filters a page's URIs carry, so ``next_page_uri`` lists the same selection."""
    return {name: query[name][0] for name in ("To", "From", *DAY_COMPARISONS) if name in query}
