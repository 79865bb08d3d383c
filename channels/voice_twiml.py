"""TwiML for the voice channel, rendered by pure functions: the same arguments give the same XML.

Every document answers a Twilio webhook and must keep the call going somewhere: a caller's turn
ends in a ``<Redirect>`` back to the conversation (marked as "no answer") in case the ``<Gather>``
ends without calling its action, a goodbye ends in ``<Hangup>``, and a failed request still says
something and then retries or hangs up. None leaves the caller in silence.

The words are the caller's already: each reply has been through
``actions.domain.spoken.for_the_ear``. The names and the shapes follow the voice contract
(webhooks under ``/webhooks/voice/``; ``expecting`` is None, "yes_no" or "code").
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Union

import yaml
from twilio.twiml.voice_response import VoiceResponse

from actions.domain.spoken import CODE, YES_NO

DEFAULT_VOICE = "Polly.Joanna"
DEFAULT_LANGUAGE = "en-US"
#: Seconds of silence before a turn's Gather gives up (Twilio's ``timeout``).
SILENCE_TIMEOUT = 5
#: A code takes longer: the caller finds the text message, then keys or reads six digits.
CODE_TIMEOUT = 12
#: The query parameter the turn's Redirect adds to the action URL: the caller gave no answer.
NO_ANSWER = "silent"
#: Twilio's limits on <Gather hints>: up to 500 entries, each of at most 100 characters, words
#: separated by spaces (warning 13330, "Gather: Invalid hints value").
MAX_HINTS, MAX_HINT_LENGTH = 500, 100

SORRY_NOTHING = "Sorry, I didn't hear anything."
SORRY_UNCLEAR = "Sorry, I didn't catch that."
WENT_WRONG = "Sorry, something went wrong on our side."
TRY_AGAIN_LATER = "Please call again in a few minutes. Goodbye."
NOBODY_PRESSED = "No key was pressed, so we'll offer the call to someone else. Goodbye."

#: Phrases callers say to this assistant that no intent name or entity value spells out.
KEY_PHRASES = (
    "yes", "no", "resend", "send a new code", "agent", "a person", "talk to a person", "representative",
    "refund", "I want a refund", "store credit", "order", "where is my order", "order status", "delivery",
    "delivery date", "cancel my subscription", "subscription", "close my account", "remove my card",
    "change my address", "change my email", "delivery slot", "balance", "returns policy", "opening hours",
    "complaint", "morning", "afternoon", "evening",
)
#: Intents no caller says in words like their names (a greeting, a yes, a code).
_UNSPOKEN_INTENTS = frozenset({"greet", "goodbye", "thankyou", "affirm", "deny", "inform", "out_of_scope",
                               "provide_otp", "nlu_fallback"})
_INTENT_VERBS = ("ask", "request", "provide")
#: Entities whose example values must not become hints: a sample code or amount would make the recogniser
#: favour that code, and an email is not words.
_NOT_HINTS = frozenset({"otp_code", "email", "amount"})
_ANNOTATION = re.compile(r"\[(?P<value>[^\]]+)\](?:\((?P<entity>[^)]+)\)|\{[^}]*\"entity\"\s*:\s*\"(?P<entity2>[^\"]+)\"[^}]*\})")
_HINT_WORDS = re.compile(r"^[A-Za-z0-9']+(?: [A-Za-z0-9']+)*$")

PathLike = Union[str, Path]


# -- the caller's side -----------------------------------------------------------------------------

def turn(replies: Sequence[str], action_url: str, *, hints: Sequence[str] = (), expecting: Optional[str] = None,
         language: str = DEFAULT_LANGUAGE, voice: str = DEFAULT_VOICE, silence_timeout: int = SILENCE_TIMEOUT) -> str:
    """The assistant's replies, then listening for the caller's answer by voice or keypad.

    ``expecting``: "yes_no" ends the Gather at one key (1 yes, 2 no), "code" gives the caller longer
    and ends at "#". Should the Gather end without calling ``action_url`` the Redirect calls it
    with ``silent=1``, so the conversation decides what happens next, never dead air.
    """
    response = VoiceResponse()
    gather_attributes: Dict[str, Any] = {
        "input": "speech dtmf", "action": action_url, "method": "POST", "action_on_empty_result": True,
        "barge_in": True, "speech_timeout": "auto", "language": language,
        "timeout": max(silence_timeout, CODE_TIMEOUT) if expecting == CODE else silence_timeout,
    }
    said_hints = hints_attribute(hints)
    if said_hints:
        gather_attributes["hints"] = said_hints
    if expecting == YES_NO:
        gather_attributes["num_digits"] = 1
    elif expecting == CODE:
        gather_attributes["finish_on_key"] = "#"
    gather = response.gather(**gather_attributes)
    for reply in replies:
        if reply.strip():
            gather.say(reply, voice=voice)
    response.redirect(no_answer_url(action_url), method="POST")
    return response.to_xml()


def reprompt(question: str, action_url: str, *, heard_nothing: bool = True, hints: Sequence[str] = (),
             expecting: Optional[str] = None, language: str = DEFAULT_LANGUAGE, voice: str = DEFAULT_VOICE,
             silence_timeout: int = SILENCE_TIMEOUT) -> str:
    """The question again after a silence (``heard_nothing``) or an answer that was not understood."""
    sorry = SORRY_NOTHING if heard_nothing else SORRY_UNCLEAR
    return turn([sorry, question], action_url, hints=hints, expecting=expecting, language=language, voice=voice,
                silence_timeout=silence_timeout)


def goodbye(text: str, *, voice: str = DEFAULT_VOICE) -> str:
    """The last words, then the call ends."""
    response = VoiceResponse()
    if text.strip():
        response.say(text, voice=voice)
    response.hangup()
    return response.to_xml()


def hold_music(text: str, music_url: str, *, voice: str = DEFAULT_VOICE) -> str:
    """While the caller waits (the conference's waitUrl, a participant's HoldUrl, the news after a
    transfer): a word, then music on a loop until the call is moved on."""
    response = VoiceResponse()
    if text.strip():
        response.say(text, voice=voice)
    response.play(music_url, loop=0)
    return response.to_xml()


def to_conference(text: str, room: str, wait_url: str, resume_url: str, status_url: str, *,
                  voice: str = DEFAULT_VOICE) -> str:
    """The caller into the transfer's conference, on hold until a person joins.

    The conference ends when the caller leaves; when it ends with the caller still on the line
    (nobody took the call), the Dial's action ``resume_url`` brings them back to the assistant.
    """
    response = VoiceResponse()
    if text.strip():
        response.say(text, voice=voice)
    dial = response.dial(action=resume_url, method="POST")
    dial.conference(room, wait_url=wait_url, start_conference_on_enter=False, end_conference_on_exit=True,
                    status_callback=status_url, status_callback_event="start end join leave")
    return response.to_xml()


def something_went_wrong(text: str = WENT_WRONG, retry_url: Optional[str] = None, *,
                         voice: str = DEFAULT_VOICE) -> str:
    """The answer to a request that could not be handled: an apology, then a retry or a goodbye."""
    response = VoiceResponse()
    response.say(text.strip() or WENT_WRONG, voice=voice)
    if retry_url:
        response.redirect(retry_url, method="POST")
    else:
        response.say(TRY_AGAIN_LATER, voice=voice)
        response.hangup()
    return response.to_xml()


def one_moment(again_url: str, *, voice: str = DEFAULT_VOICE) -> str:
    """The caller's turn is taking longer than Twilio waits for a document: a word, a short pause,
    then the same turn is asked for again (its answer is waiting there once it is ready)."""
    response = VoiceResponse()
    response.say("One moment please.", voice=voice)
    response.pause(length=2)
    response.redirect(again_url, method="POST")
    return response.to_xml()


def empty() -> str:
    """Nothing to do: the answer to a status callback."""
    return VoiceResponse().to_xml()


def no_answer_url(action_url: str) -> str:
    """``action_url`` marked as "the caller gave no answer"."""
    return f"{action_url}{'&' if '?' in action_url else '?'}{NO_ANSWER}=1"


# -- the person taking the call --------------------------------------------------------------------

def person_brief(brief: str, choice_url: str, *, voice: str = DEFAULT_VOICE) -> str:
    """The brief to the person who answered, twice at most; one key takes or declines the call.

    If no key is pressed after the second time, the call to them ends and the transfer moves on.
    """
    response = VoiceResponse()
    for _ in range(2):
        gather = response.gather(input="dtmf", num_digits=1, action=choice_url, method="POST")
        gather.say(brief, voice=voice)
    response.say(NOBODY_PRESSED, voice=voice)
    response.hangup()
    return response.to_xml()


def person_joins(room: str, left_url: str) -> str:
    """The person who pressed 1 into the caller's conference; "*" leaves it without ending it for the caller."""
    response = VoiceResponse()
    dial = response.dial(hangup_on_star=True, action=left_url, method="POST")
    dial.conference(room, start_conference_on_enter=True, end_conference_on_exit=False)
    return response.to_xml()


def menu(text: str, choice_url: str, *, voice: str = DEFAULT_VOICE) -> str:
    """One key to choose from what ``text`` offers, asked twice; then the call ends."""
    response = VoiceResponse()
    for _ in range(2):
        gather = response.gather(input="dtmf", num_digits=1, action=choice_url, method="POST")
        gather.say(text, voice=voice)
    response.say("No key was pressed. Goodbye.", voice=voice)
    response.hangup()
    return response.to_xml()


def ask_speech(question: str, answer_url: str, *, voice: str = DEFAULT_VOICE, language: str = DEFAULT_LANGUAGE) -> str:
    """A question answered in words (a reason, a note): the answer goes to ``answer_url``, silence too."""
    response = VoiceResponse()
    gather = response.gather(input="speech", action=answer_url, method="POST", action_on_empty_result=True,
                             speech_timeout="auto", timeout=SILENCE_TIMEOUT, language=language)
    gather.say(question, voice=voice)
    response.redirect(no_answer_url(answer_url), method="POST")
    return response.to_xml()


# -- what the recogniser should listen for ---------------------------------------------------------

def hints_attribute(hints: Sequence[str]) -> str:
    """Hints as Gather's ``hints`` attribute: within Twilio's limits, commas only between hints."""
    return ", ".join(_clean_hints(hints))


def speech_hints(domain: Union[PathLike, Mapping[str, Any]],
                 nlu: Union[PathLike, Sequence[PathLike], Mapping[str, Any], None] = None) -> List[str]:
    """Words the callers of this assistant are likely to say, to help speech recognition.

    From the key phrases, the domain's intents ("cancel_subscription" -> "cancel subscription") and
    the NLU data's entity values, lookup tables and synonyms (``nlu``: a file, a folder of ``*.yml``,
    several of those, or loaded data). Each at most once, at most 100 characters, 500 in all.
    """
    found: List[str] = list(KEY_PHRASES)
    found += [_intent_words(name) for name in _intents(_load(domain)) if name not in _UNSPOKEN_INTENTS]
    for data in _nlu_documents(nlu):
        for item in data.get("nlu") or ():
            if not isinstance(item, Mapping):
                continue
            examples = _examples(item.get("examples"))
            if "intent" in item:
                found += [m.group("value") for text in examples for m in _ANNOTATION.finditer(text)
                          if (m.group("entity") or m.group("entity2") or "").split("{")[0] not in _NOT_HINTS]
            elif "lookup" in item and item["lookup"] not in _NOT_HINTS:
                found += examples
            elif "synonym" in item:
                found += [str(item["synonym"])] + examples
    return _clean_hints(found)


def _clean_hints(hints: Iterable[str]) -> List[str]:
    kept: List[str] = []
    seen = set()
    for hint in hints:
        words = " ".join(str(hint).replace("-", " ").replace("_", " ").split())
        if not words or len(words) > MAX_HINT_LENGTH or not _HINT_WORDS.match(words) or words.lower() in seen:
            continue
        seen.add(words.lower())
        kept.append(words)
        if len(kept) == MAX_HINTS:
            break
    return kept


def _intent_words(name: str) -> str:
    words = name.split("_")
    if len(words) > 1 and words[0] in _INTENT_VERBS:
        words = words[1:]
    return " ".join(words)


def _intents(domain: Mapping[str, Any]) -> List[str]:
    names = []
    for entry in domain.get("intents") or ():
        names.append(next(iter(entry)) if isinstance(entry, Mapping) else str(entry))
    return names


def _load(source: Union[PathLike, Mapping[str, Any]]) -> Mapping[str, Any]:
    if isinstance(source, Mapping):
        return source
    return yaml.safe_load(Path(source).read_text(encoding="utf-8")) or {}


def _nlu_documents(nlu: Union[PathLike, Sequence[PathLike], Mapping[str, Any], None]) -> List[Mapping[str, Any]]:
    if nlu is None:
        return []
    if isinstance(nlu, Mapping):
        return [nlu]
    sources = [nlu] if isinstance(nlu, (str, Path)) else list(nlu)
    documents: List[Mapping[str, Any]] = []
    for source in sources:
        path = Path(source)
        files = sorted(path.glob("*.yml")) + sorted(path.glob("*.yaml")) if path.is_dir() else [path]
        documents += [data for data in (_load(file) for file in files) if isinstance(data, Mapping)]
    return documents


def _examples(examples: Any) -> List[str]:
    if isinstance(examples, str):
        return [line.strip()[2:].strip() for line in examples.splitlines() if line.strip().startswith("- ")]
    if isinstance(examples, list):
        return [str(e.get("text", "")) if isinstance(e, Mapping) else str(e) for e in examples]
    return []
