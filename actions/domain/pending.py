"""A proposed action waiting for sign-off: propose -> (confirm | OTP | approval) -> commit.

The idempotency key is minted when the action is proposed, so however many times the
sign-off arrives, and from however many workers, the business runs it once. The digest
pins down exactly what was signed: if the action changes, it gets a new digest and any
code or approval for the old one no longer fits.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import Optional, Tuple

from actions.domain.business import ActionRequest


class Stage(str, Enum):
    CONFIRM = "confirm"  # waiting for the customer's YES
    OTP = "otp"  # waiting for the one-time code
    APPROVAL = "approval"  # waiting for a manager
    EXECUTING = "executing"  # claimed by one worker, running now
    DONE = "done"
    CANCELLED = "cancelled"
    EXPIRED = "expired"
    FAILED = "failed"
    WITH_AGENT = "with_agent"  # handed to a person together with the conversation


#: Stages in which the customer's next message is an answer to this action.
AWAITING_CUSTOMER = (Stage.CONFIRM, Stage.OTP)
#: Stages from which an action may be claimed for execution. WITH_AGENT: a person signs it off
#: in the inbox (or re-runs, under the same key, one whose outcome was unconfirmed).
SIGNABLE = (Stage.CONFIRM, Stage.OTP, Stage.APPROVAL, Stage.WITH_AGENT)
#: Stages signed off by people, whose timing is not the customer's confirmation window.
SIGNED_BY_PEOPLE = (Stage.APPROVAL, Stage.WITH_AGENT)


@dataclass(frozen=True)
class PendingAction:
    id: str
    conversation_id: str
    customer_id: str
    request: ActionRequest
    headline: str  # what will be done, e.g. "Refund $42.50 to your Visa ending 4242 for order 1001"
    summary: str  # what, why and the impact: the text the customer signs off
    outcome: str
    tier: str
    reasons: Tuple[str, ...]
    policy_version: str
    idempotency_key: str
    digest: str
    stage: Stage
    created_at: datetime
    expires_at: datetime
    amount_cents: Optional[int] = None
    unclear_replies: int = 0
    result_message: Optional[str] = None
    claimed_at: Optional[datetime] = None  # when a worker took it for execution

    def is_expired(self, now: datetime) -> bool:
        return now >= self.expires_at


def action_digest(request: ActionRequest) -> str:
    """A stable fingerprint of what exactly will be done."""
    canonical = json.dumps(
        {"kind": request.kind, "customer_id": request.customer_id, "params": dict(request.params)},
        sort_keys=True,
        separators=(",", ":"),
    )
    return hashlib.sha256(canonical.encode()).hexdigest()
