"""Details a customer gives in free text: order numbers, amounts, emails, addresses, slots, codes,
and whether a refund should be store credit.

Rasa's entity extractors find most of them; these fallbacks read the raw text so a missed
entity costs a clarifying question at worst, never a wrong action.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from typing import Dict, Mapping, Optional, Union

from actions.domain.business import ORIGINAL_PAYMENT_METHOD, STORE_CREDIT
from actions.domain.money import AmountError, find_amount
from actions.domain.sealed import CODE_AS_TYPED
from actions.domain.turn import MAX_MESSAGE_CHARS

SLOTS = ("morning", "afternoon", "evening")
_ORDER = re.compile(r"(?<![\d$.,])#?(\d{4})(?![\d.,]|\s?(?:dollars?|usd|bucks))", re.IGNORECASE)
# starts only where a word does, so a long run of letters without "@" is read once, not once per letter
_EMAIL = re.compile(r"(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
_ADDRESS = re.compile(r"\b(?:to|is|at)\s*:?\s+(\d+[\w\s,.'-]*[A-Za-z][\w\s,.'-]*)$", re.IGNORECASE)
_LAST4 = re.compile(r"(?:ending|ends|last four|last 4|\*+)\s*(?:in|with)?\s*(\d{4})\b", re.IGNORECASE)
_BRANDS = ("visa", "mastercard", "amex", "american express", "discover")
_STORE_CREDIT = re.compile(
    r"\b(?:store|account|acme|shop) credit\b|\bas (?:a )?credit\b|\b(?:to|on|onto|into) my (?:acme )?(?:account )?balance\b",
    re.IGNORECASE,
)
_NOT = re.compile(r"\b(?:not|no|don'?t|do not|never|without|instead of|rather than)\b[\w\s']{0,20}$", re.IGNORECASE)


@dataclass(frozen=True)
class Details:
    order_id: Optional[str] = None
    amount_cents: Optional[int] = None
    amount_problem: Optional[str] = None  # an amount was named but can't be taken: what to tell the customer
    email: Optional[str] = None
    address: Optional[str] = None
    slot: Optional[str] = None
    code: Optional[str] = None
    card_last4: Optional[str] = None
    card_brand: Optional[str] = None
    #: Where a refund goes when the customer said so: STORE_CREDIT only when they asked for it in
    #: words, ORIGINAL_PAYMENT_METHOD when they said they don't want it ("not store credit").
    refund_to: Optional[str] = None

    def remembered(self) -> Dict[str, Union[str, int]]:
        """What is worth keeping for the customer's next message: what they said, not what was wrong with it."""
        return {key: value for key, value in asdict(self).items() if value is not None and key != "amount_problem"}


def read_details(text: str, entities: Mapping[str, str], *, expecting_amount: bool = False) -> Details:
    """The amount comes from the text through the one money parser, not from Rasa's ``amount``
    entity: that regex stops at two decimals ("$12.345" -> "$12.34") and knows no words.

    Only the first ``MAX_MESSAGE_CHARS`` are read: the channels refuse longer messages, and some
    of these patterns take time that grows with the square of the text's length."""
    text = text[:MAX_MESSAGE_CHARS]
    lowered = text.lower()
    try:
        amount, problem = find_amount(text, bare_number_ok=expecting_amount), None
    except AmountError as refused:
        amount, problem = None, refused.message
    return Details(
        order_id=_order_id(text, entities),
        amount_cents=amount,
        amount_problem=problem,
        email=(entities.get("email") or _first(_EMAIL, text)),
        address=_address(text),
        slot=_slot(lowered, entities),
        code=_code(text, entities),
        card_last4=_first(_LAST4, text),
        card_brand=next((brand for brand in _BRANDS if brand in lowered), None),
        refund_to=_refund_to(text),
    )


def _refund_to(text: str) -> Optional[str]:
    match = _STORE_CREDIT.search(text)
    if not match:
        return None
    return ORIGINAL_PAYMENT_METHOD if _NOT.search(text[:match.start()]) else STORE_CREDIT


def _order_id(text: str, entities: Mapping[str, str]) -> Optional[str]:
    if _LAST4.search(text):
        return None  # "the card ending 5555" is a card, not an order
    value = (entities.get("order_id") or "").strip("#")
    return value if value.isdigit() else _first(_ORDER, text)


def _address(text: str) -> Optional[str]:
    match = _ADDRESS.search(text.strip())
    if not match:
        return None
    address = re.sub(r"\s+(?:instead|please|thanks|thank you)\W*$", "", match.group(1), flags=re.IGNORECASE).strip(" .,")
    return address if len(address) >= 6 else None


def _slot(lowered: str, entities: Mapping[str, str]) -> Optional[str]:
    value = (entities.get("delivery_slot") or "").lower()
    if value in SLOTS:
        return value
    return next((slot for slot in SLOTS if re.search(rf"\b{slot}\b", lowered)), None)


def _code(text: str, entities: Mapping[str, str]) -> Optional[str]:
    value = entities.get("otp_code")
    if value and len(value) == 6 and value.isdigit():
        return value
    match = CODE_AS_TYPED.search(text)
    return match.group(1) + match.group(2) if match else None


def _first(pattern: re.Pattern, text: str) -> Optional[str]:
    match = pattern.search(text)
    if not match:
        return None
    return match.group(1) if match.groups() else match.group(0)
