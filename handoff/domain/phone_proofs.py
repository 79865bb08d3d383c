"""Proving a phone number before approval notices go to it: a code texted to the number, typed
back in the inbox by the person who asked.

A number on a person's profile is trusted twice over: approval notices (with live codes) are
texted to it, and every text from it is taken as that person's. So a number is put on a profile
only once its owner shows they read texts sent to it. The code is a step-up challenge
(``actions.domain.step_up``: keyed hash, expiry, limited wrong tries, throttled resends) bound
to the person, the number and the settings asked for: a code for another number, or for
someone else, matches nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Optional, Tuple

from actions.domain.policy import describe_duration
from actions.domain.step_up import ChallengeStatus, OtpChallenge, StepUp


@dataclass(frozen=True)
class PhoneProfile:
    """A person's own settings for approval notices (as kept, or as asked for)."""

    phone: Optional[str]  # E.164; None: no number
    notices_by: str  # sms | whatsapp
    on_duty: bool

    def to_dict(self) -> dict:
        return {"phone": self.phone, "notices_by": self.notices_by, "on_duty": self.on_duty}


@dataclass(frozen=True)
class PhoneProof:
    """A number waiting for its code (a row of ``phone_proofs``), with the settings that come with it."""

    username: str
    wanted: PhoneProfile
    challenge: OtpChallenge

    @property
    def phone(self) -> str:
        return str(self.wanted.phone)

    def open(self, now: datetime) -> bool:
        """Whether its code may still be typed in."""
        return self.challenge.status is ChallengeStatus.ACTIVE and now < self.challenge.expires_at

    def after(self, challenge: OtpChallenge) -> "PhoneProof":
        return replace(self, challenge=challenge)


def proof_digest(username: str, wanted: PhoneProfile) -> str:
    """What a code is bound to: this person taking these settings, this number."""
    return f"phone-proof\x1f{username}\x1f{wanted.phone}\x1f{wanted.notices_by}\x1f{int(wanted.on_duty)}"


def ask(step_up: StepUp, username: str, wanted: PhoneProfile, earlier: Optional[PhoneProof],
        now: datetime) -> Tuple[PhoneProof, str]:
    """A new code for ``username`` to prove ``wanted.phone``, and the code to text (never stored).

    An earlier ask still within its validity counts towards the resends, whatever number it was
    for: nobody gets a stream of codes sent to strangers' phones.
    """
    recent = earlier is not None and now < earlier.challenge.expires_at
    send_number = earlier.challenge.send_number + 1 if recent and earlier else 1
    challenge, code = step_up.issue(username, proof_digest(username, wanted), now, send_number)
    return PhoneProof(username, wanted, challenge), code


def wait_before_asking(step_up: StepUp, earlier: Optional[PhoneProof], now: datetime) -> int:
    """Seconds to wait before another code may be texted (-1: no more for now, 0: now)."""
    if earlier is None or now >= earlier.challenge.expires_at:
        return 0
    return step_up.resend_wait_seconds(earlier.challenge, now)


def code_text(code: str, step_up: StepUp) -> str:
    """The text carrying the code: what it is for, and what to do if you never asked."""
    return (f"Acme inbox: {code} is your code to receive approval notices on this phone "
            f"(valid {describe_duration(step_up.rules.valid_for)}). Not you? Ignore this text: "
            "nothing changes without the code.")
