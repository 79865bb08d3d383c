"""What every part of the assistant works a turn with: the customer and their mood, the
policy's check, a new pending action, and the evidence pack a person reads.

``TurnRouting``, ``HandingOver`` and ``DecisionNews`` build on ``AssistantCore``; ``Assistant``
is all of them together.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Optional

from actions.domain.account import Account
from actions.domain.business import Customer
from actions.domain.evidence import EvidencePack, build_evidence
from actions.domain.pending import PendingAction, Stage, action_digest
from actions.domain.proposals import Proposal
from actions.domain.risk import Decision, Signals, assess
from actions.domain.sentiment import SentimentReading, read_sentiment
from actions.domain.services import Services
from actions.domain.identify import Identify
from actions.domain.signoff import SignOff
from actions.domain.turn import Turn


@dataclass(frozen=True)
class TurnContext:
    turn: Turn
    customer: Optional[Customer]
    sentiment: SentimentReading  # of the recent messages, scored once per turn


class AssistantCore:
    """The services, the sign-off steps, and the readings every part of the assistant shares."""

    def __init__(self, services: Services) -> None:
        self.s = services
        self.signoff = SignOff(services)
        self.identify = Identify(services)

    def _context(self, turn: Turn, customer_id: Optional[str] = None) -> TurnContext:
        """The turn with its customer: ``customer_id`` when the news is about a known customer's case."""
        if customer_id:
            customer = self.s.business.get_customer(customer_id)
        else:
            customer = self.s.business.get_customer(turn.customer_id) if turn.customer_id else None
        return TurnContext(turn, customer, read_sentiment(turn.recent_texts or (turn.text,), self.s.policy.sentiment_window))

    def _assess(self, ctx: TurnContext, kind: str, **facts: object) -> Decision:
        turn = ctx.turn
        return assess(Signals(
            request=kind, intent=turn.intent, confidence=turn.confidence, text=turn.text,
            sentiment=ctx.sentiment, consecutive_fallbacks=turn.consecutive_fallbacks, **facts,  # type: ignore[arg-type]
        ), self.s.policy)

    def _recent_refunds(self, customer_id: str) -> int:
        """Refunds in the policy's history window: a signal for the check and a fact for a person."""
        since = self.s.clock.now() - timedelta(days=self.s.policy.refunds.history_window_days)
        return len(self.s.business.refunds_since(customer_id, since))

    def _new_pending(self, ctx: TurnContext, proposal: Proposal, decision: Decision, stage: Stage) -> PendingAction:
        assert ctx.customer is not None
        now = self.s.clock.now()
        pending = PendingAction(
            id=self.s.make_id(),
            conversation_id=ctx.turn.conversation_id,
            customer_id=ctx.customer.id,
            request=proposal.request,
            headline=proposal.what,
            summary=proposal.sentence(),
            outcome=decision.outcome,
            tier=decision.tier,
            reasons=tuple(r.text for r in decision.reasons),
            policy_version=decision.policy_version,
            idempotency_key=self.s.make_id(),
            digest=action_digest(proposal.request),
            stage=stage,
            created_at=now,
            expires_at=now + self.s.policy.confirmation_expiry,
            amount_cents=proposal.amount_cents,
        )
        self.s.pendings.add(pending)
        return pending

    def _evidence(self, ctx: TurnContext, decision: Decision, pending: Optional[PendingAction]) -> EvidencePack:
        turn = ctx.turn
        account = Account.load(self.s.business, ctx.customer) if ctx.customer else None
        return build_evidence(
            conversation_id=turn.conversation_id, intent=turn.intent, confidence=turn.confidence, text=turn.written_text,
            entities=turn.entities, transcript=turn.transcript,
            sentiment=ctx.sentiment, decision=decision, account=account,
            recent_refunds=self._recent_refunds(ctx.customer.id) if ctx.customer else 0,
            refund_window_days=self.s.policy.refunds.history_window_days, channel=turn.channel,
            previous=self.s.handoffs.for_customer(ctx.customer.id) if ctx.customer else (),
            pending=pending,
        )
