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


#: The demo people who take customers' calls, with their phones (numbers of the demo phone page, which
#: can answer them): a warm transfer rings Ali first for the agents' queue, then Sofia, then Maria.
DEMO_PHONES = {"ali": "+15550200001", "sofia": "+15550200002", "maria": "+15550200003"}


def demo_people_phones() -> List[Tuple[str, str]]:
    """(name, phone) of each demo person who takes calls: the demo phone page offers to be their phone."""
    return [(name, DEMO_PHONES[username]) for username, name, _, _ in DEMO_USERS if username in DEMO_PHONES]


def create_demo_users(store: InboxStore, now: datetime) -> List[str]:
    """Add the demo users that are missing (those with a demo phone taking calls on it); returns the
    usernames added."""
    from handoff.domain.phone_proofs import PhoneProfile
    from handoff.phone_codes import SqlPhoneCodes

    phones = SqlPhoneCodes(store.engine)
    added = []
    for username, name, role, password in DEMO_USERS:
        if store.add_user(User(username, name, role), hash_password(password), now):
            added.append(username)
            if username in DEMO_PHONES and phones.set_profile(username, PhoneProfile(DEMO_PHONES[username], "sms", False)):
                phones.set_available_by_phone(username, True)
    return added
