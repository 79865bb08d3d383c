"""The words a closed ticket can be found by, and the same words made from what a person types.

A closed ticket is indexed once, when it closes, as a set of short terms, each tagged with what
it names: ``c:`` the customer (their id, each word of their name, the digits of a phone number
the inbox shows for them), ``r:`` a reference (the ticket's ref and id, an order number on the
ticket), ``w:`` a word of the ticket's summary, the conversation before the handoff and the
messages after it. A search is a few such terms that must all be there. Plain B-tree lookups of
whole terms work the same on SQLite and PostgreSQL, and cost the same at 10k tickets as at 100k.

Words are compared without case or accents ("José" finds "jose"), so the same normalisation is
applied to what is stored and to what is asked.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any, Iterable, List, Mapping, Optional, Set

CUSTOMER, REFERENCE, WORD = "c:", "r:", "w:"
#: Longer words are cut to this many characters on both sides: a term fits any index.
MAX_WORD = 40
#: A reference (an id, an order number) is cut to this many characters, stored and asked alike.
MAX_REFERENCE = 64
#: A phone number has at least this many digits; fewer is a customer id or a word.
MIN_PHONE_DIGITS = 7
_WORD = re.compile(r"[0-9a-z]+")
_PHONE_CHARACTERS = re.compile(r"^[+\d\s().-]+$")


def words(text: str) -> List[str]:
    """``text`` as lower-case words without accents, in order, each once ("Café, CAFE!" -> ["cafe"])."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii").lower()
    seen: List[str] = []
    for word in _WORD.findall(plain):
        cut = word[:MAX_WORD]
        if cut not in seen:
            seen.append(cut)
    return seen


def phone_digits(text: str) -> Optional[str]:
    """The digits of a phone number as people write it ("+1 (555) 010-0001" -> "15550100001"); None if not one."""
    if not _PHONE_CHARACTERS.match(text.strip() or "x"):
        return None
    digits = re.sub(r"\D", "", text)
    return digits if len(digits) >= MIN_PHONE_DIGITS else None


def customer_terms(text: str) -> Set[str]:
    """A customer as typed in the search box: a phone number, or their id or name (every word must match)."""
    digits = phone_digits(text)
    if digits is not None:
        return {CUSTOMER + digits}
    return {CUSTOMER + word for word in words(text)}


def reference_terms(text: str) -> Set[str]:
    """A ticket's ref or id, or an order number, as typed ("#1001" and "1001" are the same order)."""
    found = words(text.strip().lstrip("#"))
    return {REFERENCE + "".join(found)[:MAX_REFERENCE]} if found else set()


def word_terms(text: str) -> Set[str]:
    """Words of the conversation: every one must be on the ticket."""
    return {WORD + word for word in words(text)}


def ticket_terms(ticket_id: str, conversation_id: str, evidence: Mapping[str, Any], messages: Iterable[str],
                 addresses: Iterable[str] = ()) -> Set[str]:
    """Everything a closed ticket can be found by, from what the inbox shows of it.

    ``addresses`` are the phone numbers the conversation wrote from (shown as the contact of a
    customer on no account); ``messages`` are the texts said after the handoff, notes included.
    """
    terms = reference_terms(ticket_id) | reference_terms(ticket_id[:8])
    customer = evidence.get("customer") or {}
    for value in (customer.get("id"), customer.get("name")):
        terms |= {CUSTOMER + word for word in words(str(value or ""))}
    for phone in (customer.get("phone"), conversation_id, *addresses):
        digits = phone_digits(str(phone or ""))
        if digits is not None:
            terms.add(CUSTOMER + digits)
    for number in _order_numbers(evidence):
        terms |= reference_terms(number)
    texts = [str(evidence.get("summary") or "")]
    texts += [str(line.get("text") or "") for line in evidence.get("transcript") or ()]
    for text in (*texts, *messages):
        terms |= word_terms(text)
    return terms


def _order_numbers(evidence: Mapping[str, Any]) -> List[str]:
    """The order numbers the ticket's details show (an ``order_id`` entity, say)."""
    return [str(value) for key, value in (evidence.get("entities") or {}).items() if "order" in str(key) and value]
