"""Wake-ups on PostgreSQL: writers ``NOTIFY`` inside their transaction, followers ``LISTEN``.

PostgreSQL delivers a notification when (and only if) the transaction that sent it commits,
to every session listening on that channel, whichever process or machine it is in. The
follower holds one connection of its own, in autocommit, read by the event loop. If that
connection drops (PostgreSQL restarted, the network blinked) the follower keeps polling on
its safety net while it reconnects with backoff, and looks once more as soon as it is back:
whatever was signalled while it was away is read then.
"""

from __future__ import annotations

import asyncio
import logging
import re
from typing import Any, Optional, Sequence
from urllib.parse import unquote

from sqlalchemy.engine import Engine

from actions.domain.wakeup import Wakeup

logger = logging.getLogger(__name__)

#: The first wait before reconnecting, doubled up to ``RECONNECT_MAX`` while PostgreSQL stays away.
RECONNECT_FIRST = 0.5
RECONNECT_MAX = 10.0


def channel_for(topic: str, engine: Engine) -> str:
    """The NOTIFY channel of a topic on ``engine``'s tables (an identifier: letters, digits and
    underscores). Notifications span a whole database, so deployments (or tests) that keep their
    tables in schemas of their own, by a ``search_path`` in the URL, get channels of their own too
    and never wake each other."""
    schema = re.search(r"search_path=([A-Za-z0-9_]+)", unquote(str(engine.url.query.get("options") or "")))
    return f"hitl_{topic}" + (f"_{schema.group(1).lower()}" if schema else "")[:40]


class PgListener:
    """A LISTEN connection (one or more topics), kept open for the life of the follower."""

    def __init__(self, engine: Engine, topics: Sequence[str]) -> None:
        self.wakeup = Wakeup()
        self.engine = engine
        self.channels = [channel_for(topic, engine) for topic in topics]
        self.backend_pid: Optional[int] = None  # the listening session's, while connected
        self._listening = asyncio.Event()
        self._task = asyncio.get_running_loop().create_task(self._keep_listening())

    async def listening(self, timeout: float) -> bool:
        """Whether the listener is connected (waiting up to ``timeout`` seconds for it)."""
        try:
            await asyncio.wait_for(self._listening.wait(), timeout)
            return True
        except asyncio.TimeoutError:
            return False

    async def wait(self, safety_net: float) -> bool:
        return await self.wakeup.wait(safety_net)

    async def close(self) -> None:
        self._task.cancel()
        await asyncio.gather(self._task, return_exceptions=True)

    async def _keep_listening(self) -> None:
        loop = asyncio.get_running_loop()
        delay = RECONNECT_FIRST
        while True:
            try:
                connection = await asyncio.to_thread(self._connect)
            except Exception as failed:  # noqa: BLE001 - PostgreSQL away: the safety net covers it meanwhile
                logger.warning("LISTEN %s: could not connect (%s); polling meanwhile, trying again in %.1f s",
                               ", ".join(self.channels), failed, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, RECONNECT_MAX)
                continue
            delay = RECONNECT_FIRST
            lost: asyncio.Future[None] = loop.create_future()
            fd = connection.fileno()
            loop.add_reader(fd, self._read, connection, lost)
            self.backend_pid = connection.info.backend_pid
            self._listening.set()
            self.wakeup.set()  # anything signalled while this listener was not connected is read now
            try:
                await lost
                logger.warning("LISTEN %s: the connection was lost; polling meanwhile, reconnecting",
                               ", ".join(self.channels))
            finally:
                self._listening.clear()
                self.backend_pid = None
                loop.remove_reader(fd)
                connection.close()

    def _connect(self) -> Any:
        """A psycopg2 connection made as the engine makes its own (same URL and options), out of its pool."""
        pooled = self.engine.raw_connection()
        pooled.detach()
        connection = pooled.connection
        connection.autocommit = True
        with connection.cursor() as cursor:
            for channel in self.channels:
                cursor.execute(f"LISTEN {channel}")
        return connection

    def _read(self, connection: Any, lost: "asyncio.Future[None]") -> None:
        try:
            connection.poll()
        except Exception:  # noqa: BLE001 - a dropped connection: reconnect
            if not lost.done():
                lost.set_result(None)
            return
        if connection.notifies:
            connection.notifies.clear()
            self.wakeup.set()
