"""The assistant's decision loop for one customer message.

Order of precedence on every turn: expire what is stale; escalate to a person if anything
says so (a human topic, sensitive words, anger, repeated misunderstanding, low confidence);
otherwise an answer to a waiting action is handled as such; otherwise the message is a new
request, which is answered, clarified, refused, or proposed for sign-off as the policy says.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import List, Optional, Tuple

from actions.domain import answers
from actions.domain.account import Account
from actions.domain.approval import Approval
from actions.domain.business import ORIGINAL_PAYMENT_METHOD, STORE_CREDIT, Customer
from actions.domain.evidence import EvidencePack, build_evidence
from actions.domain.extract import Details, read_details
from actions.domain.money import format_cents
from actions.domain.pending import (
    AWAITING_CUSTOMER,
    PendingAction,
    Stage,
    action_digest,
)
from actions.domain.policy import PRIORITIES, describe_duration
from actions.domain.proposals import Proposal, Question, Refusal, propose
from actions.domain.replies import ReplyKind, classify_reply
from actions.domain.risk import Decision, Reason, Signals, assess
from actions.domain.sentiment import SentimentReading, read_sentiment
from actions.domain.services import Services
from actions.domain.signoff import (
    OutcomeUnknown,
    SignOff,
    approval_prompt,
    confirm_prompt,
    otp_prompt,
)
from actions.domain.staff_words import case_context, why_in_words
from actions.domain.stores import Draft
from actions.domain.ticket import Ticket, new_ticket
from actions.domain.turn import Turn

ANSWERS = ("order_status", "delivery_date", "account_balance")
_QUESTION = re.compile(r"\s*(?:how|what|what's|whats|is|do|does)\b", re.IGNORECASE)
ANYTHING_ELSE = "Is there anything else I can help you with?"


@dataclass(frozen=True)
class _Context:
    turn: Turn
    customer: Optional[Customer]
    sentiment: SentimentReading  # of the recent messages, scored once per turn


class Assistant:
    def __init__(self, services: Services) -> None:
        self.s = services
        self.signoff = SignOff(services)

    def handle(self, turn: Turn) -> List[str]:
        turn = _store_credit_wanted(turn)
        ticket = self.s.handoffs.open_for(turn.conversation_id)
        if ticket is not None and self.s.handoffs.customer_said(ticket.id, turn.text, self.s.clock.now()):
            self._more_urgent(turn, ticket)
            return []  # people have this conversation: the bot stays silent and passes the message on
        ctx = self._context(turn)
        try:
            return self._handle(ctx)
        except OutcomeUnknown as unknown:
            return self._check_by_a_person(ctx, unknown)

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

    def _context(self, turn: Turn, customer_id: Optional[str] = None) -> _Context:
        """The turn with its customer: ``customer_id`` when the news is about a known customer's case."""
        if customer_id:
            customer = self.s.business.get_customer(customer_id)
        else:
            customer = self.s.business.get_customer(turn.customer_id) if turn.customer_id else None
        return _Context(turn, customer, read_sentiment(turn.recent_texts or (turn.text,), self.s.policy.sentiment_window))

    # -- news from people -----------------------------------------------------------------------

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

    def _offer_approved_amount(self, ctx: _Context, pending: PendingAction, approval: Approval) -> List[str]:
        """The approver's lower amount, for the customer's own YES: approved already, so it is not
        sent for approval again (the refund history that sent the first one would send it back)."""
        if ctx.customer is None:
            return []
        amount = approval.new_amount_cents or 0
        outcome = propose("refund", Account.load(self.s.business, ctx.customer), _same_refund(pending, amount),
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

    def _propose_again(self, ctx: _Context, pending: PendingAction) -> List[str]:
        """The action people held goes back to the customer for their own sign-off, as new."""
        if not self.s.pendings.move(pending.id, (Stage.WITH_AGENT,), Stage.CANCELLED):
            return ["What would you like to do next?"]
        self.s.record("pending_back_to_customer", pending.conversation_id, pending=pending)
        amount = pending.amount_cents
        if pending.request.kind == "refund" and amount is not None:
            return ["Let's pick up your refund."] + self._change_refund(ctx, replace(pending, stage=Stage.CONFIRM),
                                                                        amount, offer=True)
        return self._offer_again(ctx, pending)

    def _offer_again(self, ctx: _Context, held: PendingAction) -> List[str]:
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
            problem = self.signoff.send_code(offer, ctx.customer.phone)
            return [problem] if problem else [otp_prompt(offer, ctx.customer.phone, describe_duration(self.s.policy.otp.valid_for))]
        if outcome == "approval":
            return [approval_prompt(offer, "the policy asks for it")]
        return [confirm_prompt(offer)]

    def _handle(self, ctx: _Context) -> List[str]:
        turn = ctx.turn
        notes: List[str] = self.signoff.resume_stuck(turn.conversation_id)
        pending = self.s.pendings.awaiting_customer(turn.conversation_id)
        if pending and pending.is_expired(self.s.clock.now()):
            if self.s.pendings.move(pending.id, AWAITING_CUSTOMER, Stage.EXPIRED):
                self.s.record("expired", turn.conversation_id, actor="system", pending=pending)
            notes.append(f"Your earlier request expired after {describe_duration(self.s.policy.confirmation_expiry)}, so nothing was changed.")
            pending = None

        first_look = self._assess(ctx, kind=turn.request if turn.request in self.s.policy.actions else "conversation")
        if first_look.outcome == "handoff" or turn.request == "handoff":
            return notes + self._handoff(ctx, first_look, pending)
        switch = _destination_switch(pending, turn)
        if pending and switch:
            return notes + self._change_refund(ctx, pending, pending.amount_cents or 0, switch.order_id,
                                               refund_to=switch.refund_to)
        if pending and turn.request in ANSWERS + ("faq", "small_talk"):
            # a quick question mid-confirmation is answered; the waiting action stays as it is
            return notes + self._request(ctx, turn.request, None) + [self.signoff.reminder(pending)]
        if pending and turn.request in self.s.policy.actions and turn.request != pending.request.kind:
            # never drop a waiting action on a guess of what the new message meant: ask to finish first
            self.s.record("new_request_while_waiting", turn.conversation_id, actor="customer", pending=pending,
                          new_request=turn.request)
            return notes + [f"Let's finish this first, then I'll help with the next thing. {self.signoff.reminder(pending)}"]
        if pending:
            return notes + self._answer_pending(ctx, pending)
        if turn.request in ("reply", "fallback"):
            draft = self.s.drafts.get(turn.conversation_id)
            if draft and turn.request == "reply":
                return notes + self._request(ctx, draft.request, draft)
            return notes + self._nothing_pending(ctx)
        draft = self.s.drafts.get(turn.conversation_id)
        if draft and draft.request == turn.request:
            # "the address is 5 Elm Road" reads as change_address as much as inform
            return notes + self._request(ctx, turn.request, draft)
        self.s.drafts.clear(turn.conversation_id)
        return notes + self._request(ctx, turn.request, None)

    # -- new requests -------------------------------------------------------------------------

    def _request(self, ctx: _Context, kind: str, draft: Optional[Draft]) -> List[str]:
        turn = ctx.turn
        if kind in ("faq", "small_talk"):
            decision = self._assess(ctx, kind if kind == "faq" else "conversation")
            self.s.record("answered", turn.conversation_id, request=kind, decision=decision)
            return [answers.faq(turn.intent) if kind == "faq" else answers.small_talk(turn.intent)]
        if ctx.customer is None:
            self.s.record("unknown_customer", turn.conversation_id, request=kind)
            if turn.from_visitor:
                return [
                    "I can't see which Acme account is yours in this chat, so I can't look into account details here. "
                    "Sign in on our website and chat from there, or say 'agent' and a person will help you."
                ]
            return [
                "I couldn't find your Acme account, so I can't look into account details here. "
                "I'm happy to answer general questions, or say 'agent' and a person will help you."
            ]
        if ctx.customer.status == "closed":
            self.s.record("account_closed", turn.conversation_id, customer_id=ctx.customer.id, request=kind)
            return [
                "This Acme account is closed, so I can't look into it or change it here. "
                "If you need anything about a past order or payment, say 'agent' and a person will help you."
            ]
        account = Account.load(self.s.business, ctx.customer)
        details = read_details(turn.text, turn.entities, expecting_amount=bool(draft and draft.missing == "amount"))
        if draft:
            known = {key: value for key, value in draft.fields.items() if key in Details.__dataclass_fields__}
            details = replace(Details(**known), **details.remembered(), amount_problem=details.amount_problem)
        if kind in ANSWERS:
            decision = self._assess(ctx, kind)
            self.s.record("answered", turn.conversation_id, customer_id=ctx.customer.id, request=kind, decision=decision)
            if kind == "order_status":
                return [answers.order_status(account, details.order_id)]
            if kind == "delivery_date":
                return [answers.delivery_date(account, details.order_id)]
            return [answers.balance(account)]

        outcome = propose(kind, account, details, self.s.clock.now().date(), turn.text,
                          self.s.policy.refunds.returns_window_days)
        if isinstance(outcome, Question):
            self.s.drafts.put(turn.conversation_id, Draft(kind, {**details.remembered(), **outcome.known}, outcome.missing))
            self.s.record("asked_for_detail", turn.conversation_id, customer_id=ctx.customer.id, request=kind, missing=outcome.missing)
            return [outcome.text]
        self.s.drafts.clear(turn.conversation_id)
        if isinstance(outcome, Refusal):
            self.s.record("refused", turn.conversation_id, customer_id=ctx.customer.id, request=kind, reply=outcome.text)
            return [outcome.text]
        return self._propose(ctx, outcome)

    def _propose(self, ctx: _Context, proposal: Proposal) -> List[str]:
        assert ctx.customer is not None
        turn, policy = ctx.turn, self.s.policy
        kind = proposal.request.kind
        recent = self._recent_refunds(ctx.customer.id) if kind == "refund" else 0
        decision = self._assess(ctx, kind, amount_cents=proposal.amount_cents,
                                order_age_days=proposal.order_age_days, recent_refunds=recent)
        if decision.outcome == "handoff":
            return self._handoff(ctx, decision, None, proposal)
        if decision.outcome == "approval":
            waiting = self._waiting_for_manager(ctx.customer.id, proposal)
            if waiting:
                self.s.record("approval_already_open", turn.conversation_id, customer_id=ctx.customer.id,
                              request=kind, approval_id=waiting.id)
                return [
                    f"You already have a request waiting for approval for this ({waiting.summary.split('. ')[0].split(', ')[0]}, "
                    f"reference {waiting.id[:8].upper()}), so I haven't sent another. You'll get a message here as soon "
                    "as it's decided; if you'd like something different, say 'agent' and a person will help."
                ]
        stage = Stage.OTP if decision.outcome == "otp" else Stage.CONFIRM
        pending = self._new_pending(ctx, proposal, decision, stage)
        self.s.record("risk_decision", turn.conversation_id, pending=pending, decision=decision,
                      intent=turn.intent, confidence=round(turn.confidence, 3))
        if decision.outcome == "auto":
            return self.signoff.commit(pending.id, pending.digest, actor="bot")
        if decision.outcome == "otp":
            problem = self.signoff.send_code(pending, ctx.customer.phone)
            return [problem] if problem else [otp_prompt(pending, ctx.customer.phone, describe_duration(policy.otp.valid_for))]
        self.s.record("confirmation_requested", turn.conversation_id, pending=pending)
        if decision.outcome == "approval":
            why = "; ".join(r.detail for r in decision.reasons if r.outcome == "approval")
            return [approval_prompt(pending, why)]
        return [confirm_prompt(pending)]

    def _waiting_for_manager(self, customer_id: str, proposal: Proposal) -> Optional[Approval]:
        """An approval already open for the same kind of request on the same order, if any."""
        for approval in self.s.approvals.open_for_customer(customer_id):
            pending = self.s.pendings.get(approval.pending_id)
            if pending and pending.request.kind == proposal.request.kind and \
                    pending.request.params.get("order_id") == proposal.request.params.get("order_id"):
                return approval
        return None

    def _new_pending(self, ctx: _Context, proposal: Proposal, decision: Decision, stage: Stage) -> PendingAction:
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

    # -- answers to a waiting action ------------------------------------------------------------

    def _answer_pending(self, ctx: _Context, pending: PendingAction) -> List[str]:
        turn = ctx.turn
        # a bare number is an amount only when the customer is changing the amount ("1003" may be an order)
        details = read_details(turn.text, turn.entities, expecting_amount=turn.intent == "change_amount")
        confident = turn.confidence >= self.s.policy.default_confidence and turn.request != "fallback"
        reply = classify_reply(turn.intent, turn.text, details, confident)
        phone = ctx.customer.phone if ctx.customer else ""
        if reply.kind is ReplyKind.AMOUNT and pending.stage is Stage.CONFIRM and pending.request.kind == "refund":
            if details.amount_problem:  # "make it $-5": say what was wrong; the waiting refund stays as it was
                self.s.record("amount_refused", pending.conversation_id, actor="customer", pending=pending,
                              why=details.amount_problem)
                return [details.amount_problem, self.signoff.reminder(pending)]
            return self._change_refund(ctx, pending, reply.amount_cents or 0, details.order_id)
        return self.signoff.answer(pending, reply, phone, evidence=lambda: self._evidence(
            ctx, Decision("approval", pending.tier, _reasons_of(pending), pending.policy_version), pending).to_dict())

    def _change_refund(self, ctx: _Context, pending: PendingAction, amount_cents: int,
                       order_id: Optional[str] = None, offer: bool = False, refund_to: Optional[str] = None) -> List[str]:
        """A new amount (or, with ``refund_to``, a new destination) for a refund: re-proposed, and its
        tier checked again.

        ``offer``: the earlier request is already closed (a manager modified it, or people handed
        it back); the new proposal is made without cancelling anything.
        """
        assert ctx.customer is not None
        account = Account.load(self.s.business, ctx.customer)
        # "sorry, I meant $30 for order 1003": the order the customer names now wins over the pending one
        outcome = propose("refund", account, _same_refund(pending, amount_cents, order_id, refund_to),
                          self.s.clock.now().date(), returns_window_days=self.s.policy.refunds.returns_window_days)
        if not isinstance(outcome, Proposal):  # the earlier request stays open
            return [outcome.text] if offer else [outcome.text, self.signoff.reminder(pending)]
        if offer:
            return self._propose(ctx, outcome)
        if not self.s.pendings.move(pending.id, (Stage.CONFIRM,), Stage.CANCELLED):
            return ["That request is no longer open, so nothing was changed."]
        if refund_to:
            self.s.record("refund_destination_changed", pending.conversation_id, actor="customer", pending=pending,
                          old_destination=_destination(pending), new_destination=refund_to)
        else:
            self.s.record("amount_changed", pending.conversation_id, actor="customer", pending=pending,
                          old_amount_cents=pending.amount_cents, new_amount_cents=amount_cents)
        return self._propose(ctx, outcome)

    def _nothing_pending(self, ctx: _Context) -> List[str]:
        turn = ctx.turn
        reply = classify_reply(turn.intent, turn.text, read_details(turn.text, turn.entities), True)
        if turn.request == "fallback" or reply.kind not in (ReplyKind.YES, ReplyKind.NO, ReplyKind.CODE):
            self.s.record("not_understood", turn.conversation_id, actor="bot", count=turn.consecutive_fallbacks)
            return [
                "Sorry, I didn't quite get that. I can track orders, change deliveries, set up refunds and help with "
                "your subscription or account. You can also say 'agent' to talk to a person."
            ]
        self.s.record("reply_without_pending", turn.conversation_id, actor="customer", reply=reply.kind.value)
        if reply.kind is ReplyKind.CODE:
            return ["There's no request waiting for a code right now, so that code wasn't used. What would you like to do?"]
        return ["There's nothing waiting for your confirmation right now. What can I help you with?"]

    # -- handoff ------------------------------------------------------------------------------

    def _handoff(self, ctx: _Context, decision: Decision, pending: Optional[PendingAction],
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
            "so you won't need to repeat anything, and they'll reply right here."
        ]

    def _check_by_a_person(self, ctx: _Context, unknown: OutcomeUnknown) -> List[str]:
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

    def _evidence(self, ctx: _Context, decision: Decision, pending: Optional[PendingAction]) -> EvidencePack:
        turn = ctx.turn
        account = Account.load(self.s.business, ctx.customer) if ctx.customer else None
        return build_evidence(
            conversation_id=turn.conversation_id, intent=turn.intent, confidence=turn.confidence, text=turn.text,
            entities=turn.entities, transcript=turn.transcript,
            sentiment=ctx.sentiment, decision=decision, account=account,
            recent_refunds=self._recent_refunds(ctx.customer.id) if ctx.customer else 0,
            refund_window_days=self.s.policy.refunds.history_window_days, channel=turn.channel,
            previous=self.s.handoffs.for_customer(ctx.customer.id) if ctx.customer else (),
            pending=pending,
        )

    def _recent_refunds(self, customer_id: str) -> int:
        """Refunds in the policy's history window: a signal for the check and a fact for a person."""
        since = self.s.clock.now() - timedelta(days=self.s.policy.refunds.history_window_days)
        return len(self.s.business.refunds_since(customer_id, since))

    def _assess(self, ctx: _Context, kind: str, **facts: object) -> Decision:
        turn = ctx.turn
        return assess(Signals(
            request=kind, intent=turn.intent, confidence=turn.confidence, text=turn.text,
            sentiment=ctx.sentiment, consecutive_fallbacks=turn.consecutive_fallbacks, **facts,  # type: ignore[arg-type]
        ), self.s.policy)


def _store_credit_wanted(turn: Turn) -> Turn:
    """ "I'd like store credit for order 1003" reads to the NLU like a balance question, but it
    names an order and asks for store credit: it is a request to refund that order as store credit."""
    if turn.request != "account_balance" or _QUESTION.match(turn.text):
        return turn
    details = read_details(turn.text, turn.entities)
    if details.refund_to == STORE_CREDIT and details.order_id:
        return replace(turn, request="refund")
    return turn


def _destination_switch(pending: Optional[PendingAction], turn: Turn) -> Optional[Details]:
    """ "Actually, store credit instead": the refund waiting for YES, to go somewhere else."""
    if pending is None or pending.stage is not Stage.CONFIRM or pending.request.kind != "refund" \
            or _QUESTION.match(turn.text):
        return None
    details = read_details(turn.text, turn.entities)
    return details if details.refund_to and details.refund_to != _destination(pending) else None


def _destination(pending: PendingAction) -> str:
    """Where the waiting refund goes (a refund proposed before there was a choice goes to the card)."""
    return str(pending.request.params.get("destination") or ORIGINAL_PAYMENT_METHOD)


def _same_refund(pending: PendingAction, amount_cents: int, order_id: Optional[str] = None,
                 refund_to: Optional[str] = None) -> Details:
    """The waiting refund with a new amount, order or destination; the rest as the customer chose."""
    return Details(order_id=order_id or str(pending.request.params["order_id"]), amount_cents=amount_cents,
                   refund_to=refund_to or _destination(pending))


def _reasons_of(pending: PendingAction) -> Tuple[Reason, ...]:
    """The policy's reasons as recorded on the action ("code: detail"), back as Reasons."""
    reasons = []
    for text in pending.reasons:
        code, _, detail = text.partition(": ")
        reasons.append(Reason(code, pending.outcome, detail))
    return tuple(reasons)
