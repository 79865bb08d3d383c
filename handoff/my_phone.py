"""A person's own phone for approval notices (``MyPhone``): a new number is theirs only once proven.

Approval notices carry live codes, and every text from a number on a profile is taken as that
person's (the SMS and WhatsApp channels look people up before customers). So a new number waits,
with the settings that came with it, until the code texted to it (by SMS or WhatsApp, as the
person chose, through the delivery queue) is typed back in the inbox; until then the profile
keeps its old number, or none, and nobody goes on duty without a proven one. A number on a
customer's record or on another profile is refused, and so is anyone whose role signs off
nothing in the approvals queue and takes no calls (an agent may keep a number for calls, without going
on duty). Being available by phone (``take_calls``: customers' calls handed to people ring the
number) needs a proven number. Each step is on the audit log, never with the code.
"""

from __future__ import annotations

from typing import Any, Dict, Optional

from actions.domain.business import BusinessUnavailable
from actions.domain.outbound import CodeText
from actions.domain.sessions import staff_key
from actions.domain.step_up import Verdict
from actions.sms.twilio_messages import mask_number
from handoff.desk import Desk
from handoff.desk_base import actor
from handoff.domain.call_roster import call_refusal
from handoff.domain.errors import Conflict, Forbidden, InboxError, TooSoon, Unavailable
from handoff.domain.people import User
from handoff.domain.phone_proofs import PhoneProfile, ask, code_text, wait_before_asking
from handoff.domain.sign_off import notice_refusal
from handoff.phone_codes import SqlPhoneCodes, notice_row
from handoff.phone_proofs import NumberTaken, SqlPhoneProofs

#: What a code proving a number is for, on the delivery queue's record.
PROOF_SUBJECT = "phone-number"
NOT_WAITING = "no new number is waiting for a code: save your number first, and a code is texted to it"


class MyPhone:
    def __init__(self, desk: Desk, codes: SqlPhoneCodes, proofs: SqlPhoneProofs) -> None:
        self.desk = desk
        self.codes = codes
        self.proofs = proofs
        self.step_up = desk.s.step_up  # the customers' code rules: expiry, wrong tries, resends

    def view(self, user: User) -> Dict[str, Any]:
        """The settings in force, the new number waiting for its code (if any), and why the person
        may not take notices (None if they may)."""
        proof = self.proofs.proof(user.username)
        waiting = proof if proof is not None and proof.open(self.desk.now) else None
        return {**self.codes.profile(user.username).to_dict(),
                "pending": {**waiting.wanted.to_dict(), "expires_at": waiting.challenge.expires_at.isoformat()}
                if waiting else None,
                "refused": notice_refusal(user.role, self.desk.s.policy.approvals),
                "available_by_phone": self.codes.available_by_phone(user.username),
                "calls_refused": call_refusal(user.role)}

    def take_calls(self, user: User, available: bool) -> Dict[str, Any]:
        """Available by phone (or not): customers' calls handed to people may ring the proven number."""
        why = call_refusal(user.role)
        if available and why:
            raise Forbidden(f"you can't take calls: {why}")
        if available and self.codes.profile(user.username).phone is None:
            raise InboxError("add your phone number and type in the code texted to it before taking calls")
        if self.codes.available_by_phone(user.username) == available:
            return self.view(user)
        if not self.codes.set_available_by_phone(user.username, available):
            raise Conflict("your number was removed just now from another page: add it again to take calls")
        phone = self.codes.profile(user.username).phone
        self._record(user, "available_by_phone" if available else "unavailable_by_phone",
                     phone=mask_number(phone) if phone else None)
        return self.view(user)

    def profile(self, user: User) -> PhoneProfile:
        """The settings in force."""
        return self.codes.profile(user.username)

    def change(self, user: User, wanted: PhoneProfile) -> Dict[str, Any]:
        """New settings from the panel: a new number is texted a code and waits for it; anything else
        (the channel, on or off duty, no number) is kept at once."""
        current = self.codes.profile(user.username)
        if wanted.phone is None:
            self.proofs.forget(user.username)
            self.codes.set_profile(user.username, wanted)
            if current.phone is not None:
                self._record(user, "phone_number_removed", phone=mask_number(current.phone))
            return self.view(user)
        why = self._refusal(user, wanted)
        if why and wanted != current:
            raise Forbidden(f"you can't set a phone for approval notices: {why}")
        if wanted.phone == current.phone:
            self.codes.set_profile(user.username, wanted)
            return self.view(user)
        self._check_free(user, wanted.phone)
        self._send_code(user, wanted)
        return self.view(user)

    def confirm(self, user: User, code: str) -> Dict[str, Any]:
        """The code texted to the new number, typed back: the number and its settings are kept."""
        if not code.strip():
            raise InboxError("'code' must be the code texted to your new number")
        now = self.desk.now
        proof = self.proofs.proof(user.username)
        if proof is None or not proof.open(now):
            raise InboxError(NOT_WAITING if proof is None or proof.challenge.status.value == "used" else
                             "that code no longer works (it expired, or too many wrong codes came): "
                             "save the number again for a new code")
        why = self._refusal(user, proof.wanted)
        if why:
            raise Forbidden(f"you can't set a phone for approval notices: {why}")
        checked = self.step_up.verify(proof.challenge, code, proof.challenge.action_digest, now)
        if checked.verdict in (Verdict.WRONG, Verdict.LOCKED):
            if not self.proofs.move(proof, proof.after(checked.challenge)):
                raise Conflict("your code was checked just now from another page: try again")
            self._record(user, "phone_number_code_failed", phone=mask_number(proof.phone),
                         tries_left=checked.tries_left)
            if checked.verdict is Verdict.LOCKED:
                raise InboxError("wrong code, and that was the last try: save the number again for a new code")
            raise InboxError(f"wrong code: {checked.tries_left} tr{'y' if checked.tries_left == 1 else 'ies'} left")
        if checked.verdict is not Verdict.ACCEPTED:
            raise InboxError("that code no longer works: save the number again for a new code")
        self._check_free(user, proof.phone)  # a customer may have been given it since
        try:
            if not self.proofs.prove(proof, proof.after(checked.challenge)):
                raise Conflict("your code was used just now from another page: reload to see your settings")
        except NumberTaken:
            raise Conflict(f"{proof.phone} is on another person's profile now: each phone belongs to one person") \
                from None
        self._record(user, "phone_number_confirmed", phone=mask_number(proof.phone),
                     notices_by=proof.wanted.notices_by, on_duty=proof.wanted.on_duty)
        return self.view(user)

    # -- the parts --------------------------------------------------------------------------------

    def _refusal(self, user: User, wanted: PhoneProfile) -> Optional[str]:
        """Why these settings can't be kept: going on duty needs a role that signs something off; a
        number alone is enough for one who may take calls (agents), not for an admin."""
        why = notice_refusal(user.role, self.desk.s.policy.approvals)
        return why if why and (wanted.on_duty or call_refusal(user.role)) else None

    def _check_free(self, user: User, phone: str) -> None:
        """Refuse a number that is a customer's or on another person's profile (their texts would
        become this person's, and notices would go to them)."""
        try:
            customer = self.desk.s.business.find_customer_by_phone(phone)
        except BusinessUnavailable:
            raise Unavailable("the customer records can't be checked for this number right now: "
                              "nothing was changed, try again in a minute") from None
        if customer is not None:
            self._record(user, "phone_number_refused", phone=mask_number(phone), customer_id=customer.id,
                         why="a customer's number")
            raise Conflict(f"{phone} is a customer's number on our records: it can't be on a person's profile "
                           "(the customer's texts would reach you instead of the assistant)")
        owner = self.desk.store.user_by_phone(phone)
        if owner is not None and owner.username != user.username:
            raise Conflict(f"{phone} is on another person's profile: each phone belongs to one person")

    def _send_code(self, user: User, wanted: PhoneProfile) -> None:
        """Text a code to the new number by the channel chosen, through the delivery queue."""
        now, earlier = self.desk.now, self.proofs.proof(user.username)
        wait = wait_before_asking(self.step_up, earlier, now)
        if wait < 0:
            raise TooSoon("no more codes for now: type in the last code texted to you, or try again in a few minutes")
        if wait > 0:
            raise TooSoon(f"a code was texted just now: wait {wait} seconds before asking for another")
        proof, code = ask(self.step_up, user.username, wanted, earlier, now)
        conversation = staff_key(user.username)
        text = CodeText(conversation, proof.phone, code_text(code, self.step_up), proof.challenge.id, PROOF_SUBJECT,
                        proof.challenge.expires_at)
        if not self.proofs.ask(earlier, proof, notice_row(conversation, wanted.notices_by, text.payload(), now)):
            raise Conflict("a code was asked for just now from another page: type in that one, or ask again")
        self._record(user, "phone_number_requested", phone=mask_number(proof.phone), notices_by=wanted.notices_by,
                     on_duty=wanted.on_duty, send_number=proof.challenge.send_number)

    def _record(self, user: User, event: str, customer_id: Optional[str] = None, **detail: object) -> None:
        self.desk.s.record(event, staff_key(user.username), actor=actor(user), customer_id=customer_id, **detail)

