"""One contract for the login throttle, on memory, on a SQLite file and on PostgreSQL.

The memory twin is the reference; the database must count the same, and must also do what
memory cannot: keep the count across a restart and share it between inbox processes. Each
"process" here is a throttle on its own engine (its own connections) on one database. Races
are real threads released together by a barrier; the clock is passed in.
"""

from __future__ import annotations

from contextlib import ExitStack
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Iterator, Optional

import pytest

from actions.domain.clock import Clock
from actions.store.database import make_engine
from handoff.domain.login_throttle import LoginThrottle, ThrottleRule
from handoff.login_throttle import MemoryLoginThrottle, SqlLoginThrottle
from tests.support.databases import migrated_sqlite_url
from tests.support.postgres import postgres_schema_url
from tests.support.race import race, race_between
from tests.support.world import FrozenClock

NOW = datetime(2026, 11, 22, 9, 0, tzinfo=timezone.utc)
FIFTEEN_MINUTES = 15 * 60


def minutes(n: float) -> datetime:
    return NOW + timedelta(minutes=n)


class Backend:
    """Where the tries are counted: memory (url None) or a database every throttle made here shares."""

    def __init__(self, url: Optional[str], stack: ExitStack) -> None:
        self.url = url
        self.stack = stack

    def throttle(self, clock: Clock, rule: ThrottleRule = ThrottleRule()) -> LoginThrottle:
        """The throttle of a newly started inbox process: on the database, its own engine."""
        if self.url is None:
            return MemoryLoginThrottle(clock, rule)
        engine = make_engine(self.url)
        self.stack.callback(engine.dispose)  # before a PostgreSQL schema is dropped
        return SqlLoginThrottle(engine, clock, rule)


def backend_on(kind: str, tmp_path: Path, stack: ExitStack) -> Backend:
    if kind == "memory":
        return Backend(None, stack)
    if kind == "sqlite":
        return Backend(migrated_sqlite_url(tmp_path / "hitl.db"), stack)
    return Backend(stack.enter_context(postgres_schema_url("throttle_test")), stack)


@pytest.fixture(params=["memory", "sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    with ExitStack() as stack:
        yield backend_on(request.param, tmp_path, stack)


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    with ExitStack() as stack:
        yield backend_on(request.param, tmp_path, stack)


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(NOW)


def five_wrong_passwords(throttle: LoginThrottle, clock: FrozenClock, username: str = "david") -> None:
    """Five tries a minute apart; the clock is left a minute after the last."""
    for _ in range(5):
        assert throttle.try_now(username) == 0
        clock.advance(minutes=1)


# -- the rule, the same everywhere ---------------------------------------------------------------


def test_the_sixth_try_within_fifteen_minutes_waits_until_the_oldest_try_is_fifteen_minutes_old(
        backend: Backend, clock: FrozenClock) -> None:
    throttle = backend.throttle(clock)
    five_wrong_passwords(throttle, clock)  # at minutes 0 to 4

    assert throttle.try_now("david") == 10 * 60
    clock.current = minutes(14.99)
    assert throttle.try_now("david") == 1
    clock.current = minutes(15)
    assert throttle.try_now("david") == 0  # the try at minute 0 no longer counts; this one does
    assert throttle.try_now("david") == 60  # now the try at minute 1 is the oldest


def test_a_try_told_to_wait_is_not_counted_so_waiting_does_not_get_longer(backend: Backend, clock: FrozenClock) -> None:
    throttle = backend.throttle(clock)
    five_wrong_passwords(throttle, clock)
    for _ in range(10):
        assert throttle.try_now("david") > 0
        clock.advance(minutes=1)

    assert clock.now() == minutes(15)
    assert throttle.try_now("david") == 0


def test_the_right_password_clears_the_count(backend: Backend, clock: FrozenClock) -> None:
    throttle = backend.throttle(clock)
    for _ in range(4):
        assert throttle.try_now("david") == 0

    throttle.succeeded("david")

    five_wrong_passwords(throttle, clock)
    assert throttle.try_now("david") > 0


def test_other_usernames_are_not_held_up(backend: Backend, clock: FrozenClock) -> None:
    throttle = backend.throttle(clock)
    five_wrong_passwords(throttle, clock, "david")

    assert throttle.try_now("maria") == 0
    assert throttle.try_now("david") > 0


def test_a_stricter_rule_forgets_old_tries_and_a_success_clears_them(backend: Backend, clock: FrozenClock) -> None:
    throttle = backend.throttle(clock, ThrottleRule(max_tries=2, window=timedelta(minutes=10)))
    assert throttle.try_now("ali") == 0
    clock.current = minutes(1)
    assert throttle.try_now("ali") == 0

    clock.current = minutes(2)
    assert throttle.try_now("ali") == 8 * 60
    clock.current = minutes(10)
    assert throttle.try_now("ali") == 0  # the first one aged out
    throttle.succeeded("ali")
    assert throttle.try_now("ali") == 0
    assert throttle.try_now("ali") == 0


@pytest.mark.parametrize("typed", ["nul\x00in the middle", "x" * 100_000, "lone \udc80 surrogate", "  ", "Ünïcödé"])
def test_whatever_is_typed_as_the_username_is_counted(backend: Backend, clock: FrozenClock, typed: str) -> None:
    """A NUL PostgreSQL can't store, a name too long for any index: counted all the same, never a crash."""
    throttle = backend.throttle(clock)
    five_wrong_passwords(throttle, clock, typed)

    assert throttle.try_now(typed) == 10 * 60


def test_twelve_guesses_at_the_same_moment_get_exactly_five_tries(backend: Backend, clock: FrozenClock) -> None:
    throttle = backend.throttle(clock)

    waits = race(12, lambda: throttle.try_now("david"))

    assert sorted(waits) == [0] * 5 + [FIFTEEN_MINUTES] * 7


# -- what only a database can do -----------------------------------------------------------------


def test_after_a_restart_the_username_still_waits(database: Backend, clock: FrozenClock) -> None:
    five_wrong_passwords(database.throttle(clock), clock)

    after_restart = database.throttle(clock)

    assert after_restart.try_now("david") == 10 * 60


def test_two_inbox_processes_on_one_database_share_one_count(database: Backend, clock: FrozenClock) -> None:
    first, second = database.throttle(clock), database.throttle(clock)
    for n in range(5):
        assert (first if n % 2 else second).try_now("david") == 0
        clock.advance(minutes=1)

    assert first.try_now("david") == second.try_now("david") == 10 * 60
    second.succeeded("david")
    assert first.try_now("david") == 0


def test_guesses_racing_through_two_processes_at_once_still_get_exactly_five_tries(
        database: Backend, clock: FrozenClock) -> None:
    first, second = database.throttle(clock), database.throttle(clock)

    waits = race_between(*[lambda: first.try_now("david")] * 6, *[lambda: second.try_now("david")] * 6)

    assert sorted(waits) == [0] * 5 + [FIFTEEN_MINUTES] * 7


def test_a_process_whose_clock_runs_ahead_makes_no_one_wait_longer_than_fifteen_minutes(
        database: Backend, clock: FrozenClock) -> None:
    ahead = FrozenClock(minutes(3))
    five_wrong_passwords(database.throttle(ahead), ahead)  # dated minutes 3 to 7

    assert database.throttle(clock).try_now("david") == FIFTEEN_MINUTES
