"""Handing a conversation to people: a ticket with the evidence, in the queue the policy names.

Tells the customer their place in the queue; closes the ticket when they no longer need help.
Also raises a waiting ticket's priority when the customer's next words make it more urgent,
and opens an urgent check when the business did not confirm whether an action ran.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import List, Optional

from actions.domain.pending import AWAITING_CUSTOMER, PendingAction, Stage
from actions.domain.policy import PRIORITIES
from actions.domain.proposals import Proposal
from actions.domain.risk import Decision, Reason
from actions.domain.signoff import OutcomeUnknown
from actions.domain.staff_words import case_context, why_in_words
from actions.domain.ticket import Ticket, new_ticket
from actions.domain.turn import Turn
from actions.domain.turn_context import AssistantCore, TurnContext
from actions.domain.waiting import queued_line


class HandingOver(AssistantCore):
    """Tickets for people: raised, made more urgent, or opened to check an unconfirmed run."""

    def _withdraw(self, turn: Turn, ticket: Ticket) -> List[str]:
        """The customer no longer needs a person: the ticket closes as withdrawn, and whatever it
        held goes back to nobody (nothing runs without the customer asking again)."""
        if not self.s.handoffs.withdraw(ticket.id, self.s.clock.now()):
            return []  # people closed it meanwhile: their hand-back tells the customer
        pending = self.s.pendings.get(ticket.pending_id) if ticket.pending_id else None
        if pending and self.s.pendings.move(pending.id, (Stage.WITH_AGENT,), Stage.CANCELLED):
            self.s.record("pending_withdrawn", turn.conversation_id, actor="customer", pending=pending)
        self.s.record("handoff_withdrawn", turn.conversation_id, actor="customer", customer_id=ticket.customer_id,
                      handoff_id=ticket.id)
        return ["Okay, I've let our customer care team know you no longer need help, so nobody will follow up on "
                "this. You're back with me, the Acme assistant: what else can I do for you?"]

    def _more_urgent(self, turn: Turn, ticket: Ticket) -> None:
        """A message to people who haven't answered yet may change how urgent it is ("my card was stolen")."""
        ctx = self._context(turn)
        decision = self._assess(ctx, "conversation")
        if decision.outcome != "handoff" or decision.priority not in PRIORITIES:
            return
        context = case_context(decision.topic, turn.intent, turn.recent_texts, ctx.sentiment.latest,
                               ctx.sentiment.window_mean)
        why = "; ".join(why_in_words([r.text for r in decision.reasons if r.outcome == "handoff"], context))
        if self.s.handoffs.raise_priority(ticket.id, decision.priority, why, self.s.clock.now()):
            self.s.record("ticket_priority_raised", turn.conversation_id, customer_id=ticket.customer_id,
                          decision=decision, handoff_id=ticket.id, priority=decision.priority)

    def _handoff(self, ctx: TurnContext, decision: Decision, pending: Optional[PendingAction],
                 proposal: Optional[Proposal] = None) -> List[str]:
        turn = ctx.turn
        if decision.outcome != "handoff":
            decision = replace(decision, outcome="handoff", tier="human", reasons=decision.reasons + (
                Reason("routed_to_person", "handoff", f"{turn.intent} is handled by a person"),))
        if pending and self.s.pendings.move(pending.id, AWAITING_CUSTOMER, Stage.WITH_AGENT):
            self.s.record("pending_with_agent", turn.conversation_id, pending=pending)
            pending = self.s.pendings.get(pending.id)
        if proposal and ctx.customer:
            pending = self._new_pending(ctx, proposal, decision, Stage.WITH_AGENT)
        self.s.drafts.clear(turn.conversation_id)
        existing = self.s.handoffs.open_for(turn.conversation_id)
        if existing:
            self.s.record("handoff_already_open", turn.conversation_id, decision=decision, handoff_id=existing.id)
            return ["A specialist already has your conversation and can see everything we've discussed. They'll reply right here."]
        topic = decision.topic or turn.intent
        ticket = new_ticket(
            self.s.policy.inbox, id=self.s.make_id(), conversation_id=turn.conversation_id,
            customer_id=ctx.customer.id if ctx.customer else None, topic=topic, priority=decision.priority,
            reasons=tuple(r.text for r in decision.reasons if r.outcome == "handoff"),
            pending_id=pending.id if pending else None, at=self.s.clock.now(),
            evidence=self._evidence(ctx, decision, pending).to_dict(),
        )
        self.s.handoffs.add(ticket)
        self.s.record("handoff_requested", turn.conversation_id, customer_id=ticket.customer_id, pending=pending,
                      decision=decision, handoff_id=ticket.id, priority=ticket.priority, topic=ticket.topic,
                      intent=turn.intent, confidence=round(turn.confidence, 3))
        return [
            "I'm bringing in a specialist from our customer care team for this. They'll see our whole conversation, "
            "so you won't need to repeat anything, and they'll reply right here.",
            queued_line(self.s.policy.inbox.sla[ticket.priority].claim, self.s.handoffs.waiting_ahead(ticket),
                        back=self._back_when(ticket.created_at)),
        ]

    def _back_when(self, at: datetime) -> Optional[str]:
        """Outside opening hours, when people are back ("tomorrow at 9 am"); None while they are in."""
        hours = self.s.policy.opening_hours
        return None if hours.is_open(at) else hours.when_people_reply(at)

    def _check_by_a_person(self, ctx: TurnContext, unknown: OutcomeUnknown) -> List[str]:
        """An action may or may not have run: an urgent ticket, with the evidence, under the same key."""
        reason = Reason("execution_unconfirmed", "handoff",
                        f"the business did not confirm '{unknown.pending.headline}' ({unknown.detail})")
        decision = Decision("handoff", "human", (reason,), unknown.pending.policy_version,
                            priority="urgent", topic="execution_unconfirmed")
        self._handoff(ctx, decision, self.s.pendings.get(unknown.pending.id))
        return [
            "Our account system didn't confirm whether this went through, so a specialist is checking it now. "
            "It will not be done twice, and you don't need to ask again: we'll message you here."
        ]
