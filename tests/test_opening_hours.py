"""Opening hours: whether people are in, when they are next, and the call-back promised, in words.

The team of the scenarios works in New York: weekdays 08:00-20:00, Saturdays 09:00-17:00,
closed on Sundays and on Christmas Day. Every instant is fixed; nothing reads the wall clock.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from actions.domain.opening_hours import ALWAYS_OPEN, OpeningHours, clock_words, day_and_time

NEW_YORK = ZoneInfo("America/New_York")
WEEKDAY = (time(8), time(20))
HOURS = OpeningHours(
    zone=NEW_YORK, zone_name="America/New_York",
    days={0: WEEKDAY, 1: WEEKDAY, 2: WEEKDAY, 3: WEEKDAY, 4: WEEKDAY, 5: (time(9), time(17)), 6: None},
    closed_dates=frozenset({date(2026, 12, 25)}),
)
FOUR_HOURS = timedelta(hours=4)


def new_york(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    """An instant given on New York's clock, handed over in UTC as the injected clock gives it."""
    return datetime(year, month, day, hour, minute, tzinfo=NEW_YORK).astimezone(timezone.utc)


def test_people_are_in_from_opening_up_to_but_not_at_closing_time() -> None:
    assert not HOURS.is_open(new_york(2026, 11, 23, 7, 59))  # Monday
    assert HOURS.is_open(new_york(2026, 11, 23, 8, 0))
    assert HOURS.is_open(new_york(2026, 11, 23, 19, 59))
    assert not HOURS.is_open(new_york(2026, 11, 23, 20, 0))


def test_nobody_is_in_on_a_sunday_or_on_christmas_day_even_when_it_is_a_weekday() -> None:
    assert not HOURS.is_open(new_york(2026, 11, 22, 12, 0))
    assert not HOURS.is_open(new_york(2026, 12, 25, 12, 0))  # a Friday


def test_the_next_opening_skips_the_sunday_and_christmas() -> None:
    assert HOURS.next_opening(new_york(2026, 11, 21, 18, 0)) == datetime(2026, 11, 23, 8, 0, tzinfo=NEW_YORK)
    assert HOURS.next_opening(new_york(2026, 12, 24, 21, 0)) == datetime(2026, 12, 26, 9, 0, tzinfo=NEW_YORK)
    monday_noon = new_york(2026, 11, 23, 12, 0)
    assert HOURS.next_opening(monday_noon) == monday_noon  # in now: now


def test_a_customer_handing_over_at_night_hears_the_team_is_back_tomorrow_at_8_am() -> None:
    assert HOURS.when_people_reply(new_york(2026, 11, 23, 22, 30)) == "tomorrow at 8 am"
    assert HOURS.when_people_reply(new_york(2026, 11, 24, 6, 0)) == "today at 8 am"


def test_a_customer_on_a_saturday_evening_hears_monday_and_a_call_back_then() -> None:
    saturday_evening = new_york(2026, 11, 21, 18, 0)
    assert HOURS.when_people_reply(saturday_evening) == "Monday at 8 am"
    assert HOURS.when_we_call_back(saturday_evening, FOUR_HOURS) == "Monday at 8 am"


def test_a_call_back_asked_for_in_the_morning_is_promised_within_the_next_4_hours() -> None:
    assert HOURS.when_we_call_back(new_york(2026, 11, 23, 10, 0), FOUR_HOURS) == "within the next 4 hours"
    assert HOURS.when_we_call_back(new_york(2026, 11, 23, 10, 0), timedelta(hours=1)) == "within the next hour"


def test_a_call_back_asked_for_near_closing_counts_only_opening_hours() -> None:
    # two hours on Monday evening, the other two from Tuesday 8 am
    assert HOURS.when_we_call_back(new_york(2026, 11, 23, 18, 0), FOUR_HOURS) == "by tomorrow at 10 am"
    # Christmas Eve at 6 pm: two hours that evening, Christmas closed, two from Saturday 9 am
    assert HOURS.when_we_call_back(new_york(2026, 12, 24, 18, 0), FOUR_HOURS) == "by Saturday at 11 am"


def test_a_date_more_than_a_week_away_is_named_with_its_day_and_month() -> None:
    now = datetime(2026, 11, 21, 12, 0, tzinfo=NEW_YORK)
    assert day_and_time(datetime(2026, 12, 1, 9, 30, tzinfo=NEW_YORK), now) == "Tuesday 1 December at 9:30 am"


def test_clock_times_are_said_the_way_people_say_them() -> None:
    assert [clock_words(t) for t in (time(9), time(13, 30), time(12), time(0), time(0, 15))] == [
        "9 am", "1:30 pm", "12 pm", "midnight", "12:15 am"]


def test_without_opening_hours_people_are_always_in_and_a_call_back_is_within_the_window() -> None:
    sunday_3am = datetime(2026, 11, 22, 3, 0, tzinfo=timezone.utc)
    assert ALWAYS_OPEN.is_open(sunday_3am)
    assert ALWAYS_OPEN.when_we_call_back(sunday_3am, FOUR_HOURS) == "within the next 4 hours"
    assert ALWAYS_OPEN.when_we_call_back(datetime(2026, 11, 22, 22, 0, tzinfo=timezone.utc), FOUR_HOURS) == \
        "within the next 4 hours"  # across midnight: the hours run on
