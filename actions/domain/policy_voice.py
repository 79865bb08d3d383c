"""The policy's sections about people's time and phones: ``opening_hours`` and ``voice``.

Both are optional in the file: without ``opening_hours`` people are taken to be in at every
hour (no "we're closed" message), without ``voice`` the transfer defaults below apply. When
present, each key is read as strictly as the rest of the policy: a bad one stops start-up with
a message naming it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta, timezone, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from actions.domain.opening_hours import ALWAYS_OPEN, WEEKDAYS, OpeningHours
from actions.domain.policy_reader import PolicyReader

#: Public hold music Twilio itself hosts for its examples; any http(s) MP3 or WAV will do.
DEFAULT_HOLD_MUSIC = "http://com.twilio.sounds.music.s3.amazonaws.com/MARKOVICHAMP-Borghestral.mp3"
_FIXED_OFFSET = re.compile(r"UTC(?:([+-])([01]\d):([0-5]\d))?")


@dataclass(frozen=True)
class VoiceRules:
    """Warm transfers of a phone call to people (``voice``, optional)."""

    ring_seconds: int = 20  # how long each person's phone rings before the next is tried
    max_people: int = 3  # people tried for one transfer, at most
    callback_within: timedelta = timedelta(hours=4)  # of opening hours: the call-back promised when nobody took it
    hold_music_url: str = DEFAULT_HOLD_MUSIC


def read_opening_hours(reader: PolicyReader, raw: Any) -> OpeningHours:
    """``opening_hours``: a time zone, every day of the week, and any dates closed all day."""
    if raw is None:
        return ALWAYS_OPEN
    key = "opening_hours"
    fields = reader.mapping(raw, key, required=("timezone", "days"), optional=("closed_dates",))
    days = reader.mapping(fields["days"], f"{key}.days", required=WEEKDAYS)
    closed = reader.sequence(fields.get("closed_dates") or [], f"{key}.closed_dates")
    zone_name = reader.text(fields["timezone"], f"{key}.timezone")
    hours = {number: reader.clock_range(days[name], f"{key}.days.{name}") for number, name in enumerate(WEEKDAYS)}
    if all(value is None for value in hours.values()):
        raise reader.error(f"{key}.days", "must open on at least one day (a team that is never in can't take a handoff)")
    return OpeningHours(
        zone=_zone(reader, zone_name, f"{key}.timezone"), zone_name=zone_name, days=hours,
        closed_dates=frozenset(reader.calendar_date(value, f"{key}.closed_dates[{i}]") for i, value in enumerate(closed)),
    )


def read_voice_rules(reader: PolicyReader, raw: Any) -> VoiceRules:
    """``voice``: each key optional, the defaults of ``VoiceRules`` otherwise."""
    key = "voice"
    voice = reader.mapping(raw or {}, key, optional=("ring_seconds", "max_people", "callback_within", "hold_music_url"))
    read = {"ring_seconds": reader.positive_int, "max_people": reader.positive_int,
            "callback_within": reader.duration, "hold_music_url": reader.web_address}
    rules = VoiceRules(**{name: read[name](value, f"{key}.{name}") for name, value in voice.items()})
    if not 5 <= rules.ring_seconds <= 600:
        raise reader.error(f"{key}.ring_seconds", f"must be between 5 and 600 (Twilio's limits), got {rules.ring_seconds}")
    return rules


def _zone(reader: PolicyReader, name: str, key: str) -> tzinfo:
    """An IANA zone ("America/New_York"), or a fixed offset ("UTC", "UTC-05:00") where the
    machine has no time zone database."""
    fixed = _FIXED_OFFSET.fullmatch(name)
    if fixed:
        sign, hours, minutes = fixed.groups()
        if sign is None:
            return timezone.utc
        offset = timedelta(hours=int(hours), minutes=int(minutes))
        return timezone(-offset if sign == "-" else offset, name)
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise reader.error(key, f"must be a time zone like America/New_York, got {name!r} (if that is one, this "
                                "machine has no time zone database: install tzdata, or write a fixed offset "
                                "like UTC-05:00)") from None
