"""Money is integer cents everywhere. One parser reads the amounts people write.

Customers in the chat and staff in the inbox type amounts the same way, so both go through
``parse_amount``: an amount it can't take exactly as written ("$-5", "0,0,1", "$12.345") is
refused with an ``AmountError`` that tells the person what to write, never rounded, guessed
or quietly replaced by another amount.
"""

from __future__ import annotations

import re
from typing import Optional

#: the most dollars anyone can write: $9,999,999.99 (refund and approval limits are far lower)
MAX_DOLLAR_DIGITS = 7
HOW = "Write it like 12.50."


class AmountError(ValueError):
    """An amount that can't be taken as written; ``message`` says what to write instead."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


_UNITS = ("zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
          "sixteen seventeen eighteen nineteen").split()
_TENS = "twenty thirty forty fifty sixty seventy eighty ninety".split()
_WORD_VALUES = {**{word: n for n, word in enumerate(_UNITS)}, **{word: 20 + 10 * n for n, word in enumerate(_TENS)}}
_NUMBER_WORD = r"\b(?:" + "|".join(sorted(_WORD_VALUES, key=len, reverse=True)) + r"|hundred|thousand)\b"
# "fifty", "twenty-five", "a hundred and twenty", "a" only where it means one ("a hundred", "a dollar")
_WORDS = (rf"(?:\ban?\b(?=\s+(?:hundred|thousand|dollar|buck)\b)|{_NUMBER_WORD})"
          rf"(?:(?:\s+and\s+|\s+|-){_NUMBER_WORD})*")
# a number as typed, up to the first space: "12.345", "0,0,1", "5k", but not a full stop after it
_DIGITS = r"(?:[.,]?\d(?:\w|[.,](?=\w))*)"
_NUMBER = rf"(?:{_DIGITS}|{_WORDS})"
_MINUS = "-\u2212\u2013"  # hyphen, minus sign, en dash
_SIGN = rf"(?:(?<![\w.,])[{_MINUS}]|\b(?:minus|negative)\s+)"
_BEFORE = r"(?:\$|\busd\b)"
_CURRENCY = r"(?:dollars?|bucks?|usd)"
_AFTER = rf"{_CURRENCY}\b"

# the whole of one field or phrase
_PHRASE = re.compile(rf"(?P<sign>[{_MINUS}]|(?:minus|negative)\s)?\s*(?:us\$|\$|usd\b)?\s*(?P<sign2>[{_MINUS}])?\s*"
                     rf"(?P<number>.+?)\s*(?P<currency>{_CURRENCY})?", re.IGNORECASE)
_EXACT = re.compile(r"(?:0|[1-9]\d{0,2}(?:,\d{3})+|[1-9]\d*)?(?:\.\d{1,2})?")
_TOO_PRECISE = re.compile(r"(?:0|[1-9]\d{0,2}(?:,\d{3})+|[1-9]\d*)?\.\d{3,}")

# amounts inside a message: marked as money, in cents, or (when an amount was asked for) bare
_MARKED = re.compile(rf"{_SIGN}?{_BEFORE}\s?[{_MINUS}]?\s?{_NUMBER}(?:\s?{_AFTER})?"
                     rf"|{_SIGN}?(?<![\w.,]){_NUMBER}\s?{_AFTER}", re.IGNORECASE)
_IN_CENTS = re.compile(rf"(?<![\w.,]){_NUMBER}\s?(?:cents?\b|¢)", re.IGNORECASE)
# a lone "one" is too often "this one" to be a dollar
_BARE = re.compile(rf"{_SIGN}?(?<![\w.,$])(?!one\b(?![\s-]+{_NUMBER_WORD})){_NUMBER}", re.IGNORECASE)


def parse_amount(text: str) -> int:
    """One written amount, in cents: "12.50", "$1,250", "USD 40", "fifty dollars", "a hundred and twenty bucks".

    Thousands separators only in groups of three, at most two decimals, more than zero.
    """
    written = " ".join(text.split())
    match = _PHRASE.fullmatch(written) if len(written) <= 60 else None
    if not match or (match.group("number").lower() in ("a", "an") and not match.group("currency")):
        raise AmountError(f"I couldn't read \"{written}\" as an amount. {HOW}")
    number = match.group("number")
    if re.search(r"\d", number):
        amount = _digits_to_cents(number, written)
    else:
        amount = _words_to_dollars(number, written) * 100
    if match.group("sign") or match.group("sign2"):
        raise AmountError(f"\"{written}\" is below zero: an amount must be more than $0.00. {HOW}")
    if amount == 0:
        raise AmountError(f"\"{written}\" is zero: an amount must be more than $0.00. {HOW}")
    return amount


def find_amount(text: str, *, bare_number_ok: bool = False) -> Optional[int]:
    """The amount a customer names in a message, in cents, or None if they name none.

    Raises ``AmountError`` when they name one that can't be taken as written: "refund $-5"
    must be asked about again, never read as "no amount" (which means the whole order).
    A bare number ("30", "fifty") only counts when the caller asked for an amount, because
    in "refund order 1001" the number is an order id, not money.
    """
    in_cents = _IN_CENTS.search(text)  # first: "twelve dollars and fifty cents" is not $12
    if in_cents:
        raise AmountError(f"I want to be sure of the amount: write \"{in_cents.group(0)}\" in dollars, like 0.50.")
    marked = _MARKED.search(text)
    if marked:
        return parse_amount(marked.group(0))
    if "$" in text:
        raise AmountError(f"I couldn't read the amount after the $ sign. {HOW}")
    if bare_number_ok:
        bare = _BARE.search(text)
        if bare:
            return parse_amount(bare.group(0))
    return None


def format_cents(amount_cents: int) -> str:
    """4250 -> '$42.50'."""
    sign = "-" if amount_cents < 0 else ""
    value = abs(amount_cents)
    return f"{sign}${value // 100:,}.{value % 100:02d}"


def _digits_to_cents(number: str, written: str) -> int:
    if _EXACT.fullmatch(number) and number != ".":
        whole, _, fraction = number.replace(",", "").partition(".")
        if len(whole) > MAX_DOLLAR_DIGITS:
            most = format_cents(10 ** (MAX_DOLLAR_DIGITS + 2) - 1)
            raise AmountError(f"\"{written}\" is more than {most}, the most an amount can be. {HOW}")
        return int(whole or "0") * 100 + int((fraction + "00")[:2])
    if _TOO_PRECISE.fullmatch(number):
        raise AmountError(f"\"{written}\" has more than two decimals: amounts are in dollars and cents. {HOW}")
    if "," in number:
        raise AmountError(f"I couldn't read \"{written}\": commas only separate thousands, as in 1,250.00. {HOW}")
    raise AmountError(f"I couldn't read \"{written}\" as an amount. {HOW}")


def _words_to_dollars(phrase: str, written: str) -> int:
    """ "a hundred and twenty" -> 120. Anything that could mean two amounts is refused, never guessed:
    "five fifty" (5.50? 550?), "twenty five hundred" (2,500? 25 and 100?)."""
    tokens = phrase.lower().replace("-", " ").split()
    if not all(token in _WORD_VALUES or token in ("hundred", "thousand", "and", "a", "an") for token in tokens):
        raise AmountError(f"I couldn't read \"{written}\" as an amount. {HOW}")
    unsure = AmountError(f"I can't be sure what amount \"{written}\" is. Write it in digits, like 12.50.")
    total, group, last = 0, 0, "start"
    for i, token in enumerate(tokens):
        value = _WORD_VALUES.get(token)
        if token in ("a", "an") and last == "start":
            group, last = 1, "a"
        elif value is not None and value < 20 and last in ("start", "tens", "hundred", "thousand", "and") \
                and not (token == "zero" and len(tokens) > 1) and not (last == "tens" and value >= 10):
            group, last = group + value, "unit"
        elif value is not None and value >= 20 and last in ("start", "hundred", "thousand", "and"):
            group, last = group + value, "tens"
        elif token == "hundred" and (last == "start" or (last in ("unit", "a") and group < 20)):
            group, last = max(group, 1) * 100, "hundred"
        elif token == "thousand" and total == 0 and last in ("start", "unit", "tens", "hundred", "a"):
            total, group, last = max(group, 1) * 1000, 0, "thousand"
        elif token == "and" and last in ("hundred", "thousand") and i + 1 < len(tokens):
            last = "and"
        else:
            raise unsure
    if last in ("start", "and"):
        raise unsure
    return total + group
