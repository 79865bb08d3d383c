"""Phone numbers, read in one place: whatever form they come in, E.164 out, or a clear refusal.

Customers are stored under E.164 (``+15550100001``) and every channel hands numbers over in
its own form: Twilio's SMS webhook sends ``+15550100001``, its WhatsApp webhook
``whatsapp:+15550100001``, people type ``(555) 010-0001`` or ``001 555 010 0001``. All of
them are read here, by libphonenumber (``phonenumbers``), so that one number is one customer
however it arrives. A number written without its country code is read in the deployment's
default region (``HITL_PHONE_REGION``). Anything that is not a possible phone number (letters,
too few or too many digits, an unknown country code, a local number without its area code) is
refused with :class:`NotAPhoneNumber`, never guessed at: a guess could name the wrong person.

"Possible", not "valid": libphonenumber's validity tables lag behind new ranges, and the
numbers reserved for fiction and tests (``555-01xx``) are possible but not valid.
"""

from __future__ import annotations

from typing import Tuple

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberFormat, ValidationResult

DEFAULT_REGION = "US"
#: How Twilio writes a WhatsApp address on the wire (``whatsapp:+15550100001``).
WHATSAPP_PREFIX = "whatsapp:"
#: Channel prefixes a number may carry (Twilio's WhatsApp form, tel: and sms: links).
_PREFIXES: Tuple[str, ...] = (WHATSAPP_PREFIX, "tel:", "sms:")
#: The international call prefix of most of the world: ``00 44 ...`` means ``+44 ...`` even where the
#: default region dials abroad another way (``011`` in the US).
_INTERNATIONAL_00 = "00"
_LONGEST_INPUT = 64  # no written phone number is longer; libphonenumber's own limit is 250
_EXAMPLE = "+15550100001"

_NO_COUNTRY = "its country code is not one in use"
_TOO_SHORT, _TOO_LONG = "it has too few digits", "it has too many digits"
#: Why libphonenumber could not read the text at all, or found it no possible number, in words.
_WHY_UNREADABLE = {
    NumberParseException.INVALID_COUNTRY_CODE: _NO_COUNTRY,
    NumberParseException.TOO_SHORT_NSN: _TOO_SHORT,
    NumberParseException.TOO_SHORT_AFTER_IDD: _TOO_SHORT,
    NumberParseException.TOO_LONG: _TOO_LONG,
}
_WHY_IMPOSSIBLE = {
    ValidationResult.INVALID_COUNTRY_CODE: _NO_COUNTRY,
    ValidationResult.TOO_SHORT: _TOO_SHORT,
    ValidationResult.TOO_LONG: _TOO_LONG,
    ValidationResult.INVALID_LENGTH: "no number in that country has that many digits",
    ValidationResult.IS_POSSIBLE_LOCAL_ONLY: "it lacks its area code",
}


class NotAPhoneNumber(ValueError):
    """The text is not a phone number anyone can be reached on; the message says why and what to send."""

    def __init__(self, text: str, why: str) -> None:
        shown = text if len(text) <= 32 else text[:32] + "..."
        super().__init__(f"{shown!r} is not a phone number: {why}. "
                         f"Write it in international form with its country code, e.g. {_EXAMPLE}")
        self.text = text
        self.why = why


def check_region(region: str) -> str:
    """The region code (``US``, ``GB``, ``DE``) numbers without a country code are read in, upper-cased;
    a ValueError for one libphonenumber doesn't know."""
    code = region.strip().upper()
    if code not in phonenumbers.SUPPORTED_REGIONS:
        raise ValueError(f"{region!r} is not a region code libphonenumber knows: use two letters such as "
                         "US, GB, DE or IN")
    return code


def e164(text: str, region: str = DEFAULT_REGION) -> str:
    """The number in ``text`` as E.164 (``+15550100001``); a number without a country code is read in
    ``region``. Raises :class:`NotAPhoneNumber` when there is none."""
    number = _without_prefix(text.strip())
    if not number:
        raise NotAPhoneNumber(text, "it is empty")
    if len(number) > _LONGEST_INPUT:
        raise NotAPhoneNumber(text, f"it is longer than {_LONGEST_INPUT} characters")
    if any(ch.isalpha() for ch in number):
        raise NotAPhoneNumber(text, "it has letters in it")
    parsed = _parse(text, number, region)
    if parsed.extension:
        raise NotAPhoneNumber(text, "it has an extension, and a text message can't reach one")
    if not phonenumbers.is_possible_number(parsed) and number.startswith(_INTERNATIONAL_00):
        parsed = _parse(text, "+" + number[len(_INTERNATIONAL_00):], region)
    verdict = phonenumbers.is_possible_number_with_reason(parsed)
    if verdict is not ValidationResult.IS_POSSIBLE:
        raise NotAPhoneNumber(text, _WHY_IMPOSSIBLE.get(verdict, "it can't be dialled"))
    return phonenumbers.format_number(parsed, PhoneNumberFormat.E164)


def whatsapp_address(text: str, region: str = DEFAULT_REGION) -> str:
    """The number as Twilio addresses it on WhatsApp: ``whatsapp:+15550100001``."""
    return WHATSAPP_PREFIX + e164(text, region)


def _without_prefix(text: str) -> str:
    lowered = text.lower()
    for prefix in _PREFIXES:
        if lowered.startswith(prefix):
            return text[len(prefix):].strip()
    return text


def _parse(text: str, number: str, region: str) -> phonenumbers.PhoneNumber:
    try:
        return phonenumbers.parse(number, region)
    except NumberParseException as unreadable:
        why = _WHY_UNREADABLE.get(unreadable.error_type, "it has no digits a number could be read from")
        raise NotAPhoneNumber(text, why) from None
