"""The assistant's decision loop for one customer message.

Order of precedence on every turn: expire what is stale; escalate to a person if anything
says so (a human topic, sensitive words, anger, repeated misunderstanding, low confidence);
otherwise an answer to a waiting action is handled as such; otherwise the message is a new
request, which is answered, clarified, refused, or proposed for sign-off as the policy says.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import List, Optional, Tuple

from actions.domain import answers
from actions.domain.account import Account
from actions.domain.approval import Approval
from actions.domain.attachments import reply_without_words
from actions.domain.business import ORIGINAL_PAYMENT_METHOD, STORE_CREDIT
from actions.domain.extract import Details, read_details
from actions.domain.handing_over import HandingOver
from actions.domain.pending import AWAITING_CUSTOMER, PendingAction, Stage
from actions.domain.policy import describe_duration
from actions.domain.proposals import Proposal, Question, Refusal, propose
from actions.domain.replies import ReplyKind, classify_reply
from actions.domain.risk import Decision, Reason
from actions.domain.signoff import OutcomeUnknown, approval_prompt, confirm_prompt, otp_prompt
from actions.domain.stores import Draft
from actions.domain.turn import Turn
from actions.domain.ticket import OPEN
from actions.domain.turn_context import TurnContext
from actions.domain.waiting import is_withdrawal

ANSWERS = ("order_status", "delivery_date", "account_balance")
#: Reasons to hand over that only say the bot didn't follow: a visitor typing a phone number or a code
#: is often not "understood", and that is no reason to keep them from signing in.
NOT_UNDERSTOOD = ("low_confidence", "repeated_fallback")
_QUESTION = re.compile(r"\s*(?:how|what|what's|whats|is|do|does)\b", re.IGNORECASE)


class TurnRouting(HandingOver):
    """Each customer message: passed to people who have the conversation, or answered, asked about,
    refused, proposed for sign-off or handed over, in the order of precedence above."""

    def handle(self, turn: Turn) -> List[str]:
        turn = _store_credit_wanted(turn)
        ticket = self.s.handoffs.open_for(turn.conversation_id)
        if ticket is not None and ticket.status == OPEN and is_withdrawal(turn.text):  # nobody has it yet
            return self._withdraw(turn, ticket)
        if ticket is not None and self.s.handoffs.customer_said(ticket.id, turn.written_text, self.s.clock.now(),
                                                                   turn.channel or None):
            self._more_urgent(turn, ticket)
            return []  # people have this conversation: the bot stays silent and passes the message on
        without_words = reply_without_words(turn.text)  # a picture, a location or nothing: people see it, the bot can't
        if without_words:
            return [without_words]
        ctx = self._context(turn)
        # the risk check of the message itself, before anything it may answer or start
        first_look = self._assess(ctx, kind=turn.request if turn.request in self.s.policy.actions else "conversation")
        if not _says_to_ask_a_person(ctx, first_look):  # "my card was stolen, call +1..." goes to people
            signing_in = self.identify.handle(turn)  # a visitor naming a phone number, or typing its code
            if signing_in is not None:
                return signing_in
        try:
            return self._handle(ctx, first_look)
        except OutcomeUnknown as unknown:
            return self._check_by_a_person(ctx, unknown)

    def _handle(self, ctx: TurnContext, first_look: Decision) -> List[str]:
        turn = ctx.turn
        notes: List[str] = self.signoff.resume_stuck(turn.conversation_id)
        pending = self.s.pendings.awaiting_customer(turn.conversation_id)
        if pending and pending.is_expired(self.s.clock.now()):
            if self.s.pendings.move(pending.id, AWAITING_CUSTOMER, Stage.EXPIRED):
                self.s.record("expired", turn.conversation_id, actor="system", pending=pending)
            notes.append(f"Your earlier request expired after {describe_duration(self.s.policy.confirmation_expiry)}, so nothing was changed.")
            pending = None

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
        if draft:  # a new request: the half-told one is dropped (no write at all on most turns)
            self.s.drafts.clear(turn.conversation_id)
        return notes + self._request(ctx, turn.request, None)

    # -- new requests -------------------------------------------------------------------------

    def _request(self, ctx: TurnContext, kind: str, draft: Optional[Draft]) -> List[str]:
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
                    "Tell me the phone number on your account and I'll text it a code to sign you in, "
                    "or say 'agent' and a person will help you."
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

    def _propose(self, ctx: TurnContext, proposal: Proposal) -> List[str]:
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
            self.signoff.send_code(pending, ctx.customer.phone)
            return [otp_prompt(pending, ctx.customer.phone, describe_duration(policy.otp.valid_for))]
        self.s.record("confirmation_requested", turn.conversation_id, pending=pending)
        if decision.outcome == "approval":
            why = "; ".join(r.detail for r in decision.reasons if r.outcome == "approval")
            return [approval_prompt(pending, why, policy.approvals.approvers_in_words(kind, proposal.amount_cents))]
        return [confirm_prompt(pending)]

    def _waiting_for_manager(self, customer_id: str, proposal: Proposal) -> Optional[Approval]:
        """An approval already open for the same kind of request on the same order, if any."""
        for approval in self.s.approvals.open_for_customer(customer_id):
            pending = self.s.pendings.get(approval.pending_id)
            if pending and pending.request.kind == proposal.request.kind and \
                    pending.request.params.get("order_id") == proposal.request.params.get("order_id"):
                return approval
        return None

    # -- answers to a waiting action ------------------------------------------------------------

    def _answer_pending(self, ctx: TurnContext, pending: PendingAction) -> List[str]:
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

    def _change_refund(self, ctx: TurnContext, pending: PendingAction, amount_cents: int,
                       order_id: Optional[str] = None, offer: bool = False, refund_to: Optional[str] = None) -> List[str]:
        """A new amount (or, with ``refund_to``, a new destination) for a refund: re-proposed, and its
        tier checked again.

        ``offer``: the earlier request is already closed (a manager modified it, or people handed
        it back); the new proposal is made without cancelling anything.
        """
        assert ctx.customer is not None
        account = Account.load(self.s.business, ctx.customer)
        # "sorry, I meant $30 for order 1003": the order the customer names now wins over the pending one
        outcome = propose("refund", account, same_refund(pending, amount_cents, order_id, refund_to),
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

    def _nothing_pending(self, ctx: TurnContext) -> List[str]:
        turn = ctx.turn
        reply = classify_reply(turn.intent, turn.text, read_details(turn.text, turn.entities), True)
        if turn.request == "fallback" or reply.kind not in (ReplyKind.YES, ReplyKind.NO, ReplyKind.CODE):
            self.s.record("not_understood", turn.conversation_id, actor="bot", count=turn.consecutive_fallbacks)
            return [
                "Sorry, I didn't quite get that. I can track orders, change deliveries, set up refunds and help with "
                "your subscription or account. You can also say 'agent' to talk to a person."
            ]
        since = self.s.clock.now() - self.s.policy.confirmation_expiry
        finished = self.s.pendings.finished_since(turn.conversation_id, since) if reply.kind is not ReplyKind.NO else None
        if finished is not None and finished.result_message:
            # the same answer again (a message a crashed server is handed a second time, a double tap):
            # it already did its work, and is told what that was, never "nothing was waiting"
            self.s.record("answer_repeated", turn.conversation_id, actor="customer", pending=finished,
                          reply=reply.kind.value)
            return [f"About your earlier request: {finished.result_message}"]
        self.s.record("reply_without_pending", turn.conversation_id, actor="customer", reply=reply.kind.value)
        if reply.kind is ReplyKind.CODE:
            return ["There's no request waiting for a code right now, so that code wasn't used. What would you like to do?"]
        return ["There's nothing waiting for your confirmation right now. What can I help you with?"]


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


def same_refund(pending: PendingAction, amount_cents: int, order_id: Optional[str] = None,
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


def _says_to_ask_a_person(ctx: TurnContext, first_look: Decision) -> bool:
    """Whether what the customer said, not only how well the bot followed it, calls for a person."""
    return ctx.turn.request == "handoff" or any(
        r.outcome == "handoff" and r.code not in NOT_UNDERSTOOD for r in first_look.reasons)
