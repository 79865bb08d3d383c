"""Demo logins for the embedded default, one per role, created only when asked (HITL_DEMO=1)."""

from __future__ import annotations

from datetime import datetime
from typing import List, Tuple

from handoff.domain.people import Role, User
from handoff.passwords import hash_password
from handoff.store import InboxStore

#: username, name, role, password. Printed by `make run`; never enable them in production.
DEMO_USERS: List[Tuple[str, str, Role, str]] = [
    ("ali", "Ali Khan", Role.AGENT, "agent-demo-1"),
    ("sofia", "Sofia Rossi", Role.SENIOR, "senior-demo-1"),
    ("maria", "Maria Lopez", Role.MANAGER, "manager-demo-1"),
    ("david", "David Chen", Role.MANAGER, "manager-demo-2"),
    ("admin", "Alex Admin", Role.ADMIN, "admin-demo-1"),
]


def create_demo_users(store: InboxStore, now: datetime) -> List[str]:
    """Add the demo users that are missing; returns the usernames added."""
    added = []
    for username, name, role, password in DEMO_USERS:
        if store.add_user(User(username, name, role), hash_password(password), now):
            added.append(username)
    return added
