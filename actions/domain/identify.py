"""A visitor proves who they are: a phone number in the chat, a code on the phone on file, the code back.

"I'm Jane, my number is +1 555 010 0001" in a visitor's conversation is a claim, nothing
more. If a customer has that number, a one-time code goes to the phone on *their record*
(the same step-up machinery as destructive actions: expiry, limited tries, throttled
resends, single use), bound to "link this visitor to that customer" so it confirms nothing
else. Only the right code links (``actions.domain.links``); the web chat then moves the
page to the customer's conversation.

The visitor is never told whether a number belongs to an account: the reply is the same
either way, and for a number on no account a challenge is kept that no code can match, so
every code fails the way a wrong one does, down to the count of tries left.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import timedelta
from typing import List, Optional

from actions.domain.business import Customer
from actions.domain.extract import read_details
from actions.domain.links import PROOF_OTP, LinkRequest, LinkStatus
from actions.domain.outbound import SMS, CodeText, UndeliveredCode
from actions.domain.phones import NotAPhoneNumber
from actions.domain.policy import describe_duration
from actions.domain.replies import ReplyKind, classify_reply
from actions.domain.services import Services
from actions.domain.step_up import ChallengeStatus, OtpChallenge, Verdict
from actions.domain.turn import Turn

# Digits with the separators people type ("+1 (555) 010-0001", "0015550100001"): the business reads
# what is found with ``actions.domain.phones`` (without a country code, in the deployment's region).
_PHONE = re.compile(r"(?<![\w+])(?:\+|00)?\d[\d\s().-]{6,24}\d(?!\d)")
_MIN_DIGITS, _MAX_DIGITS = 10, 15  # an order number, a code or a date is shorter; a card number longer
#: Stands in for a code's hash when no code is texted (the number is on no account): nothing matches it.
NO_CODE_SENT = "no-code-was-sent"
#: Link requests are counted over this window: per visitor chat and per customer against the policy's
#: max_sends, per client (network address) against its sign_in_per_client_per_hour.
REQUEST_WINDOW = timedelta(hours=1)


def find_phone(text: str) -> Optional[str]:
    """The first phone number in the text, as typed; None if there is none."""
    for match in _PHONE.finditer(text or ""):
        digits = sum(ch.isdigit() for ch in match.group(0))
        if _MIN_DIGITS <= digits <= _MAX_DIGITS:
            return match.group(0)
    return None


class Identify:
    """The visitor's side of linking a chat to a customer."""

    def __init__(self, services: Services) -> None:
        self.s = services

    def handle(self, turn: Turn) -> Optional[List[str]]:
        """The replies if the message is about signing in; None to let the assistant answer it."""
        if not turn.from_visitor:
            return None
        phone = find_phone(turn.text)
        if phone is not None:
            return self._start(turn.conversation_id, phone, turn.client)
        request = self.s.links.open_request(turn.conversation_id)
        if request is None:
            return None
        confident = turn.confidence >= self.s.policy.default_confidence and turn.request != "fallback"
        reply = classify_reply(turn.intent, turn.text, read_details(turn.text, turn.entities), confident)
        if reply.kind not in (ReplyKind.CODE, ReplyKind.RESEND, ReplyKind.NO):
            return None  # a question meanwhile: answered as usual, and the code still works
        if request.is_expired(self.s.clock.now()):
            self._close(request, LinkStatus.EXPIRED, "expired")
            if reply.kind is ReplyKind.NO:
                return None
            return ["That sign-in has expired and this chat isn't linked to any account. "
                    "To try again, tell me the phone number on your account."]
        if reply.kind is ReplyKind.NO:
            self._close(request, LinkStatus.CANCELLED, "declined")
            return ["No problem, I've stopped that. This chat isn't linked to any account."]
        if reply.kind is ReplyKind.RESEND:
            return self._resend(request)
        return self._verify(request, reply.code or "")

    # -- the claim ------------------------------------------------------------------------------

    def _start(self, conversation_id: str, phone: str, client: Optional[str]) -> List[str]:
        now = self.s.clock.now()
        if self.s.links.linked(conversation_id) is not None:
            return ["This chat is already signed in to an Acme account. "
                    "Reload the page if it doesn't show your conversation."]
        customer = self._customer_with(phone)
        customer_id = customer.id if customer else None
        earlier = self.s.links.open_request(conversation_id)
        if earlier is not None and earlier.customer_id == customer_id and not earlier.is_expired(now):
            return self._resend(earlier)  # the same number again: a resend, with its throttle
        if earlier is not None:
            self._close(earlier, LinkStatus.CANCELLED, "another_number")
        limit, since = self.s.policy.otp.max_sends, now - REQUEST_WINDOW
        if self.s.links.requested_since(since, conversation_id=conversation_id) >= limit:
            self.s.record("identity_link_refused", conversation_id, actor="bot", reason="too_many_requests")
            return ["I've sent as many codes as I can for this chat for now. Please try again in an hour, "
                    "or say 'agent' and a person will help you."]
        # a visitor id is free (a reload makes one); the address its chats come from is much harder to change
        # ``client``: a keyed hash of the address, made by the channel (actions.domain.links.client_digest)
        if client is not None and self.s.links.requested_since(
                since, client=client) >= self.s.policy.otp.sign_in_per_client_per_hour:
            self.s.record("identity_link_refused", conversation_id, actor="bot",
                          reason="too_many_requests_from_client", client=client)
            return ["I've had as many sign-in requests from your network as I can take for now. Please try again "
                    "in an hour, or say 'agent' and a person will help you."]
        # a number is texted a limited number of times an hour, however many chats ask; the reply doesn't say
        deliver = customer is not None and self.s.links.requested_since(since, customer_id=customer_id) < limit
        request = LinkRequest(self.s.make_id(), conversation_id, customer_id, now,
                              now + self.s.policy.confirmation_expiry, client=client)
        self.s.links.add_request(request)
        self.s.record("identity_link_requested", conversation_id, actor="customer", customer_id=customer_id,
                      link_request_id=request.id, on_account=customer is not None, code_sent=deliver,
                      phone_ending=_digits(phone)[-4:])
        self._issue(request, customer if deliver else None, send_number=1)
        return [f"If that number is on an Acme account, I've texted it a 6-digit code. Reply with the code to "
                f"continue (it's valid for {describe_duration(self.s.policy.otp.valid_for)}), or NO to cancel."]

    def _customer_with(self, phone: str) -> Optional[Customer]:
        try:
            customer = self.s.business.find_customer_by_phone(phone)
        except NotAPhoneNumber:
            return None  # told just what a number on no account is told
        return customer if customer is not None and customer.status == "active" else None

    def _issue(self, request: LinkRequest, customer: Optional[Customer], send_number: int, attempts: int = 0) -> None:
        """A new challenge for the request; its code is texted to ``customer``'s phone on file, if given."""
        now = self.s.clock.now()
        challenge, code = self.s.step_up.issue(request.id, request.digest, now, send_number)
        challenge = replace(challenge, expires_at=min(challenge.expires_at, request.expires_at), attempts=attempts)
        if customer is None:
            challenge = replace(challenge, code_hash=NO_CODE_SENT)
        self.s.challenges.add(challenge)
        if customer is not None:
            self._text(request, customer, challenge, code)

    def _text(self, request: LinkRequest, customer: Customer, challenge: OtpChallenge, code: str) -> None:
        body = (f"Acme security code: {code}. It signs you in to the Acme chat you are using now. "
                f"Valid {describe_duration(self.s.policy.otp.valid_for)}. "
                "Never share it: we will never call you to ask for it.")
        self.s.outbound.queue_code(CodeText(request.conversation_id, customer.phone, body, challenge.id, request.id,
                                            challenge.expires_at), self.s.clock.now())
        self.s.record("otp_sent", request.conversation_id, customer_id=customer.id, link_request_id=request.id,
                      challenge_id=challenge.id, send_number=challenge.send_number, channel=SMS,
                      to=f"***{customer.phone[-4:]}")

    def code_not_sent(self, failed: UndeliveredCode, conversation_id: str) -> List[str]:
        """A sign-in code never reached the phone: on record, and the visitor is told nothing different
        (a failed text and a number on no account must look alike); their code simply never comes."""
        self.s.record("otp_delivery_failed", conversation_id, link_request_id=failed.subject_id,
                      challenge_id=failed.challenge_id, error=failed.error)
        return []

    # -- the code -------------------------------------------------------------------------------

    def _resend(self, request: LinkRequest) -> List[str]:
        current = self.s.challenges.current(request.id)
        if current is None:
            return ["There's no code waiting for this sign-in. Tell me the phone number on your account again."]
        wait = self.s.step_up.resend_wait_seconds(current, self.s.clock.now())
        if wait < 0:
            return ["I've already sent the maximum number of codes for this sign-in. "
                    "Reply NO to cancel, or say 'agent' and a person will help you."]
        if wait > 0:
            return [f"I've just sent a code. You can ask for a new one in {wait} second{'' if wait == 1 else 's'}."]
        if current.status is ChallengeStatus.ACTIVE and not self.s.challenges.update(
            current, replace(current, status=ChallengeStatus.SUPERSEDED)
        ):
            return ["A new code is already on its way."]
        customer = self.s.business.get_customer(request.customer_id) if request.customer_id else None
        self._issue(request, customer, current.send_number + 1, attempts=current.attempts)
        self.s.record("otp_resent", request.conversation_id, actor="customer", customer_id=request.customer_id,
                      link_request_id=request.id)
        return ["If that number is on an Acme account, I've texted it a new code; the previous one no longer works."]

    def _verify(self, request: LinkRequest, code: str) -> List[str]:
        challenge = self.s.challenges.current(request.id)
        if challenge is None:
            return ["There's no code waiting for this sign-in. Tell me the phone number on your account again."]
        now = self.s.clock.now()
        check = self.s.step_up.verify(challenge, code, request.digest, now)
        stored = check.verdict in (Verdict.EXPIRED, Verdict.NOT_ACTIVE) \
            or self.s.challenges.update(challenge, check.challenge)
        if not stored:
            return ["That code was just used or replaced. Please check your latest message."]
        if check.verdict is Verdict.ACCEPTED:
            return self._link(request, challenge.id)
        self.s.record("identity_link_failed", request.conversation_id, actor="customer",
                      customer_id=request.customer_id, link_request_id=request.id, challenge_id=challenge.id,
                      reason=check.verdict.value, attempts=check.challenge.attempts)
        if check.verdict is Verdict.WRONG:
            tries = "try" if check.tries_left == 1 else "tries"
            return [f"That code isn't right. You have {check.tries_left} {tries} left."]
        if check.verdict is Verdict.EXPIRED:
            return ["That code has expired. Reply RESEND for a new one, or NO to cancel."]
        if check.verdict is Verdict.NOT_ACTIVE and challenge.status is ChallengeStatus.USED:
            return ["That code has already been used."]
        if check.verdict is Verdict.NOT_ACTIVE:
            return ["That code is no longer valid: a newer one was sent. Use the latest code, or reply RESEND."]
        self.s.links.move_request(request.id, (LinkStatus.REQUESTED,), LinkStatus.FAILED)
        if check.verdict is not Verdict.LOCKED:  # ACTION_CHANGED: the code was made for another claim
            return ["That code doesn't fit this sign-in, so I've stopped it and this chat isn't linked to any account. "
                    "To try again, tell me the phone number on your account."]
        return [f"That's {self.s.policy.otp.max_attempts} wrong codes, so for your security I've stopped this sign-in "
                "and this chat isn't linked to any account. To try again, tell me the phone number on your account."]

    def _link(self, request: LinkRequest, challenge_id: str) -> List[str]:
        link = self.s.links.link(request.id, self.s.clock.now(), PROOF_OTP)
        if link is None:
            return ["This sign-in is no longer open, so nothing was changed."]
        self.s.record("identity_linked", request.conversation_id, actor="customer", customer_id=link.customer_id,
                      link_request_id=request.id, challenge_id=challenge_id, proof=link.proof)
        customer = self.s.business.get_customer(link.customer_id)
        name = customer.name.split(" ")[0] if customer else ""
        return [f"Thanks{', ' + name if name else ''} — this chat is now signed in to your account."]

    def _close(self, request: LinkRequest, status: LinkStatus, reason: str) -> None:
        """End a request that never linked: its code stops working."""
        if not self.s.links.move_request(request.id, (LinkStatus.REQUESTED,), status):
            return
        challenge = self.s.challenges.current(request.id)
        if challenge is not None and challenge.status is ChallengeStatus.ACTIVE:
            self.s.challenges.update(challenge, replace(challenge, status=ChallengeStatus.VOID))
        self.s.record("identity_link_failed", request.conversation_id, actor="customer",
                      customer_id=request.customer_id, link_request_id=request.id, reason=reason)


def _digits(text: str) -> str:
    return "".join(ch for ch in text if ch.isdigit())
