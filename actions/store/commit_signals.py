"""Signals, at commit, that a followed table changed; and the listener a follower waits on.

Hooked once, on every ORM session of the process (``install``), so no writer has to remember
to signal: a session that adds a row to the change feed, the delivery queue, the inbound
queue or a caller's queued speech (or updates deliveries: a retry) signals that topic.

- On PostgreSQL the session sends ``pg_notify`` inside its own transaction, so the
  notification is delivered exactly when the rows are visible, and never for a rollback.
- On SQLite the signal goes after the commit, to the followers on this machine
  (``local_wakeups``).

``listen(engine, *topics)`` gives a follower the matching listener.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, Dict, Optional, Set

from sqlalchemy import event, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import ORMExecuteState, Session

from actions.domain.wakeup import Listener
from actions.store.local_wakeups import LocalListener, notify_local, wake_folder
from actions.store.pg_wakeups import PgListener, channel_for
from actions.store.tables import DeliveryRow, InboundMessageRow, InboxEventRow, VoiceSpeechRow

logger = logging.getLogger(__name__)

FEED, DELIVERY, INBOUND, SPEECH = "feed", "delivery", "inbound", "speech"
#: The topic a new row of each followed table signals.
ADDED: Dict[type, str] = {InboxEventRow: FEED, DeliveryRow: DELIVERY, InboundMessageRow: INBOUND,
                          VoiceSpeechRow: SPEECH}
#: The topic an UPDATE statement on a followed table signals (a delivery made pending again).
UPDATED: Dict[str, str] = {DeliveryRow.__tablename__: DELIVERY}
_PENDING = "commit_signals.topics"  # session.info: the topics to signal at commit (SQLite)
_SENT = "commit_signals.sent"  # session.info: the topics already notified in this transaction (PostgreSQL)


def install() -> None:
    """Hook the signals on every ORM session of this process (idempotent)."""
    if not event.contains(Session, "after_flush", _after_flush):
        event.listen(Session, "after_flush", _after_flush)
        event.listen(Session, "do_orm_execute", _on_execute)
        event.listen(Session, "after_commit", _after_commit)
        event.listen(Session, "after_soft_rollback", _forget)


def listen(engine: Engine, *topics: str) -> Listener:
    """A listener woken by any of ``topics`` on ``engine``'s database; call it on the event loop that waits."""
    folder = sqlite_wake_folder(engine)
    if folder is not None:
        return LocalListener(folder, topics)
    if engine.dialect.name == "postgresql":
        return PgListener(engine, topics)
    raise ValueError(f"no wake-ups for a {engine.dialect.name} database: use SQLite or PostgreSQL")


def sqlite_wake_folder(engine: Engine) -> Optional[Path]:
    """The wake-up folder of a SQLite file database; None for any other database."""
    url = make_url(str(engine.url))
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    return wake_folder(Path(url.database))


def _signal(session: Session, topic: str) -> None:
    bind = session.get_bind()
    if bind.dialect.name == "postgresql":
        sent: Set[str] = session.info.setdefault(_SENT, set())
        if topic not in sent:
            sent.add(topic)
            session.connection().execute(text("SELECT pg_notify(:channel, '')"), {"channel": channel_for(topic, bind.engine)})
    else:
        session.info.setdefault(_PENDING, set()).add(topic)


def _after_flush(session: Session, _context: Any) -> None:
    for topic in {ADDED[type(row)] for row in session.new if type(row) in ADDED}:
        _signal(session, topic)


def _on_execute(state: ORMExecuteState) -> None:
    if not state.is_update:
        return
    table = getattr(state.statement, "table", None)
    topic = UPDATED.get(getattr(table, "name", ""))
    if topic is not None:
        _signal(state.session, topic)


def _after_commit(session: Session) -> None:
    topics = session.info.pop(_PENDING, set())
    session.info.pop(_SENT, None)
    if not topics:
        return
    engine = session.get_bind()
    folder = sqlite_wake_folder(engine) if isinstance(engine, Engine) else None
    for topic in topics if folder is not None else ():
        notify_local(folder, topic)


def _forget(session: Session, _previous: Any) -> None:
    session.info.pop(_PENDING, None)
    session.info.pop(_SENT, None)
