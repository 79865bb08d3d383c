"""Who may sign off an action in the inbox: in the approvals queue, or by handing the ticket
back "approved" while the action waits with the person who holds it.

One rule for both places. An action with an amount (a refund) is signed off within the role's
limit (``approvals.limits``); one without (a cancellation, an address change) by the roles
``approvals.sign_off`` names for its kind; an admin signs off nothing, ever. A refusal says who
may instead, so the person knows whom to ask, and the caller audits it.
"""

from __future__ import annotations

from typing import Optional, Tuple

from actions.domain.money import format_cents
from actions.domain.pending import PendingAction
from actions.domain.policy import APPROVER_ROLES, ApprovalRules, RiskPolicy
from handoff.domain.errors import Forbidden, InboxError
from handoff.domain.people import Role, User

#: How a refusal names an action without an amount.
KIND_NAMES = {
    "change_address": "an address change",
    "change_delivery_slot": "a delivery slot change",
    "update_email": "an email change",
    "cancel_subscription": "a subscription cancellation",
    "close_account": "an account closure",
    "remove_payment_method": "a card removal",
}
#: Roles that decide in the approvals queue (agents don't work it).
APPROVERS_QUEUE = ("senior", "manager")


def signers(kind: str, amount_cents: Optional[int], rules: ApprovalRules) -> Tuple[str, ...]:
    """The roles that may sign this action off alone (none above every limit: two managers then)."""
    if amount_cents is None:
        return tuple(role for role in APPROVER_ROLES if role in rules.signers_of(kind))
    return tuple(role for role in APPROVER_ROLES if role in rules.limits_cents and amount_cents <= rules.limits_cents[role])


def who_may(kind: str, amount_cents: Optional[int], rules: ApprovalRules) -> str:
    """'a senior or a manager may sign off a subscription cancellation', for refusals."""
    what = KIND_NAMES.get(kind, kind.replace("_", " ")) if amount_cents is None else format_cents(amount_cents)
    roles = signers(kind, amount_cents, rules)
    if not roles:
        return f"two managers must approve {what}" if amount_cents is not None else \
            f"nobody in the inbox may sign off {what} (the policy names no role)"
    named = [Role(role).with_article for role in roles]
    either = named[0] if len(named) == 1 else f"{', '.join(named[:-1])} or {named[-1]}"
    return f"{either} may {'approve' if amount_cents is not None else 'sign off'} {what}"


def refusal(role: Role, kind: str, amount_cents: Optional[int], rules: ApprovalRules,
            second_signature: bool = False) -> Optional[str]:
    """Why ``role`` may not sign off this action, whoever asks; None if it may.

    ``second_signature``: in the approvals queue a manager's approval above every limit counts
    as one of the two needed; at hand-back one person alone can't give both.
    """
    if role is Role.ADMIN:
        return f"an admin approves nothing: {who_may(kind, amount_cents, rules)}"
    if amount_cents is None:
        if role.value in rules.signers_of(kind):
            return None
        return f"{role.with_article} can't sign this off: {who_may(kind, amount_cents, rules)}"
    if role.value not in rules.limits_cents:
        return f"{role.with_article} has no approval limit: {who_may(kind, amount_cents, rules)}"
    limit = rules.limit_of(role.value)
    if amount_cents <= limit:
        return None
    if second_signature and role is Role.MANAGER and amount_cents > rules.top_limit_cents:
        return None  # one of the two manager approvals
    return f"{format_cents(amount_cents)} is above your {format_cents(limit)} limit"


def notice_refusal(role: Role, rules: ApprovalRules) -> Optional[str]:
    """Why ``role`` may not take approval notices by phone (nor set a number for them); None if it may.

    Notices go to the people who decide in the approvals queue, and only if the policy lets their
    role sign something off there (a limit, or a kind it signs off).
    """
    if role is Role.ADMIN:
        return "an admin approves nothing, so gets no approval notices"
    if role.value not in APPROVERS_QUEUE:
        return (f"approval notices are for the people who decide in the approvals queue (seniors and managers): "
                f"{role.with_article} signs off only when handing a ticket back, in the inbox")
    if role.value not in rules.limits_cents and not any(role.value in roles for roles in rules.sign_off.values()):
        return f"the policy lets {role.with_article} sign off nothing, so there are no approval notices to take"
    return None


def hand_back_refusal(user: User, pending: PendingAction, policy: RiskPolicy) -> Optional[InboxError]:
    """Why ``user``, who holds the ticket, may not hand back "approved" on the action waiting
    with them, as the error to raise (a Forbidden is a refusal to audit); None if they may.

    An action whose run was never confirmed was signed off already: re-running it under its own
    key is no new sign-off, and tells whether the first run went through; still not for admins.
    """
    kind, amount, rules = pending.request.kind, pending.amount_cents, policy.approvals
    why = refusal(user.role, kind, amount, rules)
    if why and user.role is Role.ADMIN:  # before anything else: not even a re-run
        return Forbidden(f"{why}; {_next_step(kind, amount, rules)}")
    if pending.claimed_at is not None:
        return None
    if policy.actions.get(kind) == "otp":
        return InboxError("this action needs the customer's one-time code: hand back with 'continue' and the bot will send it")
    if pending.outcome == "approval":
        return InboxError("this action needs someone else's approval (four eyes): use Request approval")
    return Forbidden(f"{why}; {_next_step(kind, amount, rules)}") if why else None


def _next_step(kind: str, amount_cents: Optional[int], rules: ApprovalRules) -> str:
    roles = signers(kind, amount_cents, rules)
    if amount_cents is None and not roles:
        return "hand back with 'continue' so the customer confirms it"
    if amount_cents is not None or set(roles) & set(APPROVERS_QUEUE):
        return "use Request approval"
    return "assign the ticket to one of them"
