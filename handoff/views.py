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
from actions.domain.business import Business, BusinessUnavailable, Refund
from actions.domain.evidence import WANTS, customer_panel, order_panel
from actions.domain.money import format_cents
from actions.domain.staff_words import (
    CaseContext,
    case_context,
    first_words,
    mood_of,
    stage_words,
    topic_words,
    why_in_words,
)

#: Refunds on an order are read from the start of the customer's history.
SINCE_EVER = datetime(1970, 1, 1, tzinfo=timezone.utc)


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
        understood = WANTS.get(intent, "something we have no name for")
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


def account_view(business: Business, customer_id: Optional[str], evidence: Mapping[str, Any], taken_at: datetime,
                 now: datetime, window_days: int) -> Dict[str, Any]:
    """The customer, their orders and refunds, read live; the handoff's snapshot if the business is down.

    ``live`` says which: with ``live`` false the panels show the snapshot "as of" ``as_of``.
    The refund count is over the policy's history window, the window the recommendation uses.
    """
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


def earlier_on_order(order_id: Optional[str], earlier: Sequence[Mapping[str, Any]],
                     refunds: Sequence[Mapping[str, Any]]) -> Optional[Dict[str, Any]]:
    """Earlier requests and decisions on the same order, and the refunds it already had."""
    if not order_id:
        return None
    return {"order_id": order_id, "requests": list(earlier),
            "refunds": [r for r in refunds if r.get("order_id") == order_id]}


def _refund(refund: Refund) -> Dict[str, Any]:
    return {"order_id": refund.order_id, "amount": format_cents(refund.amount_cents), "at": refund.created_at.isoformat()}


def _customer_texts(evidence: Mapping[str, Any]) -> List[str]:
    return [str(line.get("text") or "") for line in evidence.get("transcript") or () if line.get("speaker") == "customer"]


def _label(key: str) -> str:
    words = key.replace("_", " ").strip()
    return words[:1].upper() + words[1:]
