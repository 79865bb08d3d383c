"""What a caller said or pressed, read as the answer the conversation waits for.

A caller reads a code aloud in many ways: "one two three four five six", "1 2 3 4 5 6",
"123 456", "four eight oh one", "double five", "triple 0", "it's 4 8 1 5 1 6". Speech
recognition writes each of these differently again. ``digits_from_speech`` takes them all to
the digits, and refuses (None) anything that is not just a run of digits with a little filler
around it: "I don't have it", "send it again" and "two hundred dollars" are not codes.

``keypad_answer`` gives the keys pressed their meaning: 1 and 2 for yes and no, or the digits
of a code (with the "#" that ends it taken off).
"""

from __future__ import annotations

import re
from typing import List, Optional

YES_NO, CODE = "yes_no", "code"

_UNITS = {"zero": "0", "oh": "0", "o": "0", "nought": "0", "naught": "0", "nil": "0", "one": "1", "won": "1",
          "two": "2", "three": "3", "four": "4", "five": "5", "six": "6", "seven": "7", "eight": "8", "ate": "8",
          "nine": "9"}
#: Words recognition writes for a digit that are also ordinary words: a digit only between two digits.
_SOUND_ALIKES = {"to": "2", "too": "2", "for": "4", "fore": "4"}
_TEENS = {"ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16,
          "seventeen": 17, "eighteen": 18, "nineteen": 19}
_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fourty": 40, "fifty": 50, "sixty": 60, "seventy": 70,
         "eighty": 80, "ninety": 90}
_REPEATS = {"double": 2, "triple": 3, "treble": 3}
#: Words around a code that change nothing: "it's", "the code is", "um", "okay so".
_FILLER = frozenset("""
    it's its it is the code my number digits that's thats was um umm uh uhh er erm ah hmm okay ok so
    please yes yeah yep sure i think i've got have and then here right let me see codes
""".split())
_TOKEN = re.compile(r"[a-z']+|\d+")


def digits_from_speech(text: str) -> Optional[str]:
    """The digits in what the caller said, in order; None if it is not a run of digits.

    Numbers said as numbers keep their digits: "forty-eight fifteen" is "4815", "four hundred
    and one" is "401". A thousand or more is refused: a code is not read that way, an amount is.
    """
    tokens = _TOKEN.findall((text or "").lower().replace("’", "'"))
    digits: List[str] = []
    i = 0
    while i < len(tokens):
        token = tokens[i]
        nxt = tokens[i + 1] if i + 1 < len(tokens) else None
        if token.isdigit():
            digits.append(token)
        elif token in _UNITS:
            if nxt == "hundred":
                said, i = _hundreds(int(_UNITS[token]), tokens, i + 2)
                digits.append(said)
                continue
            digits.append(_UNITS[token])
        elif token in _SOUND_ALIKES and digits and nxt is not None and _is_digit_word(nxt):
            digits.append(_SOUND_ALIKES[token])
        elif token in _TEENS:
            digits.append(str(_TEENS[token]))
        elif token in _TENS:
            if nxt in _UNITS and _UNITS[nxt] != "0":
                digits.append(str(_TENS[token] + int(_UNITS[nxt])))
                i += 2
                continue
            digits.append(str(_TENS[token]))
        elif token in _REPEATS:
            if nxt is None or not (nxt.isdigit() and len(nxt) == 1 or nxt in _UNITS):
                return None
            digits.append((nxt if nxt.isdigit() else _UNITS[nxt]) * _REPEATS[token])
            i += 2
            continue
        elif token not in _FILLER and token not in _SOUND_ALIKES:  # "the code for it is ..."
            return None
        i += 1
    return "".join(digits) or None


def keypad_answer(digits: str, expecting: str) -> Optional[str]:
    """What the keys pressed mean: "yes"/"no" for 1/2 when a yes or no is expected, the code's digits
    when a code is; None when the keys mean nothing here."""
    pressed = (digits or "").strip().rstrip("#*")
    if expecting == YES_NO:
        return {"1": "yes", "2": "no"}.get(pressed)
    if expecting == CODE:
        return pressed if pressed.isdigit() else None
    return None


def _is_digit_word(token: str) -> bool:
    return token.isdigit() or token in _UNITS or token in _REPEATS


def _hundreds(hundreds: int, tokens: List[str], i: int) -> tuple[str, int]:
    """ "four hundred [and] [eighty one]": the number, and where reading goes on."""
    if i < len(tokens) and tokens[i] == "and":
        i += 1
    rest = 0
    if i < len(tokens) and tokens[i] in _TENS:
        rest, i = _TENS[tokens[i]], i + 1
        if i < len(tokens) and tokens[i] in _UNITS and _UNITS[tokens[i]] != "0":
            rest, i = rest + int(_UNITS[tokens[i]]), i + 1
    elif i < len(tokens) and tokens[i] in _TEENS:
        rest, i = _TEENS[tokens[i]], i + 1
    elif i < len(tokens) and tokens[i] in _UNITS:
        rest, i = int(_UNITS[tokens[i]]), i + 1
    return str(hundreds * 100 + rest), i
