"""What staff read about a case: the queue row, the ticket and the approval card, in plain words.

The stored evidence pack keeps the facts and the policy's codes as they were at handoff time,
for the audit. These views turn them into words (``actions.domain.staff_words``): why it came
to a person, the customer's mood, their first words. The customer and order panels are read
live from the business when a case is opened; if it can't be reached, the snapshot is shown,
labelled with the time it was taken.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any, Dict, List, Mapping, Optional, Sequence

from actions.domain.account import Account
from actions.domain.approval import Approval
from actions.domain.business import BusinessUnavailable, Refund
from actions.domain.evidence import (
    WANTS,
    approval_flags,
    customer_panel,
    order_panel,
    recommend_approval,
)
from actions.domain.money import format_cents
from actions.domain.pending import PendingAction
from actions.domain.services import Services
from actions.domain.staff_words import (
    CaseContext,
    case_context,
    first_words,
    mood_of,
    stage_words,
    topic_words,
    why_in_words,
)
from handoff.store import InboxStore

#: Refunds on an order are read from the start of the customer's history.
SINCE_EVER = datetime(1970, 1, 1, tzinfo=timezone.utc)
#: For a request that is not a refund and was raised without advice on file.
NO_RECOMMENDATION = "No recommendation on file: decide on the request, the reasons and the customer's history."


def context_of(evidence: Mapping[str, Any], topic: Optional[str]) -> CaseContext:
    """The wording context of a stored pack: its topic, the customer's words and their mood."""
    sentiment = evidence.get("sentiment") or {}
    scored = bool(sentiment.get("window_size"))
    return case_context(topic, str(evidence.get("intent") or ""), _customer_texts(evidence),
                        sentiment.get("latest") if scored else None, sentiment.get("window_mean") if scored else None)


def row_words(evidence: Mapping[str, Any], reasons: Sequence[str], topic: Optional[str]) -> Dict[str, Any]:
    """What a queue row says: what the customer wants, in their first words, and why a person has it."""
    lines = [(str(line.get("speaker")), str(line.get("text") or "")) for line in evidence.get("transcript") or ()]
    return {
        "first_words": first_words(lines),
        "why": why_in_words(reasons, context_of(evidence, topic)),
        "mood": mood_of(evidence.get("sentiment")),
        "topic_words": topic_words(topic),
    }


def evidence_view(evidence: Mapping[str, Any], reasons: Sequence[str], topic: Optional[str]) -> Optional[Dict[str, Any]]:
    """The pack as staff read it: no policy codes, no raw scores."""
    if not evidence:
        return None
    intent = str(evidence.get("intent") or "")
    confidence = evidence.get("confidence")
    understood = None
    if intent:
        understood = WANTS.get(intent, "something the bot has no name for yet")
        if isinstance(confidence, (int, float)):
            understood += f" ({confidence:.0%} sure)"
    pending = evidence.get("pending")
    return {
        "summary": evidence.get("summary") or "",
        "understood": understood,
        "mood": mood_of(evidence.get("sentiment")),
        "why": why_in_words(reasons, context_of(evidence, topic)),
        "details": [{"label": _label(key), "value": str(value)} for key, value in (evidence.get("entities") or {}).items()],
        "transcript": list(evidence.get("transcript") or ()),
        "recommendation": evidence.get("recommendation") or "",
        "alternatives": list(evidence.get("alternatives") or ()),
        "previous_tickets": [{**t, "topic_words": topic_words(t.get("topic"))} for t in evidence.get("previous_tickets") or ()],
        "pending": {**pending, "stage_words": stage_words(pending.get("stage"))} if pending else None,
        "channel": evidence.get("channel") or "",
    }


def account_view(services: Services, customer_id: Optional[str], evidence: Mapping[str, Any], taken_at: datetime,
                 now: datetime) -> Dict[str, Any]:
    """The customer, their orders and refunds, read live; the handoff's snapshot if the business is down.

    ``live`` says which: with ``live`` false the panels show the snapshot "as of" ``as_of``.
    The refund count is over the policy's history window, the window the recommendation uses.
    """
    business, window_days = services.business, services.policy.refunds.history_window_days
    if customer_id is None:
        return {"live": True, "as_of": now.isoformat(), "customer": None, "orders": [], "recent_refunds": 0,
                "refund_window_days": window_days, "refunds": []}
    try:
        customer = business.get_customer(customer_id)
        account = Account.load(business, customer) if customer else None
        refunds = list(business.refunds_since(customer_id, SINCE_EVER)) if customer else []
    except BusinessUnavailable:
        return {"live": False, "as_of": taken_at.isoformat(), "customer": evidence.get("customer"),
                "orders": list(evidence.get("orders") or ()), "recent_refunds": int(evidence.get("recent_refunds") or 0),
                "refund_window_days": int(evidence.get("refund_window_days") or window_days), "refunds": []}
    since = now - timedelta(days=window_days)
    return {
        "live": True, "as_of": now.isoformat(), "customer": customer_panel(account),
        "orders": [order_panel(o) for o in (account.orders if account else ())],
        "recent_refunds": sum(1 for r in refunds if r.created_at >= since), "refund_window_days": window_days,
        "refunds": [_refund(r) for r in reversed(refunds)],
    }


def approval_card(store: InboxStore, services: Services, approval: Approval, pending: Optional[PendingAction],
                  evidence: Mapping[str, Any], now: datetime) -> Dict[str, Any]:
    """An approval card's evidence: the account read live, earlier requests and refunds on the same
    order, and the recommendation made from exactly those facts."""
    account = account_view(services, approval.customer_id, evidence, approval.requested_at, now)
    order_id = pending.request.params.get("order_id") if pending else None
    history = None
    if order_id is not None:
        history = {"order_id": str(order_id), "requests": _earlier_requests(store, services, approval, order_id),
                   "refunds": [r for r in account["refunds"] if r["order_id"] == str(order_id)]}
    if approval.kind == "refund":
        flags = approval_flags(approval.reasons, context_of(evidence, None))
        recommendation = recommend_approval(flags, account["recent_refunds"], account["refund_window_days"],
                                            len(history["refunds"]) if history else 0)
    else:
        recommendation = evidence.get("recommendation") or NO_RECOMMENDATION
    return {"recommendation": recommendation, "account": account, "same_order": history,
            "evidence": evidence_view(evidence, evidence.get("reasons") or approval.reasons, None)}


def _earlier_requests(store: InboxStore, services: Services, approval: Approval, order_id: object) -> List[Dict[str, Any]]:
    """The customer's requests before this one on the same order, with how each was decided."""
    earlier = []
    for other in store.approvals_of_customer(approval.customer_id):
        if other.id == approval.id or other.requested_at > approval.requested_at:
            continue
        other_pending = services.pendings.get(other.pending_id)
        if other_pending is None or other_pending.request.params.get("order_id") != order_id:
            continue
        earlier.append({
            "ref": other.ref, "amount": _money(other.amount_cents), "headline": other_pending.headline,
            "status": other.status, "requested_at": other.requested_at.isoformat(), "decided_by": other.decided_by,
            "decided_at": other.decided_at.isoformat() if other.decided_at else None,
            "reason": other.decision_reason, "new_amount": _money(other.new_amount_cents),
        })
    return earlier


def _money(amount_cents: Optional[int]) -> Optional[str]:
    return format_cents(amount_cents) if amount_cents is not None else None


def _refund(refund: Refund) -> Dict[str, Any]:
    return {"order_id": refund.order_id, "amount": format_cents(refund.amount_cents), "at": refund.created_at.isoformat()}


def _customer_texts(evidence: Mapping[str, Any]) -> List[str]:
    return [str(line.get("text") or "") for line in evidence.get("transcript") or () if line.get("speaker") == "customer"]


def _label(key: str) -> str:
    words = key.replace("_", " ").strip()
    return words[:1].upper() + words[1:]
