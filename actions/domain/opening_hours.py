"""When people are in: the customer care team's opening hours, and when they will answer in words.

Outside opening hours nobody reads the queue and nobody takes a call, so a customer handed to
people is told when they will hear back ("tomorrow at 9 am", "Monday at 9 am") instead of an
expected wait that nobody will meet. The hours are the policy's (``opening_hours``); the time
always comes from outside (the injected clock), so every rule here is tested at a fixed instant.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone, tzinfo
from typing import FrozenSet, Mapping, Optional, Tuple

#: The policy's names of the days, Monday first (``datetime.weekday()`` order).
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
#: Far enough to find the next opening past any run of closed days and dates the policy may list.
_LOOK_AHEAD_DAYS = 400

Hours = Tuple[time, Optional[time]]  # opens, closes (None: open until midnight, "09:00-24:00")


@dataclass(frozen=True)
class OpeningHours:
    """The team's week in one time zone, and the dates it is closed whatever the day."""

    zone: tzinfo
    zone_name: str
    days: Mapping[int, Optional[Hours]]  # weekday (0 = Monday) -> hours, None = closed all day
    closed_dates: FrozenSet[date] = field(default_factory=frozenset)

    def hours_on(self, day: date) -> Optional[Hours]:
        """The hours of that local date, None when closed all day."""
        return None if day in self.closed_dates else self.days.get(day.weekday())

    def is_open(self, at: datetime) -> bool:
        """Whether people are in at the instant ``at`` (timezone-aware)."""
        local = at.astimezone(self.zone)
        hours = self.hours_on(local.date())
        return hours is not None and _within(hours, local.time())

    def next_opening(self, at: datetime) -> Optional[datetime]:
        """The next instant people come in, strictly after ``at`` if they are out now (``at`` itself
        if they are in), in the team's time zone; None if the hours never open."""
        if self.is_open(at):
            return at.astimezone(self.zone)
        local = at.astimezone(self.zone)
        for ahead in range(_LOOK_AHEAD_DAYS):
            day = local.date() + timedelta(days=ahead)
            hours = self.hours_on(day)
            if hours is None:
                continue
            opens = _local(self.zone, day, hours[0])
            if opens > local:
                return opens
        return None

    def closing_after(self, at: datetime) -> Optional[datetime]:
        """When the day's opening ``at`` falls in ends (None if ``at`` is outside opening hours); hours
        running to midnight end there, even when the next day opens at midnight."""
        if not self.is_open(at):
            return None
        local = at.astimezone(self.zone)
        closes = self.hours_on(local.date())[1]  # type: ignore[index]
        if closes is None:
            return _local(self.zone, local.date() + timedelta(days=1), time(0))
        return _local(self.zone, local.date(), closes)

    def when_people_reply(self, at: datetime) -> str:
        """When people will answer a conversation handed over at ``at``, in words: "tomorrow at 9 am"."""
        opening = self.next_opening(at)
        return "as soon as we open" if opening is None else day_and_time(opening, at.astimezone(self.zone))

    def when_we_call_back(self, at: datetime, within: timedelta) -> str:
        """The promise of a call back asked for at ``at``, in words.

        Open now, with ``within`` left before closing: "within the next 4 hours". Open but closing
        sooner: by the time ``within`` of opening hours have passed ("by tomorrow at 11 am").
        Closed: when people come in ("tomorrow at 9 am", "Monday at 9 am").
        """
        local = at.astimezone(self.zone)
        if not self.is_open(at):
            return self.when_people_reply(at)
        deadline = self.after_opening_time(at, within)
        if deadline is None:
            return "as soon as we can"
        if deadline - local <= within + timedelta(seconds=1):
            return f"within the next {_duration_words(within)}"
        return f"by {day_and_time(deadline, local)}"

    def after_opening_time(self, at: datetime, span: timedelta) -> Optional[datetime]:
        """The instant ``span`` of opening hours after ``at`` (hours while closed don't count)."""
        left, moment = span, at.astimezone(self.zone)
        for _ in range(_LOOK_AHEAD_DAYS):
            start = self.next_opening(moment)
            if start is None:
                return None
            end = self.closing_after(start)
            if end is None:  # never: next_opening gives an instant within opening hours
                return None
            if end - start >= left:
                return start + left
            left -= end - start
            moment = end
        return None


#: Open at every instant: what a policy without ``opening_hours`` means.
ALWAYS_OPEN = OpeningHours(zone=timezone.utc, zone_name="UTC",
                           days={day: (time(0), None) for day in range(7)})


def day_and_time(moment: datetime, now: datetime) -> str:
    """'today at 9 am', 'tomorrow at 9:30 am', 'Monday at 9 am', 'Monday 5 January at 9 am'."""
    ahead = (moment.date() - now.date()).days
    if ahead == 0:
        day = "today"
    elif ahead == 1:
        day = "tomorrow"
    elif ahead < 7:
        day = DAY_NAMES[moment.weekday()]
    else:
        day = f"{DAY_NAMES[moment.weekday()]} {moment.day} {moment.strftime('%B')}"
    return f"{day} at {clock_words(moment.time())}"


def clock_words(at: time) -> str:
    """time(9) -> '9 am', time(13, 30) -> '1:30 pm', time(12) -> '12 pm', time(0) -> 'midnight'."""
    if at.hour == 0 and at.minute == 0:
        return "midnight"
    hour = at.hour % 12 or 12
    minutes = f":{at.minute:02d}" if at.minute else ""
    return f"{hour}{minutes} {'am' if at.hour < 12 else 'pm'}"


def _duration_words(span: timedelta) -> str:
    seconds = int(span.total_seconds())
    for unit, size in (("hour", 3600), ("minute", 60)):
        if seconds % size == 0 and seconds >= size:
            count = seconds // size
            return unit if count == 1 else f"{count} {unit}s"
    return f"{seconds} seconds"


def _within(hours: Hours, at: time) -> bool:
    opens, closes = hours
    return opens <= at and (closes is None or at < closes)


def _local(zone: tzinfo, day: date, at: time) -> datetime:
    """The instant of a wall-clock time on a local date (a time skipped by a clock change comes out
    an hour later, as ``zoneinfo`` reads it)."""
    return datetime.combine(day, at, tzinfo=zone)
