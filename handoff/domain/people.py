"""Who works in the inbox, and which queues each role sees."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Tuple


class Role(str, Enum):
    AGENT = "agent"
    SENIOR = "senior"
    MANAGER = "manager"
    ADMIN = "admin"

    @property
    def with_article(self) -> str:
        """'an agent', 'a senior': the role as a message names it."""
        return f"{'an' if self.value[0] in 'aeiou' else 'a'} {self.value}"


#: The queues each role works in; a ticket outside them is invisible to the role.
QUEUES_OF: dict = {
    Role.AGENT: ("agent",),
    Role.SENIOR: ("agent", "senior"),
    Role.MANAGER: ("agent", "senior", "manager"),
    Role.ADMIN: ("agent", "senior", "manager"),
}

#: Roles that run the floor: assign work to others and close anyone's ticket.
SUPERVISORS = (Role.SENIOR, Role.MANAGER, Role.ADMIN)
#: Roles that see the approvals queue (admins read it; approving needs a limit in the policy).
APPROVAL_VIEWERS = (Role.SENIOR, Role.MANAGER, Role.ADMIN)


@dataclass(frozen=True)
class User:
    username: str
    name: str
    role: Role

    @property
    def queues(self) -> Tuple[str, ...]:
        return QUEUES_OF[self.role]

    def sees(self, queue: str) -> bool:
        return queue in self.queues

    @property
    def supervises(self) -> bool:
        return self.role in SUPERVISORS

    @property
    def sees_approvals(self) -> bool:
        return self.role in APPROVAL_VIEWERS

    def to_dict(self) -> dict:
        return {"username": self.username, "name": self.name, "role": self.role.value}
