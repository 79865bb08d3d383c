"""The words a closed ticket can be found by, and the same words made from what a person types.

A closed ticket is indexed once, when it closes, as a set of short terms, each tagged with what
it names: ``c:`` the customer (their id, each word of their name and each pair of those words,
the digits of a phone number the inbox shows for them), ``r:`` a reference (the ticket's ref and id, an order number on the
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
#: Joins two words of a customer in one term (never in a word itself).
PAIRED = "+"
#: A customer's words (id, then name) paired with one another, at most: a name is a few words.
MAX_PAIRED = 12
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
    """A customer as typed in the search box: a phone number, or their id or name (every word must match).

    Two words or more also give the pair of the two longest: a first name and a last name are each
    common, the two together rare, and the pair is one index range to read instead of every
    ticket of one name checked for the other."""
    digits = phone_digits(text)
    if digits is not None:
        return {CUSTOMER + digits}
    found = words(text)
    longest = sorted(found, key=lambda word: (-len(word), word))[:2]
    return {CUSTOMER + word for word in found} | ({_pair(*longest)} if len(longest) == 2 else set())


def customer_words(evidence: Mapping[str, Any]) -> List[str]:
    """The words of the customer a ticket's evidence names: their id, then their name."""
    customer = evidence.get("customer") or {}
    return words(f"{customer.get('id') or ''} {customer.get('name') or ''}")


def customer_pairs(evidence: Mapping[str, Any]) -> Set[str]:
    """Each pair of the customer's words (``customer_terms`` asks for one when two words are typed)."""
    named = customer_words(evidence)[:MAX_PAIRED]
    return {_pair(one, other) for n, one in enumerate(named) for other in named[n + 1:]}


def implied_terms(term: str) -> Set[str]:
    """The word terms a pair term stands for ("c:doe+jane" -> {"c:doe", "c:jane"}); none for any
    other term. A ticket carries a pair only with both of its words."""
    if not term.startswith(CUSTOMER) or PAIRED not in term:
        return set()
    return {CUSTOMER + word for word in term[len(CUSTOMER):].split(PAIRED)}


def _pair(one: str, other: str) -> str:
    """The term of two words of one customer, in either order ("c:jane+smith")."""
    return CUSTOMER + PAIRED.join(sorted((one, other)))


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
    terms |= {CUSTOMER + word for word in customer_words(evidence)} | customer_pairs(evidence)
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
