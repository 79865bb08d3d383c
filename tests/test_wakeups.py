"""Followers are woken by writers' commits instead of polling; polling is only their safety net.

Every scenario sets a long safety net (``LONG``) so it can only pass through the wake-up: a
follower that merely polled would still be asleep when the scenario gives up (``WITHIN``).
Writers are other processes on the embedded SQLite database (the action server, Rasa), and
other connections on PostgreSQL.
"""

from __future__ import annotations

import asyncio
import socket
import sqlite3
import sys
import threading
from contextlib import asynccontextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import AsyncIterator, Iterator, List, Tuple

import aiohttp
import pytest
from aiohttp import web
from sqlalchemy import text, update
from sqlalchemy.engine import Engine
from sqlmodel import Session

from actions.domain.clock import SystemClock
from actions.settings import PROJECT_ROOT
from actions.store.commit_signals import DELIVERY, FEED, listen, sqlite_wake_folder
from actions.store.database import make_engine
from actions.store.pg_wakeups import PgListener, channel_for
from actions.store.sql import publish
from actions.store.tables import DeliveryRow
from handoff.delivery import DeliveryWorker
from handoff.rasa_client import RasaConversations
from handoff.store import InboxStore, Outgoing
from tests.support.databases import migrated_sqlite_url
from tests.support.postgres import postgres_schema_url
from tests.support.world import JANE, SAM
from tests.test_inbox_delivery import fake_rasa

#: The safety net in these scenarios: far longer than any of them may take.
LONG = 60.0
#: How long a scenario waits for what the wake-up must bring, well under ``LONG``.
WITHIN = 20.0

#: What the action server does when it hands a conversation over: a change on the feed.
HANDS_OVER = """
import sys
from datetime import datetime, timezone
from sqlmodel import Session
from actions.store.database import make_engine
from actions.store.sql import publish
from actions.store.tables import DeliveryRow
with Session(make_engine(sys.argv[1])) as session:
    publish(session, "ticket", "t-jane", "created", datetime.now(timezone.utc))
    session.commit()
"""

#: What the inbox (or Rasa's phone channel) does to send the bot news: two deliveries for one conversation.
QUEUES_NEWS = """
import sys
from datetime import datetime, timezone
from actions.store.database import make_engine
from handoff.store import InboxStore, Outgoing
store = InboxStore(make_engine(sys.argv[1]))
now = datetime.now(timezone.utc)
for action in ("action_handback", "action_decision_news"):
    store.enqueue(sys.argv[2], Outgoing("trigger", {"action": action}), now)
"""


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return migrated_sqlite_url(tmp_path / "hitl.db")


@pytest.fixture
def engine(sqlite_url: str) -> Iterator[Engine]:
    engine = make_engine(sqlite_url)
    yield engine
    engine.dispose()


async def another_process(script: str, *args: str) -> None:
    """Run ``script`` as a process of its own, as the action server or Rasa would write."""
    process = await asyncio.create_subprocess_exec(sys.executable, "-c", script, *args, cwd=PROJECT_ROOT)
    assert await asyncio.wait_for(process.wait(), WITHIN) == 0


class RasaTakes:
    """A Rasa that takes every action it is asked to run, and notes which."""

    def __init__(self, expected: int) -> None:
        self.actions: List[str] = []
        self.expected = expected
        self.all_taken = asyncio.Event()

    async def __call__(self, request: web.Request) -> web.StreamResponse:
        if request.path.endswith("/execute"):
            self.actions.append((await request.json())["name"])
            if len(self.actions) >= self.expected:
                self.all_taken.set()
        return web.json_response({"latest_input_channel": "rest"} if request.path.endswith("/tracker") else {})


@asynccontextmanager
async def worker_following(engine: Engine, rasa: RasaTakes, safety_net: float) -> AsyncIterator[None]:
    """The delivery worker running against ``rasa``, woken by the delivery queue's signals."""
    async with fake_rasa(rasa) as url, aiohttp.ClientSession() as client:
        listener = listen(engine, DELIVERY)
        worker = DeliveryWorker(InboxStore(engine), RasaConversations(client, url, None), SystemClock(),
                                safety_net=safety_net)
        task = asyncio.create_task(worker.run(listener))
        try:
            yield
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
            await listener.close()


# -- the embedded default: SQLite, several processes on one machine -------------------------------


def test_the_inbox_feed_is_woken_when_the_action_server_process_hands_jane_over(
        engine: Engine, sqlite_url: str) -> None:
    async def scenario() -> bool:
        listener = listen(engine, FEED)
        try:
            await another_process(HANDS_OVER, sqlite_url)
            return await listener.wait(LONG)
        finally:
            await listener.close()

    assert asyncio.run(asyncio.wait_for(scenario(), WITHIN + 5)) is True
    assert [(e.subject, e.subject_id) for e in InboxStore(engine).events_after(0)] == [("ticket", "t-jane")]


def test_news_queued_by_another_process_is_delivered_at_once_and_the_next_in_line_straight_after(
        engine: Engine, sqlite_url: str) -> None:
    rasa = RasaTakes(expected=2)

    async def scenario() -> None:
        async with worker_following(engine, rasa, safety_net=LONG):
            await asyncio.sleep(0.2)  # the worker's first round found nothing; it now waits
            await another_process(QUEUES_NEWS, sqlite_url, JANE)
            await asyncio.wait_for(rasa.all_taken.wait(), WITHIN)

    asyncio.run(scenario())

    # the second waited for the first to be recorded; that record woke the worker again
    assert rasa.actions == ["action_handback", "action_decision_news"]


def test_a_delivery_whose_signal_was_lost_is_still_sent_by_the_safety_net(engine: Engine, sqlite_url: str) -> None:
    rasa = RasaTakes(expected=1)
    database = sqlite_url.removeprefix("sqlite:///")

    def queued_without_a_signal() -> None:
        """Written past the ORM (no commit hook runs), as if the signal had been lost on the way."""
        with sqlite3.connect(database) as raw:
            raw.execute("INSERT INTO deliveries (conversation_id, kind, payload_json, status, attempts, created_at, "
                        "next_try_at) VALUES (?, 'trigger', '{\"action\": \"action_handback\"}', 'pending', 0, ?, ?)",
                        (SAM, "2020-01-01 00:00:00.000000", "2020-01-01 00:00:00.000000"))

    async def scenario() -> None:
        async with worker_following(engine, rasa, safety_net=0.3):
            await asyncio.sleep(0.2)
            await asyncio.to_thread(queued_without_a_signal)
            await asyncio.wait_for(rasa.all_taken.wait(), WITHIN)

    asyncio.run(scenario())

    assert rasa.actions == ["action_handback"]


def test_a_follower_that_died_or_stopped_reading_never_holds_up_or_breaks_a_writer(engine: Engine) -> None:
    folder = sqlite_wake_folder(engine)
    assert folder is not None
    folder.mkdir(parents=True, exist_ok=True)
    dead = folder / "feed.999999.dead.sock"  # a process killed before it could remove its socket
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as gone:
        gone.bind(str(dead))
    stalled = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)  # alive, but never reads
    stalled.bind(str(folder / "feed.999998.stalled.sock"))

    def fifty_changes() -> None:
        for n in range(50):
            with Session(engine) as session:
                publish(session, "ticket", f"t{n}", "updated", datetime.now(timezone.utc))
                session.commit()

    writer = threading.Thread(target=fifty_changes)
    writer.start()
    writer.join(WITHIN)
    stalled.close()

    assert not writer.is_alive(), "a writer was held up by a follower's socket"
    assert len(InboxStore(engine).events_after(0)) == 50
    assert not dead.exists()  # the dead follower's socket was cleared away


# -- PostgreSQL: NOTIFY in the writer's transaction, LISTEN in the follower -----------------------


@pytest.fixture
def pg_engines() -> Iterator[Tuple[Engine, Engine]]:
    """The follower's engine and a writer's: two pools, so never one connection."""
    with postgres_schema_url("wake") as url:
        follower, writer = make_engine(url), make_engine(url)
        try:
            yield follower, writer
        finally:
            follower.dispose()
            writer.dispose()


def hand_over(writer: Engine, commit: bool = True) -> None:
    with Session(writer) as session:
        publish(session, "ticket", "t-jane", "created", datetime.now(timezone.utc))
        session.commit() if commit else session.rollback()


async def connected(engine: Engine, topic: str = FEED) -> PgListener:
    listener = listen(engine, topic)
    assert isinstance(listener, PgListener)
    assert await listener.listening(WITHIN)
    await listener.wait(0)  # the look it asks for on connecting
    return listener


def test_on_postgresql_a_commit_on_another_connection_wakes_the_follower_and_a_rollback_does_not(
        pg_engines: Tuple[Engine, Engine]) -> None:
    follower, writer = pg_engines

    async def scenario() -> Tuple[bool, bool]:
        listener = await connected(follower)
        try:
            await asyncio.to_thread(hand_over, writer, False)
            after_rollback = await listener.wait(1.0)
            await asyncio.to_thread(hand_over, writer)
            return after_rollback, await listener.wait(LONG)
        finally:
            await listener.close()

    after_rollback, after_commit = asyncio.run(asyncio.wait_for(scenario(), WITHIN + 5))

    assert (after_rollback, after_commit) == (False, True)
    assert len(InboxStore(follower).events_after(0)) == 1


def test_on_postgresql_the_follower_listens_again_after_its_connection_is_cut(
        pg_engines: Tuple[Engine, Engine]) -> None:
    follower, writer = pg_engines

    def cut(backend_pid: int) -> None:
        with writer.connect() as connection:
            assert connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": backend_pid}).scalar()

    async def scenario() -> bool:
        listener = await connected(follower)
        try:
            first = listener.backend_pid
            assert first is not None
            await asyncio.to_thread(cut, first)
            while listener.backend_pid in (first, None):  # it notices, and reconnects
                await asyncio.sleep(0.05)
            await listener.wait(0)
            await asyncio.to_thread(hand_over, writer)
            return await listener.wait(LONG)
        finally:
            await listener.close()

    assert asyncio.run(asyncio.wait_for(scenario(), WITHIN + 5)) is True


def test_on_postgresql_a_delivery_made_pending_again_wakes_the_delivery_worker(
        pg_engines: Tuple[Engine, Engine]) -> None:
    follower, writer = pg_engines
    InboxStore(writer).enqueue(JANE, Outgoing("trigger", {"action": "action_handback"}), datetime.now(timezone.utc))

    def tried_again() -> None:
        """What an agent's Retry does to a failed delivery: one UPDATE statement, no new row."""
        with Session(writer) as session:
            session.execute(update(DeliveryRow).where(DeliveryRow.conversation_id == JANE)
                            .values(status="pending", attempts=0))
            session.commit()

    async def scenario() -> bool:
        listener = await connected(follower, DELIVERY)
        try:
            await asyncio.to_thread(tried_again)
            return await listener.wait(LONG)
        finally:
            await listener.close()

    assert asyncio.run(asyncio.wait_for(scenario(), WITHIN + 5)) is True


def test_tables_kept_in_schemas_of_their_own_get_channels_of_their_own() -> None:
    """Notifications span a database: two deployments in two schemas of one database must not wake each other."""
    from sqlalchemy import create_engine

    base = "postgresql://127.0.0.1:5432/test"
    first = channel_for(FEED, create_engine(f"{base}?options=-csearch_path%3Dshop_one"))
    second = channel_for(FEED, create_engine(f"{base}?options=-csearch_path%3Dshop_two"))
    shared = channel_for(FEED, create_engine(base))

    assert len({first, second, shared}) == 3
    assert all(channel.isidentifier() and len(channel) < 64 for channel in (first, second, shared))
