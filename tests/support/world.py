"""A complete assistant for scenario tests: real SQLite business, in-memory stores, a frozen clock.

Nothing is mocked except time: the business is the real demo backend on a temporary file,
codes are real (captured from the development outbox as a customer would read them). Codes are
queued on the one way out and sent right after the turn, as the delivery worker would; one that
could not be sent gets the bot's word about it in the same list of replies.
``make_world(tmp_path, sql=True)`` puts the stores on a migrated SQLite file instead and
keeps its engine, so the shared inbox can work on the same database as the assistant.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone
from itertools import count
from pathlib import Path
from typing import Callable, Dict, List, Optional

from sqlalchemy.engine import Engine
from sqlmodel import select

from actions.acme.models import ExecutionRow, OrderRow
from actions.acme.seed import seed_demo
from actions.acme.sqlite_backend import SqlBusiness
from actions.domain.assistant import Assistant
from actions.domain.audit import AuditEntry
from actions.domain.evidence import TranscriptLine
from actions.domain.links import client_digest
from actions.domain.messaging import SmsSender
from actions.domain.policy import RiskPolicy, load_policy
from actions.domain.services import Services
from actions.domain.sessions import customer_key
from actions.domain.step_up import StepUp
from actions.domain.stores import Stores
from actions.domain.turn import Turn
from actions.settings import PROJECT_ROOT
from actions.sms import DevOutboxSender, read_outbox
from actions.store import memory as store_memory
from actions.store import sql as store_sql
from actions.store.database import make_engine
from tests.support.codes import latest_code
from tests.support.databases import migrated_sqlite_url
from tests.support.race import race

#: The demo customers' conversations, as the channels' identity resolvers key them.
JANE = customer_key("C001")
SAM = customer_key("C002")
PRIYA = customer_key("C003")
#: Their phones on file, where codes are texted.
PHONES = {JANE: "+15550100001", SAM: "+15550100002", PRIYA: "+15550100003"}
START = datetime(2026, 11, 21, 12, 0, tzinfo=timezone.utc)
#: Keys the hashes kept of the addresses sign-ins come from.
CLIENT_SECRET = b"c" * 32

#: The request each intent stands for, as the Rasa rules route them.
REQUEST_OF_INTENT = {
    "ask_order_status": "order_status", "ask_delivery_date": "delivery_date", "ask_balance": "account_balance",
    "ask_returns_policy": "faq", "ask_opening_hours": "faq", "change_address": "change_address",
    "change_delivery_slot": "change_delivery_slot", "update_email": "update_email", "request_refund": "refund",
    "cancel_subscription": "cancel_subscription", "close_account": "close_account",
    "remove_payment_method": "remove_payment_method", "ask_legal": "handoff", "ask_medical": "handoff",
    "gdpr_request": "handoff", "complaint": "handoff", "request_human": "handoff", "out_of_scope": "handoff",
    "nlu_fallback": "fallback", "greet": "small_talk", "goodbye": "small_talk", "thankyou": "small_talk",
}


@dataclass
class FrozenClock:
    current: datetime = START

    def now(self) -> datetime:
        return self.current

    def advance(self, **delta: float) -> None:
        self.current += timedelta(**delta)


@dataclass
class World:
    assistant: Assistant
    services: Services
    business: SqlBusiness
    clock: FrozenClock
    outbox: Path
    phones: SmsSender  # what texts the codes: the development outbox, or a sender a test gives
    history: Dict[str, List[str]] = field(default_factory=dict)
    intents: Dict[str, List[str]] = field(default_factory=dict)
    transcripts: Dict[str, List[TranscriptLine]] = field(default_factory=dict)
    engine: Optional[Engine] = None  # the stores' database, with sql=True

    def say(self, who: str, text: str, intent: str, confidence: float = 0.95, *, channel: str = "",
            client: Optional[str] = None, **entities: str) -> str:
        """One customer message in conversation ``who`` (a customer's key or a visitor id); the replies as one
        text. ``client``: the network address the channel saw it come from."""
        return " ".join(self.replies(who, text, intent, confidence, channel=channel, client=client, **entities))

    def replies(self, who: str, text: str, intent: str, confidence: float = 0.95, *, channel: str = "",
                client: Optional[str] = None, **entities: str) -> List[str]:
        """One customer message; each reply as the assistant gave it (a status line stays a ``StatusLine``)."""
        texts = self.history.setdefault(who, [])
        texts.append(text)
        intents = self.intents.setdefault(who, [])
        intents.append(intent)
        fallbacks = len(intents) - len("".join("x" if i != "nlu_fallback" else " " for i in intents).rstrip())
        lines = self.transcripts.setdefault(who, [])
        lines.append(TranscriptLine(self.clock.now(), "customer", text))
        turn = Turn(
            conversation_id=who, request=REQUEST_OF_INTENT.get(intent, "reply"), intent=intent,
            confidence=confidence, text=text, entities=entities, recent_texts=tuple(texts),
            consecutive_fallbacks=fallbacks, transcript=tuple(lines), channel=channel,
            client=client_digest(CLIENT_SECRET, client) if client else None,  # as the web chat channel writes it
        )
        replies = self.assistant.handle(turn)
        replies += self.deliver_codes(who)
        lines.extend(TranscriptLine(self.clock.now(), "bot", reply) for reply in replies)
        return replies

    def deliver_codes(self, who: str) -> List[str]:
        """Send the queued codes; what the bot says (in ``who``'s conversation) of any that failed."""
        outbound = self.services.outbound
        assert isinstance(outbound, store_memory.MemoryOutbound)
        if not outbound.deliver(self.phones):
            return []
        return self.assistant.codes_not_sent(self.news(who))[0]

    def _texts_to(self, who: str) -> List[str]:
        self.services.outbound.deliver(self.phones)  # a code queued outside a turn (news after a decision) too
        return [m["body"] for m in read_outbox(self.outbox) if m["to"] == PHONES.get(who, who)]

    def news(self, who: str, channel: str = "") -> Turn:
        """The turn an inbox trigger (a hand-back, a decision) runs in, as the Rasa adapter builds it."""
        return Turn(conversation_id=who, request="news", intent="", confidence=1.0, text="", channel=channel)

    def say_at_once(self, who: str, text: str, intent: str, times: int = 2) -> List[str]:
        """The same message handled by ``times`` workers at the same moment (a real race)."""
        return race(times, lambda: self.say(who, text, intent))

    def last_code(self, who: str) -> str:
        """The latest code texted to the phone on file of ``who`` (a conversation, or a phone)."""
        self._texts_to(who)
        return latest_code(self.outbox, PHONES.get(who, who))

    def codes_sent(self, who: str) -> int:
        return len(self._texts_to(who))

    def events(self, who: str) -> List[str]:
        return [entry.event for entry in self.services.audit.entries(who)]

    def customer(self, who: str):
        return self.business.find_customer_by_phone(PHONES.get(who, who))

    def refunded(self, order_id: str) -> int:
        """Cents refunded so far on one of the demo's orders, read from the business itself."""
        with self.business.session() as session:
            order = session.get(OrderRow, order_id)
            assert order is not None, f"no order {order_id}"
            return order.refunded_cents

    def executions(self) -> List[ExecutionRow]:
        """Every action the business actually ran, one row per idempotency key."""
        with self.business.session() as session:
            return list(session.exec(select(ExecutionRow)))

    def entries(self, who: str) -> List[AuditEntry]:
        return list(self.services.audit.entries(who))


def memory_stores(tmp_path: Path) -> Stores:
    """The reference in-memory stores: fast, one process."""
    return store_memory.memory_stores()


def sql_stores(tmp_path: Path) -> Stores:
    """The SQL stores on a SQLite file, as a deployment with several workers would share them."""
    return store_sql.sql_stores(make_engine(f"sqlite:///{tmp_path / 'hitl.db'}"))


def make_world(
    tmp_path: Path,
    policy: Optional[RiskPolicy] = None,
    stores: Callable[[Path], Stores] = memory_stores,
    sms: Optional[SmsSender] = None,
    sql: bool = False,
) -> World:
    clock = FrozenClock()
    business = SqlBusiness(f"sqlite:///{tmp_path / 'acme.db'}", clock=clock.now)
    business.create_all()
    seed_demo(business, clock.now().date())
    policy = policy or load_policy(PROJECT_ROOT / "bot" / "risk_policy.yml")
    ids = count(1)
    outbox = tmp_path / "outbox.jsonl"
    engine = make_engine(migrated_sqlite_url(tmp_path / "hitl.db")) if sql else None
    # codes are queued in memory and sent after each turn (the SQL queue has the delivery worker's tests)
    chosen = replace(store_sql.sql_stores(engine) if engine else stores(tmp_path), outbound=store_memory.MemoryOutbound())
    services = Services(
        policy=policy, business=business, clock=clock, **vars(chosen),
        step_up=StepUp(policy.otp, b"p" * 32, lambda: f"ch{next(ids)}"),
        make_id=lambda: f"id{next(ids):04d}",
    )
    return World(Assistant(services), services, business, clock, outbox, sms or DevOutboxSender(outbox), engine=engine)
