"""A contact centre's ticket history for the inbox benchmark: ``size`` tickets on a fresh database.

About 95% are closed (at least; at most 500 wait at once, as queues do not grow with the
history), spread over two years, newest last; the rest wait in the queues (half of them claimed). Queues are mixed as a centre's would be (most with the agents, fewer with seniors
and managers), each ticket has a customer from a pool that grows with the history, an order
number, a summary and a few messages drawn from a vocabulary wide enough that a word is on a
few percent of tickets, as in real text. The closed tickets' search terms are made by the same
function a real close uses (``actions.domain.search_terms.ticket_terms``), so searches read the
same index a live inbox would. Everything is bulk-inserted in batches, from a fixed seed.
"""

from __future__ import annotations

import json
import random
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, Dict, List, Tuple

from sqlalchemy import insert, text
from sqlalchemy.engine import Engine

from actions.domain.search_terms import ticket_terms
from actions.store.tables import HandoffRow, TicketMessageRow, TicketSearchTermRow

CLOSED_SHARE = 0.95
#: A centre's queues do not grow with its history: at most this many wait at once (5% of 10k).
MAX_WAITING = 500
QUEUES = (("agent", 0.7), ("senior", 0.2), ("manager", 0.1))
HISTORY = timedelta(days=730)
WAITING_SPAN = timedelta(minutes=20)
BATCH = 2000
FIRST = ("jane", "omar", "li", "sofia", "ahmed", "maria", "john", "aisha", "noah", "emma", "ivan", "priya", "lucas",
         "mei", "david", "fatima", "kofi", "anna", "yusuf", "chloe", "mateo", "hana", "samuel", "zara", "leo")
LAST = ("doe", "haddad", "chen", "rossi", "khan", "lopez", "smith", "okafor", "garcia", "novak", "patel", "kim",
        "silva", "nguyen", "muller", "brown", "cohen", "sato", "dubois", "mensah", "ivanova", "reyes", "berg")
ITEMS = ("kettle", "toaster", "blender", "headphones", "jacket", "sofa", "lamp", "mattress", "printer", "router",
         "camera", "bicycle", "stroller", "monitor", "keyboard", "drill", "vacuum", "microwave", "heater", "speaker",
         "watch", "backpack", "tent", "guitar", "scooter", "fridge", "tablet", "charger", "desk", "chair")
PROBLEMS = ("charged twice for", "wants a refund for", "never received", "received a broken", "wants to return the",
            "asks where the", "was sent the wrong", "cannot cancel the", "complains about the late", "disputes the price of")
SAYINGS = ("Where is my {item}? It is {days} days late.", "I was charged {amount} dollars twice.",
           "The {item} arrived broken, the box was crushed.", "Please cancel order {order} today.",
           "Can I get my money back for the {item}?", "Nobody answered my email about the {item}.",
           "I want to speak to a manager about order {order}.", "The courier left the {item} outside in the rain.",
           "Thank you, that sorts it out.", "My card was declined but I was charged anyway.")
REPLIES = ("Sorry about that, I have issued a refund of {amount} dollars.", "I have reopened order {order} for you.",
           "A replacement {item} is on its way.", "I have passed this to our warehouse team.")


#: The tables the seed writes, vacuumed and analysed after it on PostgreSQL.
SEEDED_TABLES = tuple(row.__tablename__ for row in (HandoffRow, TicketMessageRow, TicketSearchTermRow))


@dataclass(frozen=True)
class Customer:
    id: str
    name: str
    phone: str


@dataclass
class Seeded:
    """What the benchmark needs to know of the history it asks about."""

    size: int
    customers: List[Customer]
    refs: List[str] = field(default_factory=list)  # closed tickets' refs
    orders: List[str] = field(default_factory=list)  # closed tickets' order numbers
    open_ids: List[str] = field(default_factory=list)  # unclaimed active tickets, oldest first
    closed_positions: List[Tuple[datetime, str]] = field(default_factory=list)  # (closed_at, id) of each
    newest: datetime = datetime.min.replace(tzinfo=timezone.utc)


def seed(engine: Engine, size: int, now: datetime, seed_value: int = 10) -> Seeded:
    """Write ``size`` tickets (already migrated ``engine``); the newest closes just before ``now``."""
    rng = random.Random(seed_value)
    customers = [Customer(f"C{n:06d}", f"{rng.choice(FIRST).title()} {rng.choice(LAST).title()}",
                          f"+1555{n:07d}") for n in range(max(100, size // 10))]
    seeded = Seeded(size, customers, newest=now)
    closed_count = size - min(size - int(size * CLOSED_SHARE), MAX_WAITING)
    start = now - HISTORY
    for first in range(0, size, BATCH):
        tickets: List[Dict[str, Any]] = []
        messages: List[Dict[str, Any]] = []
        terms: List[Dict[str, Any]] = []
        for n in range(first, min(size, first + BATCH)):
            is_closed = n < closed_count
            # the waiting ones came in over the last 20 minutes: inside their SLA, so no timer fires mid-run
            at = (start + HISTORY * (n / closed_count) if is_closed
                  else now - WAITING_SPAN * ((size - n) / max(1, size - closed_count)))
            ticket, said = _ticket(rng, customers, n, at, is_closed, seeded)
            tickets.append(ticket)
            messages += said
            if is_closed:
                found = ticket_terms(ticket["id"], ticket["conversation_id"], json.loads(ticket["evidence_json"]),
                                     [line["text"] for line in said])
                terms += [{"ticket_id": ticket["id"], "term": term, "queue": ticket["queue"],
                           "closed_at": ticket["closed_at"]} for term in found]
        with engine.begin() as connection:
            connection.execute(insert(HandoffRow), tickets)  # type: ignore[arg-type]
            connection.execute(insert(TicketMessageRow), messages)  # type: ignore[arg-type]
            if terms:
                connection.execute(insert(TicketSearchTermRow), terms)  # type: ignore[arg-type]
    if engine.dialect.name == "postgresql":
        # What autovacuum does a minute or so after a bulk load (PostgreSQL 13 and later vacuum a table
        # after many inserts too). Without statistics the planner takes the new tables for empty and
        # scans 250k messages for a page's unanswered counts (28 ms, not 0.3); without the visibility
        # map a search's index-only scans visit the table for every entry (word search p50 66 ms, not 11).
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text(f"VACUUM (ANALYZE) {', '.join(SEEDED_TABLES)}"))
    return seeded


def _ticket(rng: random.Random, customers: List[Customer], n: int, at: datetime, is_closed: bool,
            seeded: Seeded) -> Tuple[Dict[str, Any], List[Dict[str, Any]]]:
    customer = rng.choice(customers)
    queue = rng.choices([name for name, _ in QUEUES], [share for _, share in QUEUES])[0]
    item, order = rng.choice(ITEMS), str(100000 + n)
    values = {"item": item, "order": order, "amount": rng.randint(5, 900), "days": rng.randint(2, 30)}
    summary = f"{customer.name} {rng.choice(PROBLEMS)} {item} (order {order})."
    ticket_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
    created = at - timedelta(minutes=rng.randint(5, 2880)) if is_closed else at
    claimed = is_closed or rng.random() < 0.5
    evidence = {"summary": summary, "customer": {"id": customer.id, "name": customer.name, "phone": customer.phone},
                "entities": {"order_id": order}, "channel": rng.choice(("sms", "webchat", "whatsapp", "rest")),
                "transcript": [{"at": created.isoformat(), "speaker": "customer",
                                "text": rng.choice(SAYINGS).format(**values)}]}
    lines = [rng.choice(SAYINGS).format(**values) for _ in range(rng.randint(1, 2))]
    lines.append(rng.choice(REPLIES).format(**values))
    said = [{"ticket_id": ticket_id, "conversation_id": customer.phone, "at": created + timedelta(minutes=k + 1),
             "kind": "agent" if k == len(lines) - 1 else "customer", "author": "ali" if k == len(lines) - 1 else None,
             "text": text, "delivery": "delivered" if k == len(lines) - 1 else None, "channel": evidence["channel"]}
            for k, text in enumerate(lines)]
    ticket = {
        "id": ticket_id, "conversation_id": customer.phone, "customer_id": customer.id, "topic": "complaint",
        "priority": rng.choice(("normal", "normal", "high", "urgent")) if is_closed else "normal", "reasons_json": json.dumps(["human_topic"]),
        "pending_id": None, "created_at": created, "status": "closed" if is_closed else ("assigned" if claimed else "open"),
        "evidence_json": json.dumps(evidence), "queue": queue, "version": 3 if is_closed else (2 if claimed else 1),
        "assignee": "ali" if claimed else None, "queued_at": created, "claimed_at": at if claimed else None,
        "last_customer_at": None, "last_agent_at": None, "reminded_for": None, "overdue_for": None,
        "closed_at": at if is_closed else None, "outcome": "resolved" if is_closed else None,
        "resolution": "Sorted out." if is_closed else None, "customer_told": is_closed,
    }
    if is_closed:
        seeded.refs.append(ticket_id[:8].upper())
        seeded.orders.append(order)
        seeded.closed_positions.append((at, ticket_id))
    elif not claimed:
        seeded.open_ids.append(ticket_id)
    return ticket, said
