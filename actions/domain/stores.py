"""What the assistant needs from persistence, as interfaces (implemented in ``actions.store``).

Every state change that two workers could race on is a compare-and-set: the store applies
it only if the row is still in the state the caller read, and says whether it did.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Mapping, Optional, Protocol, Sequence

from actions.domain.audit import AuditLog
from actions.domain.business import ParamValue
from actions.domain.handoff import ApprovalQueue, HandoffQueue
from actions.domain.links import IdentityLinkStore
from actions.domain.outbound import Outbound
from actions.domain.sealed import SealedInputs
from actions.domain.pending import PendingAction, Stage
from actions.domain.step_up import OtpChallenge


class PendingStore(Protocol):
    def add(self, pending: PendingAction) -> None: ...

    def get(self, pending_id: str) -> Optional[PendingAction]: ...

    def awaiting_customer(self, conversation_id: str) -> Optional[PendingAction]:
        """The newest action in the confirm or OTP stage for this conversation."""
        ...

    def move(self, pending_id: str, from_stages: Sequence[Stage], to: Stage, result_message: Optional[str] = None,
             claimed_at: Optional[datetime] = None) -> bool:
        """Set the stage if it is currently one of ``from_stages``; True if this call did it.

        ``claimed_at`` is recorded when a worker takes the action for execution.
        """
        ...

    def stuck_executing(self, conversation_id: str, claimed_before: datetime) -> Sequence[PendingAction]:
        """Actions of this conversation claimed for execution before ``claimed_before`` and never finished."""
        ...

    def finished_since(self, conversation_id: str, since: datetime) -> Optional[PendingAction]:
        """The newest action of this conversation run (done or refused) from a claim at or after ``since``."""
        ...

    def code_prompt_live_since(self, conversation_id: str, since: datetime) -> bool:
        """Whether an action of this conversation asked for a code that was still live at ``since`` or
        later (``actions.domain.sealed``: a code sent again after the step is still sealed)."""
        ...

    def add_unclear_reply(self, pending_id: str) -> int:
        """Count one more unclear answer; returns the new count."""
        ...


class ChallengeStore(Protocol):
    def add(self, challenge: OtpChallenge) -> None: ...

    def current(self, pending_id: str) -> Optional[OtpChallenge]:
        """The latest challenge issued for the action, whatever its status."""
        ...

    def update(self, before: OtpChallenge, after: OtpChallenge) -> bool:
        """Store ``after`` only if the row still has ``before``'s status and attempts."""
        ...


@dataclass(frozen=True)
class Draft:
    """A request still missing a detail (which order? which address?), kept between turns."""

    request: str
    fields: Mapping[str, ParamValue] = field(default_factory=dict)
    missing: str = ""


class DraftStore(Protocol):
    def get(self, conversation_id: str) -> Optional[Draft]: ...

    def put(self, conversation_id: str, draft: Draft) -> None: ...

    def clear(self, conversation_id: str) -> None: ...


@dataclass(frozen=True)
class Stores:
    """The assistant's persistence, one object per concept, all on the same backend."""

    pendings: PendingStore
    challenges: ChallengeStore
    drafts: DraftStore
    audit: AuditLog
    handoffs: HandoffQueue
    approvals: ApprovalQueue
    links: IdentityLinkStore
    outbound: Outbound
    sealed: SealedInputs
