"""The evidence pack a person gets with a handoff: enough to understand the case at a glance.

Everything in it is a fact the assistant already holds (the transcript, what the classifier
read, the reasons the policy gave, the account, the pending action). The summary and the
recommendation are composed from those facts with plain rules, so they are predictable and
never claim more than the data says.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

from actions.domain.account import Account
from actions.domain.business import Order
from actions.domain.money import format_cents
from actions.domain.pending import PendingAction
from actions.domain.risk import Decision
from actions.domain.sentiment import SentimentReading
from actions.domain.staff_words import (
    STEP_WORDS,
    CaseContext,
    case_context,
    clip,
    stage_words,
    why_in_words,
)
from actions.domain.ticket import Ticket

#: What a customer wants, by intent, as an agent would say it.
WANTS = {
    "ask_legal": "legal advice", "ask_medical": "medical advice", "gdpr_request": "a data-protection request",
    "complaint": "to make a complaint", "request_human": "to talk to a person", "out_of_scope": "help outside our services",
    "request_refund": "a refund", "cancel_subscription": "to cancel their subscription", "close_account": "to close their account",
    "remove_payment_method": "to remove a card", "change_address": "a new delivery address",
    "change_delivery_slot": "a different delivery slot", "update_email": "to change their email",
    "ask_order_status": "an order update", "ask_delivery_date": "a delivery date", "ask_balance": "their balance",
    # answers to the bot's own question (an approval is raised by the customer's YES, say)
    "affirm": "to go ahead (they said yes)", "deny": "not to go ahead", "provide_otp": "to confirm with their code",
    "change_amount": "a different amount", "inform": "to give us a detail", "resend_code": "a new code",
    "greet": "to say hello", "thankyou": "to say thanks", "goodbye": "to say goodbye",
    "ask_returns_policy": "our returns policy", "ask_opening_hours": "our opening hours",
    "nlu_fallback": "something the bot couldn't make out",
}

RECOMMENDATIONS = {
    "legal": "Don't give legal advice in chat: acknowledge the concern and pass it to the legal team with this pack.",
    "medical": "Don't give medical advice: acknowledge, suggest they speak to a doctor or pharmacist, and log the product.",
    "data_protection": "Log it as a data-protection request (30-day deadline) and confirm the customer's identity first.",
    "payment_security": "Treat it as possible fraud: verify identity, check recent charges and offer to block the card.",
    "complaint": "Apologise and own it; check the order in question and offer a fix within your limits.",
    "customer_asked_for_human": "Greet them by name and pick up from their last message.",
    "out_of_scope": "Answer briefly if you can, or say politely that it's outside what Acme can help with.",
    "execution_unconfirmed": "Check in the order system whether the action went through; retry only with the same idempotency key.",
}


@dataclass(frozen=True)
class TranscriptLine:
    at: Optional[datetime]
    speaker: str  # customer | bot | agent
    text: str


@dataclass(frozen=True)
class EvidencePack:
    summary: str
    intent: str
    confidence: float
    entities: Mapping[str, str]
    sentiment: SentimentReading
    reasons: Tuple[str, ...]
    transcript: Tuple[TranscriptLine, ...]
    customer: Optional[Mapping[str, Any]]
    orders: Tuple[Mapping[str, Any], ...]
    recent_refunds: int
    previous_tickets: Tuple[Mapping[str, Any], ...]
    pending: Optional[Mapping[str, Any]]
    recommendation: str
    alternatives: Tuple[str, ...] = field(default_factory=tuple)
    channel: str = ""  # where the customer was talking when it was handed over (Rasa's channel name)
    refund_window_days: int = 30  # the window ``recent_refunds`` counts over (the policy's history window)

    def to_dict(self) -> Dict[str, Any]:
        """JSON-ready: datetimes as ISO 8601 text."""
        data = asdict(self)
        data["transcript"] = [
            {**line, "at": line["at"].isoformat() if line["at"] else None} for line in data["transcript"]
        ]
        data["previous_tickets"] = [
            {**ticket, "created_at": ticket["created_at"].isoformat()} for ticket in data["previous_tickets"]
        ]
        return data


def build_evidence(
    *,
    conversation_id: str,
    intent: str,
    confidence: float,
    text: str,
    entities: Mapping[str, str],
    transcript: Sequence[TranscriptLine],
    sentiment: SentimentReading,
    decision: Decision,
    account: Optional[Account],
    recent_refunds: int,
    refund_window_days: int = 30,
    channel: str = "",
    previous: Sequence[Ticket],
    pending: Optional[PendingAction],
) -> EvidencePack:
    customer_texts = [line.text for line in transcript if line.speaker == "customer"] + [text]
    scores = (sentiment.latest, sentiment.window_mean) if sentiment.window_size else (None, None)
    context = case_context(decision.topic, intent, customer_texts, *scores)
    return EvidencePack(
        summary=_summary(conversation_id, intent, text, decision, context, account, pending, recent_refunds,
                         refund_window_days),
        channel=channel,
        intent=intent,
        confidence=round(confidence, 3),
        entities=dict(entities),
        sentiment=sentiment,
        reasons=tuple(r.text for r in decision.reasons),
        transcript=tuple(transcript),
        customer=customer_panel(account),
        orders=tuple(order_panel(o) for o in (account.orders if account else ())),
        recent_refunds=recent_refunds,
        refund_window_days=refund_window_days,
        previous_tickets=tuple(
            {"id": t.id, "topic": t.topic, "priority": t.priority, "status": t.status, "created_at": t.created_at}
            for t in previous
        ),
        pending=_pending(pending),
        recommendation=_recommendation(decision, context, intent, confidence, pending, recent_refunds,
                                       refund_window_days),
        alternatives=_alternatives(decision, context, pending),
    )


def recommend_approval(flags: Sequence[str], refunds_in_window: int, window_days: int,
                       earlier_refunds_on_order: int = 0) -> str:
    """The advice on an approval card, from exactly the facts the card shows beside it.

    ``flags`` are the reasons other than the amount, in staff words; ``refunds_in_window`` is the
    count the card shows for the same ``window_days``; ``earlier_refunds_on_order`` the refunds it
    lists on the same order. "Approve" only when none of them gives a reason to look twice.
    """
    if not flags and refunds_in_window == 0 and earlier_refunds_on_order == 0:
        return (f"Approve: the only flag is the amount; the order is in the returns window and there were "
                f"no refunds in the last {window_days} days.")
    seen = [f"{_count(refunds_in_window, 'refund')} in the last {window_days} days"] if refunds_in_window else []
    if earlier_refunds_on_order:
        seen.append(f"{_count(earlier_refunds_on_order, 'earlier refund')} on this order")
    parts = ([f"also flagged: {'; '.join(flags)}"] if flags else []) + ([f"they had {' and '.join(seen)}"] if seen else [])
    return f"Check before approving: {'; '.join(parts)}. Look at the order and the refund history."


def approval_flags(reasons: Sequence[str], context: CaseContext) -> List[str]:
    """An approval's reasons other than the amount and the refund history, in staff words: the
    recommendation states those from the facts the card shows, not from the flag."""
    skip = ("amount_above_approval_limit", "refund_history")
    return why_in_words([r for r in reasons if r.partition(":")[0] not in skip], context)


def _count(n: int, noun: str) -> str:
    return f"{'one' if n == 1 else n} {noun}{'' if n == 1 else 's'}"


def _summary(conversation_id: str, intent: str, text: str, decision: Decision, context: CaseContext,
             account: Optional[Account], pending: Optional[PendingAction], recent_refunds: int,
             refund_window_days: int) -> str:
    who = f"{account.customer.name} ({account.customer.phone})" if account else f"An unknown customer ({conversation_id})"
    if decision.outcome == "approval" and pending:
        why = "; ".join(r.detail for r in decision.reasons if r.outcome == "approval") or "the policy asks for it"
        return "\n".join([
            f"{who} asked for: {pending.headline}, and confirmed it in the chat.",
            f"Needs approval because {why}.",
            f"Refunds in the last {refund_window_days} days: {recent_refunds}. Nothing has been done yet.",
        ])
    reasons = [r.text for r in decision.reasons if r.outcome == "handoff"]
    unconfirmed = decision.topic == "execution_unconfirmed"
    want = WANTS.get(intent)
    lines = [f"{who} wants {want}: \"{clip(text)}\"." if want else f"{who} wrote: \"{clip(text)}\"."]
    why = "; ".join(why_in_words(reasons, context)) or "the bot passes this kind of request to a person"
    lines.append(f"Handed over: {why}.")
    if pending and unconfirmed:
        lines.append(f"Unknown whether this ran: {pending.headline} (idempotency key {pending.idempotency_key}).")
    elif pending:
        lines.append(f"Waiting on the bot's proposal, not done: {pending.headline} ({stage_words(pending.stage.value)}).")
    elif context.mood in ("upset", "angry"):
        lines.append(f"Mood: {context.mood}.")
    return "\n".join(lines)


def _recommendation(decision: Decision, context: CaseContext, intent: str, confidence: float,
                    pending: Optional[PendingAction], recent_refunds: int, refund_window_days: int) -> str:
    codes = {r.code for r in decision.reasons}
    if decision.outcome == "approval":
        reasons = [r.text for r in decision.reasons if r.outcome == "approval"]
        return recommend_approval(approval_flags(reasons, context), recent_refunds, refund_window_days)
    advice: List[str] = []
    if decision.topic in RECOMMENDATIONS:
        advice.append(RECOMMENDATIONS[decision.topic])
    if "low_confidence" in codes:
        took = f"as wanting {WANTS[intent]}" if intent in WANTS else "as something else"
        advice.append(f"Confirm what they need: the bot took it {took}, but was only {confidence:.0%} sure.")
    if "repeated_fallback" in codes:
        advice.append("The bot didn't understand them several times: read the transcript and ask one clear question.")
    if "negative_sentiment" in codes:
        advice.append("They're upset: acknowledge that first, before any process.")
    if pending and decision.topic != "execution_unconfirmed":
        advice.append(f"Their pending request is not done: {pending.headline}. Confirm or cancel it with them.")
    return " ".join(advice) or RECOMMENDATIONS["customer_asked_for_human"]


def _alternatives(decision: Decision, context: CaseContext, pending: Optional[PendingAction]) -> Tuple[str, ...]:
    if decision.outcome == "approval":
        options = [f"Run it on the customer's word alone: ruled out ({r.detail})."
                   for r in decision.reasons if r.outcome == "approval"]
        return tuple(options + ["Approve a lower amount: the customer is asked to confirm it again (Modify).",
                                "Reject it: the customer is told the reason and nothing changes."])
    handoff = [r.text for r in decision.reasons if r.outcome == "handoff"]
    options = [f"Carry on with the bot: ruled out ({why})." for why in why_in_words(handoff, context)]
    steps = {r.outcome for r in decision.reasons if r.outcome in STEP_WORDS}
    options += [f"{STEP_WORDS[step]}: overridden by the handoff." for step in sorted(steps)]
    if pending:
        options.append(f"Finish the pending request ({pending.headline}) without a person: held for you.")
    return tuple(options)


def customer_panel(account: Optional[Account]) -> Optional[Mapping[str, Any]]:
    """The customer as the inbox's panel shows them."""
    if account is None:
        return None
    c = account.customer
    return {"id": c.id, "name": c.name, "phone": c.phone, "email": c.email, "status": c.status,
            "balance": format_cents(c.balance_cents),
            "subscriptions": [f"{s.plan} ({s.status})" for s in account.subscriptions]}


def order_panel(order: Order) -> Mapping[str, Any]:
    """One order as the inbox's panel shows it."""
    return {"id": order.id, "item": order.item, "total": format_cents(order.total_cents), "status": order.status,
            "refunded": format_cents(order.refunded_cents), "placed_on": order.placed_on.isoformat()}


def _pending(pending: Optional[PendingAction]) -> Optional[Mapping[str, Any]]:
    if pending is None:
        return None
    return {"id": pending.id, "headline": pending.headline, "summary": pending.summary, "stage": pending.stage.value,
            "tier": pending.tier, "amount": format_cents(pending.amount_cents) if pending.amount_cents else None,
            "idempotency_key": pending.idempotency_key}
