"""Start the demo again from its first state: ``python -m bot.reset_demo`` (``make reset-demo``).

For people trying the demo over and over: the orders are back and dated from today, nothing
is refunded, no request is half-way, no ticket or approval is waiting, and every chat starts
from scratch. The people who sign in to the inbox stay, and so does what they did.

What a reset does, and what it leaves alone:

* **The demo business** (``acme.db``): every customer, order, subscription, card, refund and
  execution record is removed and the seed written again (``actions.acme.seed.restore_demo``).
* **The assistant's conversation state** (``hitl.db``): the tables in ``CLEARED`` are emptied,
  with the inbox timers of their tickets and approvals.
* **Rasa's conversations** (``rasa_tracker.db``): every tracker is removed.
* **Kept** (``KEPT``): the inbox logins, their sessions and their sign-in throttle, the inbox's change feed (open pages
  follow it by ever-growing ids), and the audit log. The audit log is append-only by a
  database trigger and a reset does not go around it: it adds one ``demo_reset`` entry saying
  what was removed, so the history before the reset stays readable and honest.

It refuses to run unless the demo is on: ``HITL_DEMO=1`` (what ``make run`` sets) or the
flag ``--yes-this-is-a-demo``. It also refuses a business reached over HTTP, which is a
real retailer's, never the demo's. It may run while ``make run`` is running; reload the open
inbox and chat pages afterwards.
"""

from __future__ import annotations

import argparse
import os
import sys
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Dict, List, Mapping, Optional

from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import Engine
from sqlmodel import Session

from actions.acme.seed import restore_demo
from actions.acme.sqlite_backend import SqlBusiness
from actions.domain.audit import audit_entry
from actions.domain.policy import PolicyError
from actions.settings import Settings, SettingsError
from actions.store.database import make_engine
from actions.store.records import audit_row
from handoff.timers import JOBS_TABLE

DEMO_FLAG = "--yes-this-is-a-demo"
#: Conversation state a reset removes, children before parents.
CLEARED = ("otp_challenges", "request_drafts", "delivery_messages", "deliveries", "ticket_search_terms", "ticket_messages",
           "approval_phone_codes", "approval_requests", "handoff_requests", "pending_actions", "identity_links", "identity_link_requests",
           "webchat_token_claims", "inbound_messages", "channel_addresses", "phone_proofs", "voice_transfer_legs",
           "voice_transfers", "voice_speech", "voice_turns", "voice_calls", "sealed_inputs")
#: What a reset keeps. Every table of the assistant's database is in one list or the other (a test checks).
KEPT = ("audit_log", "inbox_users", "inbox_sessions", "inbox_events", "login_tries")
#: Rasa's SQL tracker store keeps every conversation's events in this table.
RASA_EVENTS_TABLE = "events"


class Refused(Exception):
    """The reset would not be safe here; the message says why and what to do."""


@dataclass(frozen=True)
class ResetReport:
    cleared: Mapping[str, int]  # table -> rows removed
    timers: int
    conversations: int  # Rasa trackers removed
    audit_entries: int  # kept, before this reset's own entry

    def lines(self) -> List[str]:
        removed = ", ".join(f"{count} {table}" for table, count in self.cleared.items() if count) or "nothing"
        return [
            "The demo business is back to its first state, dated from today.",
            f"Removed: {removed}; {self.timers} inbox timers; {self.conversations} chat conversations.",
            f"Kept: the inbox logins and the audit log's {self.audit_entries} "
            f"{'entry' if self.audit_entries == 1 else 'entries'}, plus this reset's demo_reset entry.",
            "Reload any open inbox or chat page.",
        ]


def _utcnow() -> datetime:
    return datetime.now(timezone.utc)


def main(argv: Optional[List[str]] = None, env: Mapping[str, str] = os.environ,
         now: Callable[[], datetime] = _utcnow) -> int:
    args = _parser().parse_args(argv)
    try:
        settings = Settings.from_env(env)
    except (SettingsError, PolicyError) as problem:
        print(f"the settings are wrong: {problem}", file=sys.stderr)
        return 2
    try:
        check_allowed(settings, args.yes_this_is_a_demo)
        report = reset_demo(settings, settings.tracker_db, now())
    except Refused as refused:
        print(refused, file=sys.stderr)
        return 1
    print("\n".join(report.lines()))
    return 0


def check_allowed(settings: Settings, confirmed: bool) -> None:
    if not (settings.demo or confirmed):
        raise Refused(f"Not reset: this isn't the demo (HITL_DEMO is not set). A reset deletes every order, refund, "
                      f"ticket and conversation; if this really is a demo, run it with HITL_DEMO=1 or {DEMO_FLAG} "
                      "(make reset-demo does).")
    if settings.business != "sqlite":
        raise Refused("Not reset: ACME_BACKEND=http is a real business's API, which a demo reset never touches.")


def reset_demo(settings: Settings, tracker: Path, now: datetime) -> ResetReport:
    """Reset the business, Rasa's conversations, then the assistant's state and its audit entry."""
    business = SqlBusiness(settings.business_database_url)
    try:
        business.create_all()
        restore_demo(business, now.date())
    finally:
        business.dispose()
    conversations = forget_conversations(tracker)
    engine = make_engine(settings.database_url)  # brings a new database to the latest migration
    try:
        return clear_state(engine, conversations, now)
    finally:
        engine.dispose()


def forget_conversations(tracker: Path) -> int:
    """Remove every conversation from Rasa's SQLite tracker store; how many there were."""
    if not tracker.exists():
        return 0
    engine = create_engine(f"sqlite:///{tracker}")
    try:
        with engine.begin() as connection:
            if not inspect(connection).has_table(RASA_EVENTS_TABLE):
                return 0
            count = connection.execute(text(f"SELECT COUNT(DISTINCT sender_id) FROM {RASA_EVENTS_TABLE}")).scalar_one()
            connection.execute(text(f"DELETE FROM {RASA_EVENTS_TABLE}"))
            return int(count)
    finally:
        engine.dispose()


def clear_state(engine: Engine, conversations: int, now: datetime) -> ResetReport:
    """Empty the conversation tables and the timers of their tickets and approvals, and audit
    it, in one transaction: a reset either happened and is on record, or did not happen."""
    with Session(engine) as session:
        cleared: Dict[str, int] = {}
        for table in CLEARED:
            cleared[table] = session.execute(text(f"DELETE FROM {table}")).rowcount  # type: ignore[attr-defined]
        timers = 0
        if inspect(session.connection()).has_table(JOBS_TABLE):
            timers = session.execute(  # type: ignore[attr-defined]
                text(f"DELETE FROM {JOBS_TABLE} WHERE id LIKE :tickets OR id LIKE :approvals"),
                {"tickets": "ticket:%", "approvals": "approval:%"}).rowcount
        kept = session.execute(text("SELECT COUNT(*) FROM audit_log")).scalar_one()
        report = ResetReport(cleared, timers, conversations, int(kept))
        session.add(audit_row(audit_entry(
            now, "system", "demo_reset", "-",
            detail={"cleared": dict(cleared), "timers": timers, "conversations": conversations,
                    "business": f"seeded for {now.date().isoformat()}"})))
        session.commit()
    return report


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bot.reset_demo",
        description="Put the demo's business data back to its first state and forget every conversation, "
                    "keeping the inbox logins and the audit log.")
    parser.add_argument(DEMO_FLAG, dest="yes_this_is_a_demo", action="store_true",
                        help="confirm this database is the demo's (or set HITL_DEMO=1)")
    return parser


if __name__ == "__main__":
    sys.exit(main())
