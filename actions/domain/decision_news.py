"""News after people decided: what the bot says when a ticket is handed back or an approval
request is decided (or lapses), and how the conversation carries on from there.
"""

from __future__ import annotations

from dataclasses import replace
from typing import List, Optional, Tuple

from actions.domain.account import Account
from actions.domain.approval import Approval
from actions.domain.money import format_cents
from actions.domain.pending import PendingAction, Stage
from actions.domain.policy import describe_duration
from actions.domain.proposals import Proposal, propose
from actions.domain.risk import Decision, Reason
from actions.domain.signoff import approval_prompt, confirm_prompt, otp_prompt
from actions.domain.turn import Turn
from actions.domain.turn_context import TurnContext
from actions.domain.turn_routing import TurnRouting, same_refund

ANYTHING_ELSE = "Is there anything else I can help you with?"


class DecisionNews(TurnRouting):
    """What people decided, told once, and the conversation picked up where it stands."""

    def handed_back(self, turn: Turn) -> Tuple[List[str], Optional[str]]:
        """People handed the conversation back: say how it ended and carry on. Returns the outcome too.

        Decisions on approvals taken while people had the conversation are told now as well.
        """
        ticket = self.s.handoffs.take_untold(turn.conversation_id)
        if ticket is None:
            return [], None
        pending = self.s.pendings.get(ticket.pending_id) if ticket.pending_id else None
        self.s.record("handback_told", turn.conversation_id, customer_id=ticket.customer_id, pending=pending,
                      handoff_id=ticket.id, handback_outcome=ticket.outcome)
        decisions = self._approval_news(turn)
        if ticket.outcome == "approved" and pending:
            if pending.stage in (Stage.DONE, Stage.FAILED):
                return [f"Your specialist approved it. {pending.result_message}", *decisions, ANYTHING_ELSE], ticket.outcome
            return [f"Your specialist approved it ({pending.headline}); I'll confirm here as soon as it's done.",
                    *decisions], ticket.outcome
        if ticket.outcome == "rejected" and pending:
            return [f"Your specialist looked at your request ({pending.headline}) and couldn't approve it: "
                    f"{ticket.resolution}. Nothing was changed.", *decisions, ANYTHING_ELSE], ticket.outcome
        if ticket.outcome == "continue":
            messages = ["Thanks for bearing with us. You're back with me, the Acme assistant, and I have the whole conversation.",
                        *decisions]
            if pending and pending.stage is Stage.WITH_AGENT and pending.claimed_at is None:
                messages += self._propose_again(self._context(turn, ticket.customer_id), pending)
            else:
                messages.append("What would you like to do next?")
            return messages, ticket.outcome
        return ["Thanks for your patience. Your specialist has finished helping you here.", *decisions,
                ANYTHING_ELSE], ticket.outcome

    def approvals_decided(self, turn: Turn) -> Tuple[List[str], Optional[str]]:
        """Tell the customer what became of requests that were decided (or lapsed).

        Not while people have the conversation: the bot stays silent then, and the news is
        told when they hand it back.
        """
        if self.s.handoffs.open_for(turn.conversation_id) is not None:
            return [], None
        statuses: List[str] = []
        messages = self._approval_news(turn, statuses)
        if not messages:
            return [], None
        waiting = self.s.pendings.awaiting_customer(turn.conversation_id)  # a question is open: don't talk over it
        return (messages if waiting else messages + [ANYTHING_ELSE]), statuses[-1]

    def codes_not_sent(self, turn: Turn) -> Tuple[List[str], Optional[str]]:
        """Codes the delivery worker could not send (``actions.domain.outbound``): each told once.

        A waiting action's code: the action is cancelled and the customer told. A sign-in's
        code: only on record (``Identify.code_not_sent``).
        """
        told = {entry.detail.get("challenge_id") for entry in self.s.audit.entries(turn.conversation_id)
                if entry.event == "otp_delivery_failed"}
        messages: List[str] = []
        for failed in self.s.outbound.undelivered(turn.conversation_id):
            if failed.challenge_id in told:
                continue
            told.add(failed.challenge_id)
            about_action = self.signoff.code_not_sent(failed)
            messages += about_action if about_action is not None else \
                self.identify.code_not_sent(failed, turn.conversation_id)
        return messages, None

    def _approval_news(self, turn: Turn, statuses: Optional[List[str]] = None) -> List[str]:
        messages: List[str] = []
        for approval in self.s.approvals.take_untold(turn.conversation_id):
            pending = self.s.pendings.get(approval.pending_id)
            what = pending.headline if pending else "your request"
            if statuses is not None:
                statuses.append(approval.status)
            self.s.record("approval_told", turn.conversation_id, customer_id=approval.customer_id, pending=pending,
                          approval_id=approval.id, approval_status=approval.status)
            if approval.status == "approved":
                messages.append(f"Good news: your request was approved. {approval.result or ''}".strip())
            elif approval.status == "rejected":
                messages.append(f"Your request ({what}) was reviewed and couldn't be approved: "
                                f"{approval.decision_reason}. Nothing was changed.")
            elif approval.status == "expired":
                messages.append(f"Your request ({what}) wasn't reviewed in time, so it has lapsed and nothing was changed. "
                                "Just ask again and I'll send it once more, or say 'agent' to talk to a person.")
            elif approval.status == "modified" and pending and approval.new_amount_cents:
                why = f" ({approval.decision_reason})" if approval.decision_reason else ""
                messages.append(f"Your refund was reviewed: we can approve {format_cents(approval.new_amount_cents)} "
                                f"instead of {format_cents(approval.amount_cents or 0)}{why}.")
                messages += self._offer_approved_amount(self._context(turn, approval.customer_id), pending, approval)
        return messages

    def _offer_approved_amount(self, ctx: TurnContext, pending: PendingAction, approval: Approval) -> List[str]:
        """The approver's lower amount, for the customer's own YES: approved already, so it is not
        sent for approval again (the refund history that sent the first one would send it back)."""
        if ctx.customer is None:
            return []
        amount = approval.new_amount_cents or 0
        outcome = propose("refund", Account.load(self.s.business, ctx.customer), same_refund(pending, amount),
                          self.s.clock.now().date(),
                          returns_window_days=self.s.policy.refunds.returns_window_days)
        if not isinstance(outcome, Proposal):
            return [outcome.text]
        approved = Reason("approved_by_person", "confirm",
                          f"{approval.decided_by} approved {format_cents(amount)} (request {approval.id[:8].upper()})")
        decision = Decision("confirm", pending.tier, (approved,), self.s.policy.version)
        offer = self._new_pending(ctx, outcome, decision, Stage.CONFIRM)
        self.s.record("confirmation_requested", ctx.turn.conversation_id, pending=offer, approval_id=approval.id)
        return [confirm_prompt(offer)]

    def _propose_again(self, ctx: TurnContext, pending: PendingAction) -> List[str]:
        """The action people held goes back to the customer for their own sign-off, as new."""
        if not self.s.pendings.move(pending.id, (Stage.WITH_AGENT,), Stage.CANCELLED):
            return ["What would you like to do next?"]
        self.s.record("pending_back_to_customer", pending.conversation_id, pending=pending)
        amount = pending.amount_cents
        if pending.request.kind == "refund" and amount is not None:
            return ["Let's pick up your refund."] + self._change_refund(ctx, replace(pending, stage=Stage.CONFIRM),
                                                                        amount, offer=True)
        return self._offer_again(ctx, pending)

    def _offer_again(self, ctx: TurnContext, held: PendingAction) -> List[str]:
        """The same request, as new, with the sign-off its kind needs (a code is sent for a destructive one)."""
        if ctx.customer is None:
            return [f"Your earlier request ({held.headline}) isn't done yet: just ask again and I'll set it up."]
        outcome = {"otp": "otp", "approval": "approval"}.get(self.s.policy.actions.get(held.request.kind, ""), "confirm")
        now = self.s.clock.now()
        offer = replace(held, id=self.s.make_id(), idempotency_key=self.s.make_id(), outcome=outcome,
                        stage=Stage.OTP if outcome == "otp" else Stage.CONFIRM, created_at=now,
                        expires_at=now + self.s.policy.confirmation_expiry, unclear_replies=0, claimed_at=None,
                        result_message=None)
        self.s.pendings.add(offer)
        self.s.record("confirmation_requested", offer.conversation_id, pending=offer, offered_again=held.id)
        if outcome == "otp":
            self.signoff.send_code(offer, ctx.customer.phone)
            return [otp_prompt(offer, ctx.customer.phone, describe_duration(self.s.policy.otp.valid_for))]
        if outcome == "approval":
            return [approval_prompt(offer, "the policy asks for it",
                                    self.s.policy.approvals.approvers_in_words(offer.request.kind, offer.amount_cents))]
        return [confirm_prompt(offer)]
