"""Who is texting or calling: the SMS, WhatsApp and voice channels' identity resolver.

Twilio signs every webhook it sends, and the channel checks that signature before asking
here, so the ``From`` of a webhook is the number the message really came from. A number
is read once (``actions.domain.phones``) and then:

- on an active customer's record: that customer's one conversation (``customer-C001``),
  the same by SMS, by WhatsApp (``whatsapp:+15550100001`` is the same number), in the web
  chat and over REST, so a conversation begun on WhatsApp continues by SMS;
- on nobody's record (or a closed account's): a visitor, whose conversation id is a keyed
  hash of the number. The same number always comes back to the same conversation, which
  names nobody, so it gets the assistant's public answers only. The id can't be turned back
  into the number without the server's secret, and it can't equal a number or a customer's
  key. A visitor who proves by a code texted to a customer's phone on file that they are
  that customer (``actions.domain.identify``) is that customer from then on, like a web chat
  visitor who signed in;
- no number at all, or text that is no phone number: refused, with the reason. A call is
  different: a caller may withhold their number (Twilio then writes ``anonymous`` or one of a
  few stand-in numbers), and a call can't be refused mid-ring. A withheld caller is a visitor
  for that one call (keyed by its CallSid), with the public answers only
  (``VoiceResolver``).
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Mapping, Optional

from actions.domain.links import LinkedCustomers
from actions.domain.phones import DEFAULT_REGION, NotAPhoneNumber, e164
from actions.domain.sessions import (
    CustomerDirectory,
    Identity,
    Refused,
    Resolution,
    new_visitor_key,
)

#: The Twilio channels: Rasa's input channel names, and the keys of their resolvers.
PHONE_CHANNELS = ("sms", "whatsapp", "voice")
#: What Twilio writes in ``From`` when a caller withholds their number.
WITHHELD = ("", "anonymous", "restricted", "unknown", "private", "unavailable", "+266696687", "+7378742833",
            "+2562533", "+8656696", "+86282452253")
PROOF = "signed_webhook"
#: A visitor's number that proved, by a code on a customer's phone, to be that customer.
LINKED_PROOF = "signed_webhook+otp_link"
#: Keeps these hashes apart from anything else the same secret keys.
_PURPOSE = b"phone-visitor\x00"
_WITHHELD_PURPOSE = b"withheld-call\x00"


class PhoneResolver:
    """SMS or WhatsApp: the number in the signed webhook's ``From`` names the writer."""

    def __init__(self, channel: str, directory: CustomerDirectory, secret: str, region: str = DEFAULT_REGION,
                 links: Optional[LinkedCustomers] = None) -> None:
        if channel not in PHONE_CHANNELS:
            raise ValueError(f"a phone channel is one of {PHONE_CHANNELS}, got {channel!r}")
        if len(secret) < 32:
            raise ValueError("the phone channels need a secret of at least 32 characters to key visitors' ids")
        self.channel = channel
        self.directory = directory
        self._secret = secret.encode()
        self.region = region
        self.links = links

    def resolve(self, evidence: Mapping[str, str]) -> Resolution:
        sender = evidence.get("from") or ""
        if not sender.strip():
            return Refused(f"the {self.channel} webhook names no sender: 'From' must be the number that wrote")
        try:
            number = e164(sender, self.region)
        except NotAPhoneNumber as unreadable:
            return Refused(f"the {self.channel} webhook's 'From' can't be read: {unreadable}")
        customer = self.directory.find_customer_by_phone(number)
        if customer is not None and customer.status == "active":
            return Identity.customer(customer.id, self.channel, PROOF)
        visitor = self.visitor_key(number)
        link = self.links.linked(visitor) if self.links is not None else None
        if link is not None:
            return Identity.customer(link.customer_id, self.channel, LINKED_PROOF)
        return Identity.visitor(visitor, self.channel)

    def visitor_key(self, number: str) -> str:
        """The conversation of a number on no customer's record: the same for the number every time."""
        digest = hmac.new(self._secret, _PURPOSE + number.encode(), hashlib.sha256).hexdigest()
        return new_visitor_key(lambda: digest[:32])


class VoiceResolver:
    """A call: the signed webhook's ``From`` names the caller, as a text's does (``PhoneResolver``);
    a withheld number is a visitor for this call alone, keyed by its ``CallSid``."""

    def __init__(self, numbers: PhoneResolver) -> None:
        if numbers.channel != "voice":
            raise ValueError(f"a call's numbers are resolved for the voice channel, not {numbers.channel!r}")
        self.numbers = numbers

    def resolve(self, evidence: Mapping[str, str]) -> Resolution:
        sender = (evidence.get("from") or "").strip()
        if sender.lower() not in WITHHELD:
            return self.numbers.resolve(evidence)
        call = (evidence.get("call") or "").strip()
        if not call:
            return Refused("a call from a withheld number needs its CallSid to be told apart from other calls")
        digest = hmac.new(self.numbers._secret, _WITHHELD_PURPOSE + call.encode(), hashlib.sha256).hexdigest()
        return Identity.visitor(new_visitor_key(lambda: digest[:32]), "voice")


def withheld(sender: str) -> bool:
    """Whether a call's ``From`` is no number: the caller withheld it."""
    return sender.strip().lower() in WITHHELD
