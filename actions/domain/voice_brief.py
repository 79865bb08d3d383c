"""What the person about to take a call hears before pressing 1: the case in 15 to 20 seconds.

A ringing phone is no place to read a ticket. The brief says who is calling (or that we could
not tell), what they want, why it came to a person, and what is waiting for a decision, made
for the ear (``for_the_ear``) from the evidence pack the inbox shows (``actions.domain.evidence``)
and in the same staff words (``actions.domain.staff_words``).

Length: at about 150 words a minute, 15-20 seconds is 38-50 words. The body is filled to that
band from what matters most (the caller's own last words, the refund history) to a plain
sentence that the whole case is in the inbox, and cut to it if a case says more. The choice,
"Press 1 to take the call, 2 to decline.", is outside the band: ``brief`` adds it after the body
(about three seconds more).
"""

from __future__ import annotations

import re
from typing import Any, List, Mapping, Optional, Sequence

from actions.domain.evidence import WANTS
from actions.domain.spoken import for_the_ear
from actions.domain.staff_words import case_context, mood_of, stage_words, why_in_words

#: The body's length in words: 15-20 seconds at about 150 words a minute.
MIN_WORDS, MAX_WORDS = 38, 50
CHOICES = "Press 1 to take the call, 2 to decline."
UNKNOWN_CALLER = "A caller we could not identify"
IN_THE_INBOX = "Everything they said is in the inbox, with their account, their orders and the bot's notes."
IN_THE_INBOX_UNKNOWN = "Everything they said is in the inbox, with the bot's notes on the conversation."
ON_HOLD = "They are on hold now, waiting for an answer from you."
#: Most reasons a brief names; the inbox shows the rest.
MAX_REASONS = 2


def brief(evidence: Mapping[str, Any], *, reasons: Optional[Sequence[str]] = None, topic: Optional[str] = None,
          priority: Optional[str] = None) -> str:
    """The brief, then the choice: what the person hears before pressing 1 or 2.

    ``evidence``: the ticket's evidence pack as stored (``EvidencePack.to_dict()``); ``reasons``,
    ``topic`` and ``priority``: the ticket's own (its reasons are the handoff's; without them, the
    pack's are used).
    """
    return f"{brief_body(evidence, reasons=reasons, topic=topic, priority=priority)} {CHOICES}"


def brief_body(evidence: Mapping[str, Any], *, reasons: Optional[Sequence[str]] = None,
               topic: Optional[str] = None, priority: Optional[str] = None) -> str:
    """The case in 38-50 spoken words (``MIN_WORDS``-``MAX_WORDS``), without the choice."""
    customer = evidence.get("customer") or {}
    intent = str(evidence.get("intent") or "")
    said = _customer_lines(evidence)
    sentiment = evidence.get("sentiment") or {}
    context = case_context(topic, intent, said, *(_scores(sentiment)))
    why = why_in_words(list(reasons if reasons is not None else evidence.get("reasons") or ()), context)

    want = _want(intent)
    why = [reason for reason in why if reason.replace("wants ", "want ") not in want]  # said once is enough
    required = [_who(customer.get("name"), priority), want, _why(why[:MAX_REASONS])]
    pending = evidence.get("pending")
    if pending:
        required.append(_pending(pending))
    body = [for_the_ear(sentence) for sentence in required]
    if _count(body) > MAX_WORDS and len(why) > 1:
        body[2] = for_the_ear(_why(why[:1]))
    if _count(body) > MAX_WORDS and pending:  # the item's name goes before the amount and the order do
        body[3] = for_the_ear(_pending(pending, with_item=False))

    mood = mood_of(sentiment)
    optional = []
    if mood in ("upset", "angry") and not any(mood in part for part in why):
        optional.append(f"They sound {mood}.")
    if said:
        last = said[-1]
        optional.append(f"Their last words: {last}" + ("" if last[-1] in ".!?" else "."))
    refunds = int(evidence.get("recent_refunds") or 0)
    if refunds:
        days = evidence.get("refund_window_days") or 30
        optional.append(f"They had {refunds} refund{'' if refunds == 1 else 's'} in the last {days} days.")
    optional += [IN_THE_INBOX if customer else IN_THE_INBOX_UNKNOWN, ON_HOLD]

    for sentence in optional:
        if _count(body) >= MIN_WORDS:
            break
        spoken = for_the_ear(sentence)
        room = MAX_WORDS - _count(body)
        if _words(spoken) <= room:
            body.append(spoken)
        elif sentence.startswith("Their last words") and room >= 6:
            body.append(_cut(spoken, room))
    return _cut(" ".join(body), MAX_WORDS)


def word_count(text: str) -> int:
    """Spoken words: what the band is measured in ("4 2 4 2" is four)."""
    return len(text.split())


# -- the parts -------------------------------------------------------------------------------------

def _who(name: Optional[str], priority: Optional[str]) -> str:
    who = f"{name.strip()} is on the line." if name and name.strip() else f"{UNKNOWN_CALLER} is on the line."
    return f"Urgent: {who[0].lower() + who[1:] if not name else who}" if priority == "urgent" else who


def _want(intent: str) -> str:
    want = re.sub(r"\s*\([^)]*\)", "", WANTS.get(intent, "")).strip()
    return f"They want {want}." if want else "What they want is not clear yet."


def _why(reasons: Sequence[str]) -> str:
    return f"Reason: {'; '.join(reasons) if reasons else 'the bot passes this kind of request to a person'}."


def _pending(pending: Mapping[str, Any], with_item: bool = True) -> str:
    stage = str(pending.get("stage") or "")
    waiting = "waiting for your decision" if stage == "with_agent" else stage_words(stage)
    headline = str(pending.get("headline") or "a request")
    if not with_item:
        headline = re.sub(r"\s*\([^)]*\)", "", headline)
    headline = re.sub(r"\byour\b", "their", headline[0].lower() + headline[1:])
    return f"Not done yet, {waiting}: {headline}."


def _customer_lines(evidence: Mapping[str, Any]) -> List[str]:
    return [str(line.get("text") or "").strip() for line in evidence.get("transcript") or ()
            if isinstance(line, Mapping) and line.get("speaker") == "customer" and str(line.get("text") or "").strip()]


def _scores(sentiment: Mapping[str, Any]) -> tuple[Optional[float], Optional[float]]:
    if not sentiment.get("window_size"):
        return None, None
    return sentiment.get("latest"), sentiment.get("window_mean")


def _count(sentences: Sequence[str]) -> int:
    return sum(_words(sentence) for sentence in sentences)


def _words(text: str) -> int:
    return word_count(text)


def _cut(text: str, limit: int) -> str:
    """At most ``limit`` words, ending as a sentence."""
    words = text.split()
    if len(words) <= limit:
        return text
    return " ".join(words[:limit]).rstrip(",;:") + "."
