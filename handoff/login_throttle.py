"""Where sign-in tries are counted: the inbox's database, and a memory twin for tests.

The database is the only place every inbox process sees, and it outlives a restart: a count
kept in one process's memory could be dodged by spreading guesses over the processes, or
reset by waiting for a deploy. Deciding and counting are one transaction that holds a lock
for the username (``_lock_username``), so two tries at once are decided one after the other
and the second sees the first.
"""

from __future__ import annotations

import hashlib
import threading
from datetime import datetime
from typing import Dict, List

from sqlalchemy import delete, text
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from actions.domain.clock import Clock
from handoff.domain.login_throttle import ThrottleRule
from handoff.tables import LoginTryRow

#: The first key of PostgreSQL's two-key advisory locks taken here ("login"); no other lock uses it.
_POSTGRES_LOCK_SPACE = 0x6C_6F_67_69


class SqlLoginThrottle:
    """The tries of the last window, one row each, in the database every inbox process shares."""

    def __init__(self, engine: Engine, clock: Clock, rule: ThrottleRule = ThrottleRule()) -> None:
        self.engine = engine
        self.clock = clock
        self.rule = rule

    def try_now(self, username: str) -> int:
        key = _username_hash(username)
        with Session(self.engine) as session:
            _lock_username(session, key)
            now = self.clock.now()
            session.execute(delete(LoginTryRow).where(LoginTryRow.username_hash == key)
                            .where(LoginTryRow.at <= self.rule.forgotten_before(now)))  # type: ignore[operator]
            recent = list(session.exec(select(LoginTryRow.at).where(LoginTryRow.username_hash == key)
                                       .order_by(LoginTryRow.at)))  # type: ignore[arg-type]
            wait = self.rule.wait_seconds(recent, now)
            if not wait:
                session.add(LoginTryRow(username_hash=key, at=now))
            session.commit()
            return wait

    def succeeded(self, username: str) -> None:
        key = _username_hash(username)
        with Session(self.engine) as session:
            _lock_username(session, key)
            session.execute(delete(LoginTryRow).where(LoginTryRow.username_hash == key))
            session.commit()


class MemoryLoginThrottle:
    """The same rule in this process's memory: the reference the contract tests hold the database to."""

    def __init__(self, clock: Clock, rule: ThrottleRule = ThrottleRule()) -> None:
        self.clock = clock
        self.rule = rule
        self._tries: Dict[str, List[datetime]] = {}
        self._lock = threading.Lock()

    def try_now(self, username: str) -> int:
        with self._lock:
            now = self.clock.now()
            recent = [at for at in self._tries.get(username, []) if at > self.rule.forgotten_before(now)]
            wait = self.rule.wait_seconds(recent, now)
            self._tries[username] = recent if wait else recent + [now]
            return wait

    def succeeded(self, username: str) -> None:
        with self._lock:
            self._tries.pop(username, None)


def _username_hash(username: str) -> str:
    """What a username is counted under: storable and indexable whatever was typed (NUL, 200 kB)."""
    return hashlib.sha256(username.encode("utf-8", "surrogatepass")).hexdigest()


def _lock_username(session: Session, key: str) -> None:
    """Hold the username's lock until the transaction ends, so its tries are decided one at a time.

    SQLite: the inbox's engine (``make_engine``) begins every transaction with ``BEGIN
    IMMEDIATE``, the database's single write lock, so beginning it is enough. PostgreSQL: a
    transaction-level advisory lock on the username (the two-key form, whose keys never meet
    the migrations' one-key lock). A row lock would not do: a username's first try has no row
    to lock yet.
    """
    connection = session.connection()  # begins the transaction
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:space, :key)"),
                           {"space": _POSTGRES_LOCK_SPACE, "key": int(key[:8], 16) - 2**31})
