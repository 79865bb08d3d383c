"""Managers approving from their phone: notices out, replies in (``PhoneApprovals``).

Notices: each request waiting for a decision is texted, once, to every person on duty who may
decide it (the same rules as the approvals queue: role and limit, never its requester or
someone who handled the case, each of two managers), with a code bound to the request and the
person; over a person's hourly limit it is not texted at all (the inbox still shows it).

Replies: what a person texts from the phone on their profile is kept by the SMS and WhatsApp
channels as ``staff-<username>`` and taken here, in order, each once (``SqlInboundQueue``).
"APPROVE <code>" and "REJECT <code> <reason>" decide through the same approval service as the
inbox (limits, four eyes, exactly-once execution), on record ``via: phone``; the code is used
first, by compare-and-set, so it decides at most once. A reason is a few words: a carrier's
keyword or any one-word text is never taken as one. STOP takes the person off duty and voids
the codes texted to them; every other text gets an answer by text.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import replace
from datetime import timedelta
from typing import List, Optional

from actions.domain.approval import APPROVED, PENDING, Approval
from actions.domain.inbound import InboundMessage, sms_keyword
from actions.domain.outbound import CodeText
from actions.domain.policy import describe_duration
from actions.domain.sessions import staff_key, staff_of
from actions.domain.step_up import Verdict
from actions.domain.wakeup import Listener, Wakeup
from actions.store.inbound import SqlInboundQueue
from handoff.delivery_queue import Outgoing
from handoff.desk import Desk
from handoff.domain.errors import Conflict, InboxError
from handoff.domain.people import User
from handoff.domain.phone_approvals import (ACTIVE, APPROVE, HELP, REJECT, STARTED, STOPPED, USED, PhoneCode, Reply,
                                            code_rules, decided_words, issue, notice_text, read_reply, reason_words,
                                            throttled, usable_reason)
from handoff.phone_codes import OnDuty, SqlPhoneCodes, notice_row

logger = logging.getLogger(__name__)

#: How often a phone decision is tried again when the request moved on under it (a timer's escalation).
DECIDE_TRIES = 3
#: Seconds between two rounds at most when no wake-up comes (someone came on duty; a lost signal).
SAFETY_NET = 5.0


class PhoneApprovals:
    def __init__(self, desk: Desk, codes: SqlPhoneCodes, inbound: SqlInboundQueue) -> None:
        self.desk = desk
        self.codes = codes
        self.inbound = inbound
        self.rules = desk.s.policy.approvals
        self.step_up = desk.s.step_up.with_rules(code_rules(self.rules.phone))

    @property
    def now(self):  # noqa: ANN201 - a datetime; the clock is the assistant's
        return self.desk.now

    async def run(self, listener: Optional[Listener] = None, safety_net: float = SAFETY_NET) -> None:
        """Answer the people's texts, then text the new requests: when woken (a text came in, the
        feed changed), and at the latest every ``safety_net`` seconds."""
        wakeup = listener or Wakeup()
        while True:
            try:
                await asyncio.to_thread(self.answer_waiting)
                await asyncio.to_thread(self.notify)
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001 - a database hiccup must not stop approvals by phone
                logger.exception("approvals by phone: the round failed; trying again")
            await wakeup.wait(safety_net)

    # -- notices --------------------------------------------------------------------------------

    def notify(self) -> int:
        """Text each person on duty who may decide a waiting request about it, once; how many were queued."""
        people = self.codes.on_duty()
        queued = 0
        for approval in self.desk.store.approvals(pending=True) if people else []:
            noticed = self.codes.noticed(approval.id)
            for person in people:
                if person.user.username not in noticed and self.desk.may_decide(person.user, approval) is None:
                    queued += self._notice(approval, person)
        return queued

    def _notice(self, approval: Approval, person: OnDuty) -> int:
        now, username = self.now, person.user.username
        if self.codes.texted_since(username, now - timedelta(hours=1)) >= self.rules.phone.notices_per_hour:
            if self.codes.add(throttled(approval.id, username, self.desk.s.make_id(), now)):
                self._record("approval_phone_notice_throttled", approval, username)
            return 0
        code, digits = issue(self.step_up, approval, username, self.rules, now)
        pending = self.desk.s.pendings.get(approval.pending_id)
        text = notice_text(approval, pending.headline if pending else approval.summary, digits, self.rules,
                           self._customer_name(approval))
        conversation = staff_key(username)
        payload = CodeText(conversation, person.phone, text, code.id, approval.id, code.expires_at).payload()
        if not self.codes.add(code, notice_row(conversation, person.channel, payload, now)):
            return 0  # another inbox process texted them first
        self._record("approval_phone_notice", approval, username, channel=person.channel)
        return 1

    def _customer_name(self, approval: Approval) -> str:
        """Whose request it is, for the notice; "" if the business can't say right now."""
        try:
            customer = self.desk.s.business.get_customer(approval.customer_id) if approval.customer_id else None
        except Exception:  # noqa: BLE001 - the notice goes without the name rather than not at all
            logger.warning("approval %s: the customer's name could not be read for the notice", approval.id)
            return ""
        return customer.name if customer else ""

    def _record(self, event: str, approval: Approval, username: str, **detail: object) -> None:
        self.desk.s.audit.append(self.desk.s.approval_entry(event, approval, actor="system", to=username, **detail))

    # -- replies --------------------------------------------------------------------------------

    def answer_waiting(self) -> int:
        """Take the texts people sent from their phones, each conversation in order, each once."""
        answered = 0
        for conversation in self.inbound.waiting_conversations(self.now):
            if staff_of(conversation) is None:
                continue  # a customer's: the channel gives it to the bot
            while (message := self.inbound.claim_next(conversation, self.now)) is not None:
                assert message.id is not None
                try:
                    self.answer(message)
                except Exception as exc:  # noqa: BLE001 - one bad message must not hold up the next
                    logger.exception("approvals by phone: message %s could not be answered", message.id)
                    self.inbound.done(message.id, self.now, error=f"{type(exc).__name__}: {exc}")
                else:
                    self.inbound.done(message.id, self.now)
                answered += 1
        return answered

    def answer(self, message: InboundMessage) -> None:
        """Act on one text from a person's phone and answer them on the channel it came by."""
        found = self.desk.store.user(staff_of(message.conversation_id) or "")
        if found is None:
            return  # the login was disabled since: nothing is decided, nothing is said
        words = self._answer(found[0], read_reply(message.text))
        if words is None:
            return  # they texted STOP: the carrier lets nothing through until START
        self.desk.store.enqueue(message.conversation_id,
                                Outgoing("say", {"text": words, "source": "inbox"}, channel=message.channel), self.now)

    def _answer(self, user: User, reply: Reply) -> Optional[str]:
        now, codes = self.now, self._codes_of(user)
        if reply.verb is None:
            keyword = sms_keyword(reply.text)
            if keyword == "stop":
                self._stop(user)
                return None
            if keyword is not None:
                return STARTED if keyword == "start" else HELP
            asked = next((c for c in codes if c.waiting_for_reason(now, self.rules.phone.reason_within)), None)
            if asked is None or not reply.text:
                return HELP
            return self._reason_given(user, asked, reply.text)
        if not reply.code:
            return f"Put the code from the notice after {reply.verb.upper()}. {HELP}"
        code = next((c for c in codes if self.step_up.matches(c.challenge, reply.code)), None)
        if code is None:
            return self._wrong(codes, reply.code)
        approval = self.desk.store.approval(code.approval_id)
        if approval is None or approval.status != PENDING:
            return decided_words(approval) if approval else HELP
        if code.status != ACTIVE:
            return f"That code no longer works (it was used, or too many wrong codes came): decide request " \
                   f"{approval.ref} in the inbox."
        checked = self.step_up.verify(code.challenge, reply.code, code.challenge.action_digest, now)
        if checked.verdict is Verdict.EXPIRED:
            return f"The code for request {approval.ref} expired: decide it in the inbox."
        if reply.verb == REJECT and not usable_reason(reply.reason):
            if not self.codes.move(code, replace(code, reason_asked_at=now)):
                return f"Request {approval.ref} changed just now: send your reply again."
            return (f"Why are you rejecting request {approval.ref}? Reply with the reason within "
                    f"{describe_duration(self.rules.phone.reason_within)}: the customer is told it.")
        if not self.codes.move(code, code.after(checked.challenge)):
            return f"That code was used just now: nothing else was changed on request {approval.ref}."
        return self._decide(user, approval, reply.verb, reply.reason)

    def _reason_given(self, user: User, code: PhoneCode, reason: str) -> str:
        """The text after a REJECT without a reason: the reason, and the rejection goes ahead."""
        approval = self.desk.store.approval(code.approval_id)
        if approval is None or approval.status != PENDING:
            return decided_words(approval) if approval else HELP
        if not usable_reason(reason):
            return reason_words(approval.ref)
        if self.now >= code.expires_at:
            return f"The code for request {approval.ref} expired: decide it in the inbox."
        if not self.codes.move(code, replace(code, status=USED)):
            return f"That code was used just now: nothing else was changed on request {approval.ref}."
        return self._decide(user, approval, REJECT, reason)

    def _stop(self, user: User) -> None:
        """STOP from their phone: off duty, and the codes texted to them stop working (their notices
        still queued are not sent). Nothing is texted back: the carrier blocks it until START."""
        profile = self.codes.profile(user.username)
        if profile.on_duty:
            self.codes.set_profile(user.username, replace(profile, on_duty=False))
        voided = self.codes.void_of(user.username)
        self.desk.s.record(STOPPED, staff_key(user.username), actor=f"{user.role.value}:{user.username}",
                           was_on_duty=profile.on_duty, codes_voided=voided)

    def _wrong(self, codes: List[PhoneCode], given: str) -> str:
        """A code that is none of this person's: one wrong try on each of their open codes."""
        now = self.now
        open_codes = [c for c in codes if c.status == ACTIVE and now < c.expires_at]
        tries_left = 0
        for code in open_codes:
            checked = self.step_up.verify(code.challenge, given, code.challenge.action_digest, now)
            self.codes.move(code, code.after(checked.challenge))
            tries_left = max(tries_left, checked.tries_left)
        if open_codes and not tries_left:
            return "Wrong code, and that was the last try: the codes texted to you no longer work. Decide in the inbox."
        left = f" {tries_left} tr{'y' if tries_left == 1 else 'ies'} left." if open_codes else ""
        return f"That code doesn't match any request texted to you: nothing was decided.{left}"

    def _decide(self, user: User, approval: Approval, verb: str, reason: str) -> str:
        """Decide as ``user`` through the inbox's approval service, on the request as it stands."""
        for _ in range(DECIDE_TRIES):
            try:
                if verb == APPROVE:
                    after = self.desk.approve(user, approval.id, approval.version, via="phone")
                    if after.status == APPROVED:
                        return f"Request {approval.ref} approved. {after.result or ''}".strip()
                    return f"Your approval of request {approval.ref} is recorded: a second manager must approve too."
                self.desk.reject(user, approval.id, approval.version, reason, via="phone")
                return f"Request {approval.ref} rejected. The customer is told: {reason}"
            except Conflict:
                current = self.desk.store.approval(approval.id)
                if current is None or current.status != PENDING:
                    return decided_words(current) if current else HELP
                approval = current
            except InboxError as refused:
                return f"Not done: {refused.message}."
        return f"Request {approval.ref} kept changing: decide it in the inbox."

    def _codes_of(self, user: User) -> List[PhoneCode]:
        """The codes texted to ``user`` that could still concern a request (none outlives its deadline)."""
        return self.codes.codes_of(user.username, self.now - self.rules.decide_within)
