"""Two inbox processes share the SLA timers' table: each timer fires in exactly one of them.

Each "process" here is a real APScheduler scheduler on its own engine, as an inbox process has;
both are given every timer (as both follow the change feed), on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import asyncio
import threading
from collections import Counter
from contextlib import ExitStack, contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator, List

import pytest

from handoff.timers import make_scheduler
from tests.support.postgres import postgres_schema_url
from tests.support.race import race

#: What the timers did, in the order they fired: (which process, which timer).
fired: List[str] = []


def escalate(ticket: str) -> None:
    fired.append(ticket)


@contextmanager
def timers_database(kind: str, folder: Path) -> Iterator[str]:
    with ExitStack() as stack:
        yield f"sqlite:///{folder / 'timers.db'}" if kind == "sqlite" else stack.enter_context(postgres_schema_url("timers"))


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    with timers_database(request.param, tmp_path) as url:
        yield url


async def an_inbox_process_fires(database_url: str, tickets: List[str], due: threading.Barrier) -> None:
    """One inbox process's scheduler, on its own event loop, given every timer (as each follows the
    feed); the timers come due in both processes at the same moment (``due``)."""
    scheduler = make_scheduler(database_url)
    scheduler.start(paused=True)
    at = datetime.now(timezone.utc)
    for ticket in tickets:
        scheduler.add_job(escalate, "date", run_date=at, id=f"ticket:{ticket}", args=[ticket], replace_existing=True)
    await asyncio.to_thread(due.wait, 60)
    scheduler.resume()
    await asyncio.sleep(1.5)
    scheduler.shutdown(wait=False)
    for store in scheduler._jobstores.values():
        store.engine.dispose()


def two_inbox_processes_fire(database_url: str, tickets: List[str]) -> None:
    due = threading.Barrier(2)
    race(2, lambda: asyncio.run(an_inbox_process_fires(database_url, tickets, due)))


def test_twenty_ticket_timers_due_at_once_fire_once_each_across_two_inbox_processes(database_url: str) -> None:
    fired.clear()
    tickets = [f"t{n}" for n in range(20)]

    two_inbox_processes_fire(database_url, tickets)

    assert Counter(fired) == Counter(tickets)  # every one fired, none twice
