"""The inbox floor for scenario tests: the real assistant and the real inbox on one database.

``make_world(sql=True)`` puts the assistant's stores on a migrated SQLite file (the demo Acme
business on another); ``Desk`` works on the same database with the demo people: Ali (agent),
Sofia (senior), Maria and David (managers) and Alex (admin). Only time is frozen. Registered
as a pytest plugin (``tests/conftest.py``), so the ``floor`` fixture is there for every test.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Iterator, List, Optional, Tuple

import pytest

from actions.domain.approval import Approval
from actions.domain.audit import AuditEntry
from actions.domain.pending import Stage
from actions.domain.policy import RiskPolicy
from actions.domain.ticket import Ticket
from handoff.demo_users import DEMO_USERS
from handoff.desk import Desk
from handoff.domain.people import User
from handoff.passwords import hash_password
from handoff.store import InboxStore
from tests.support.world import JANE, World, make_world


@lru_cache(maxsize=1)
def password_hash() -> str:
    return hash_password("desk-scenario-password")  # scrypt is slow on purpose: hash once


@dataclass
class Floor:
    """The assistant's world and the inbox the demo people work in."""

    world: World
    desk: Desk
    status_lines: List[str] = field(default_factory=list)  # "Ali joined the conversation", as sent

    @property
    def store(self) -> InboxStore:
        return self.desk.store

    def person(self, username: str) -> User:
        found = self.store.user(username)
        assert found is not None, f"no inbox user {username}"
        return found[0]

    def approval(self) -> Approval:
        """The one request waiting for a decision."""
        [waiting] = self.store.approvals(pending=True)
        return waiting

    def decided(self, approval_id: str) -> Approval:
        approval = self.store.approval(approval_id)
        assert approval is not None
        return approval

    def ticket(self) -> Ticket:
        ticket = self.store.latest_ticket(JANE)
        assert ticket is not None
        return ticket

    def executed(self) -> List[Tuple[str, int]]:
        """What the business actually ran: (kind, amount in cents) per idempotency key."""
        return [(row.kind, json.loads(row.params_json).get("amount_cents", 0)) for row in self.world.executions()]

    def stage(self, approval: Approval) -> Stage:
        pending = self.world.services.pendings.get(approval.pending_id)
        assert pending is not None
        return pending.stage

    def queued(self) -> List[Tuple[str, dict]]:
        """What waits to go to the customers, status lines aside (they go first, as a worker sends them)."""
        while self.send_status_lines():
            pass
        return [(d.kind, d.payload) for d in self.store.due_deliveries(self.world.clock.now())]

    def send_status_lines(self) -> List[str]:
        """Send the status lines at the head of each conversation's queue; the lines sent."""
        now = self.world.clock.now()
        lines = [d for d in self.store.due_deliveries(now) if d.kind == "status"]
        for line in lines:
            self.store.delivery_done(line, "sent", None, now)
        self.status_lines.extend(str(line.payload["line"]) for line in lines)
        return [str(line.payload["line"]) for line in lines]

    def approvals_told(self) -> Tuple[List[str], Optional[str]]:
        return self.world.assistant.approvals_decided(self.world.news(JANE))

    def handed_back(self) -> Tuple[List[str], Optional[str]]:
        return self.world.assistant.handed_back(self.world.news(JANE))

    def audit(self, event: str) -> List[AuditEntry]:
        return [entry for entry in self.world.entries(JANE) if entry.event == event]


def open_floor(tmp_path: Path, policy: Optional[RiskPolicy] = None) -> Iterator[Floor]:
    world = make_world(tmp_path, policy=policy, sql=True)
    assert world.engine is not None
    store = InboxStore(world.engine)
    for username, name, role, _ in DEMO_USERS:
        store.add_user(User(username, name, role), password_hash(), world.clock.now())
    yield Floor(world, Desk(store, world.services))
    world.engine.dispose()
    world.business.dispose()


@pytest.fixture
def floor(tmp_path: Path) -> Iterator[Floor]:
    yield from open_floor(tmp_path)


def jane_asks_for(floor: Floor, dollars: str, order: str = "1003") -> Approval:
    """Jane asks for a refund above the bot's limit and sends it for approval."""
    prompt = floor.world.say(JANE, f"I'd like a refund of ${dollars} for order {order}", "request_refund")
    assert "needs approval from" in prompt
    assert floor.world.say(JANE, "yes", "affirm").startswith("I've sent it to ")
    return floor.approval()
