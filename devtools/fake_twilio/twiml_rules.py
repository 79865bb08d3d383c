"""What TwiML for Programmable Voice allows: each verb's and noun's attributes, values and children.

Transcribed from Twilio's TwiML reference (twilio.com/docs/voice/twiml: ``<Say>``, ``<Play>``,
``<Pause>``, ``<Gather>``, ``<Redirect>``, ``<Hangup>``, ``<Reject>``, ``<Dial>`` with ``<Number>``,
``<Conference>``, ``<Client>``, ``<Sip>``, and ``<Record>``). Values Twilio leaves open (a voice
name, a language tag, a caller ID) are checked only for shape; the ones it enumerates are
checked against the list.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Callable, Mapping

Check = Callable[[str], bool]

BOOLEAN = ("true", "false")
HTTP_METHODS = ("GET", "POST")
CALL_EVENTS = ("initiated", "ringing", "answered", "completed")
CONFERENCE_EVENTS = ("start", "end", "join", "leave", "mute", "hold", "modify", "speaker", "announcement")
RECORDING_EVENTS = ("in-progress", "completed", "absent")
RING_TONES = (
    "at", "au", "bg", "br", "be", "ch", "cl", "cn", "cz", "de", "dk", "ee", "es", "fi", "fr", "gr", "hu", "il",
    "in", "it", "lt", "jp", "mx", "my", "nl", "no", "nz", "ph", "pl", "pt", "ru", "se", "sg", "th", "uk", "us",
    "us-old", "tw", "ve", "za",
)
DIAL_RECORD = (
    "do-not-record", "record-from-answer", "record-from-ringing", "record-from-answer-dual",
    "record-from-ringing-dual", "true", "false",
)
#: SSML tags Twilio accepts inside <Say> (its text is what the fake records as said).
SSML_TAGS = ("break", "emphasis", "lang", "p", "phoneme", "prosody", "s", "say-as", "sub", "w")
#: Verbs Twilio has that the fake does not play: refused with a message saying so.
UNSUPPORTED_VERBS = ("Enqueue", "Leave", "Connect", "Pay", "Prompt", "Refer", "Start", "Stop", "Sms", "Message",
                     "Echo", "Queue", "Application")


def one_of(*allowed: str) -> Check:
    return lambda value: value in allowed


def boolean(value: str) -> bool:
    return value in BOOLEAN


def method(value: str) -> bool:
    return value.upper() in HTTP_METHODS


def integer(low: int, high: int | None = None) -> Check:
    def check(value: str) -> bool:
        return re.fullmatch(r"\d+", value) is not None and low <= int(value) and (high is None or int(value) <= high)
    return check


def url(value: str) -> bool:
    """Absolute (http/https) or relative to the document; never empty, never with spaces."""
    return bool(value) and not re.search(r"\s", value) and (
        "://" not in value or value.startswith(("http://", "https://"))
    )


def url_or_empty(value: str) -> bool:
    return value == "" or url(value)


def words_of(*allowed: str) -> Check:
    """A space-separated list of events (``statusCallbackEvent="start end join"``)."""
    return lambda value: bool(value.split()) and all(word in allowed for word in value.replace(",", " ").split())


def language(value: str) -> bool:
    return re.fullmatch(r"[a-zA-Z]{2,3}(-[a-zA-Z0-9]{2,8})*", value) is not None


def digits(allowed: str) -> Check:
    return lambda value: re.fullmatch(f"[{allowed}]*", value) is not None


def key_or_empty(value: str) -> bool:
    return value == "" or re.fullmatch(r"[0-9#*]", value) is not None


def any_text(value: str) -> bool:
    return True


def call_sid(value: str) -> bool:
    return re.fullmatch(r"CA[0-9a-fA-F]{32}", value) is not None


def speech_timeout(value: str) -> bool:
    return value == "auto" or integer(0)(value)


def gather_input(value: str) -> bool:
    words = value.split()
    return bool(words) and len(set(words)) == len(words) and all(w in ("dtmf", "speech") for w in words)


def speech_model(value: str) -> bool:
    """Twilio's generic models (``default``, ``phone_call``, ``numbers_and_commands``,
    ``experimental_*``) and provider models (``googlev2_telephony``, ``deepgram_nova-3``)."""
    return re.fullmatch(r"[a-z0-9][a-z0-9_.\-]*", value) is not None


def phone_number(value: str) -> bool:
    return re.fullmatch(r"\+?[0-9 ()\-.]{3,20}", value.strip()) is not None


def sip_uri(value: str) -> bool:
    return value.strip().lower().startswith(("sip:", "sips:"))


@dataclass(frozen=True)
class Rule:
    """One element: its attributes (name -> check and what a good value looks like), the
    children it may hold, and whether it carries text (``"required"``, ``"allowed"``, ``"none"``)."""

    attributes: Mapping[str, tuple[Check, str]] = field(default_factory=dict)
    children: tuple[str, ...] = ()
    text: str = "none"


_METHOD = (method, "GET or POST")
_BOOL = (boolean, "true or false")
_URL = (url, "an absolute http(s) URL or a relative one")
_CALL_EVENTS = (words_of(*CALL_EVENTS), "space-separated from " + " ".join(CALL_EVENTS))
_RECORDING_EVENTS = (words_of(*RECORDING_EVENTS), "space-separated from " + " ".join(RECORDING_EVENTS))
_TEXT = (any_text, "text")
_STATUS_CALLBACK = {"statusCallbackEvent": _CALL_EVENTS, "statusCallback": _URL, "statusCallbackMethod": _METHOD}
_MACHINE_DETECTION = {
    "machineDetection": (one_of("Enable", "DetectMessageEnd"), "Enable or DetectMessageEnd"),
    "machineDetectionTimeout": (integer(3, 59), "an integer from 3 to 59"),
    "amdStatusCallback": _URL,
    "amdStatusCallbackMethod": _METHOD,
}

RULES: dict[str, Rule] = {
    "Response": Rule(children=("Say", "Play", "Pause", "Gather", "Redirect", "Hangup", "Reject", "Dial", "Record")),
    "Say": Rule(
        {"voice": _TEXT, "language": (language, "a BCP-47 language tag like en-US"),
         "loop": (integer(0), "a whole number (0: repeat until the call ends)")},
        children=SSML_TAGS,
        text="required",
    ),
    "Play": Rule(
        {"loop": (integer(0), "a whole number (0: repeat until the call ends)"),
         "digits": (digits("0-9wW*#"), "DTMF digits 0-9, *, # and w (a pause)")},
        text="allowed",
    ),
    "Pause": Rule({"length": (integer(1), "a positive whole number of seconds")}),
    "Gather": Rule(
        {
            "input": (gather_input, "dtmf, speech, or dtmf speech"),
            "action": _URL,
            "method": _METHOD,
            "timeout": (integer(1), "a positive whole number of seconds"),
            "speechTimeout": (speech_timeout, "auto or a whole number of seconds"),
            "maxSpeechTime": (integer(1, 60), "a whole number of seconds from 1 to 60"),
            "numDigits": (integer(1), "a positive whole number"),
            "finishOnKey": (key_or_empty, "one of 0-9, # or *, or empty for none"),
            "hints": _TEXT,
            "language": (language, "a BCP-47 language tag like en-US"),
            "bargeIn": _BOOL,
            "actionOnEmptyResult": _BOOL,
            "speechModel": (speech_model, "a Twilio speech model such as default, phone_call or numbers_and_commands"),
            "enhanced": _BOOL,
            "profanityFilter": _BOOL,
            "partialResultCallback": _URL,
            "partialResultCallbackMethod": _METHOD,
            "debug": _BOOL,
        },
        children=("Say", "Play", "Pause"),
    ),
    "Redirect": Rule({"method": _METHOD}, text="required"),
    "Hangup": Rule(),
    "Reject": Rule({"reason": (one_of("rejected", "busy"), "rejected or busy")}),
    "Dial": Rule(
        {
            "action": _URL,
            "method": _METHOD,
            "timeout": (integer(5, 600), "a whole number of seconds from 5 to 600"),
            "hangupOnStar": _BOOL,
            "callerId": _TEXT,
            "record": (one_of(*DIAL_RECORD), ", ".join(DIAL_RECORD)),
            "trim": (one_of("trim-silence", "do-not-trim"), "trim-silence or do-not-trim"),
            "answerOnBridge": _BOOL,
            "ringTone": (one_of(*RING_TONES), "a two-letter country code Twilio knows (us, uk, de, ...)"),
            "timeLimit": (integer(1, 86400), "a whole number of seconds up to 86400"),
            "recordingStatusCallback": _URL,
            "recordingStatusCallbackMethod": _METHOD,
            "recordingStatusCallbackEvent": _RECORDING_EVENTS,
            "recordingTrack": (one_of("both", "inbound", "outbound"), "both, inbound or outbound"),
            "sequential": _BOOL,
            "referUrl": _URL,
            "referMethod": _METHOD,
        },
        children=("Number", "Conference", "Client", "Sip"),
        text="allowed",
    ),
    "Number": Rule(
        {"sendDigits": (digits("0-9wW*#"), "DTMF digits"), "url": _URL, "method": _METHOD, "byoc": _TEXT,
         **_STATUS_CALLBACK, **_MACHINE_DETECTION},
        text="required",
    ),
    "Conference": Rule(
        {
            "muted": _BOOL,
            "beep": (one_of("true", "false", "onEnter", "onExit"), "true, false, onEnter or onExit"),
            "startConferenceOnEnter": _BOOL,
            "endConferenceOnExit": _BOOL,
            "waitUrl": (url_or_empty, "a URL, or empty for silence"),
            "waitMethod": _METHOD,
            "maxParticipants": (integer(2, 250), "a whole number from 2 to 250"),
            "record": (one_of("do-not-record", "record-from-start"), "do-not-record or record-from-start"),
            "region": (one_of("us1", "us2", "ie1", "de1", "sg1", "br1", "au1", "jp1"), "a Twilio region like us1"),
            "trim": (one_of("trim-silence", "do-not-trim"), "trim-silence or do-not-trim"),
            "coach": (call_sid, "the SID (CA...) of the call to coach"),
            "statusCallbackEvent": (words_of(*CONFERENCE_EVENTS), "space-separated from " + " ".join(CONFERENCE_EVENTS)),
            "statusCallback": _URL,
            "statusCallbackMethod": _METHOD,
            "recordingStatusCallback": _URL,
            "recordingStatusCallbackMethod": _METHOD,
            "recordingStatusCallbackEvent": _RECORDING_EVENTS,
            "eventCallbackUrl": _URL,
            "jitterBufferSize": (one_of("large", "medium", "small", "off"), "large, medium, small or off"),
            "participantLabel": _TEXT,
        },
        text="required",
    ),
    "Client": Rule({"url": _URL, "method": _METHOD, **_STATUS_CALLBACK}, children=("Identity", "Parameter"),
                   text="allowed"),
    "Identity": Rule(text="required"),
    "Parameter": Rule({"name": _TEXT, "value": _TEXT}),
    "Sip": Rule({"username": _TEXT, "password": _TEXT, "url": _URL, "method": _METHOD, **_STATUS_CALLBACK,
                 **_MACHINE_DETECTION}, text="required"),
    "Record": Rule(
        {
            "action": _URL,
            "method": _METHOD,
            "timeout": (integer(0), "a whole number of seconds"),
            "finishOnKey": (digits("0-9#*"), "keys from 0-9, # and *"),
            "maxLength": (integer(1), "a positive whole number of seconds"),
            "playBeep": _BOOL,
            "trim": (one_of("trim-silence", "do-not-trim"), "trim-silence or do-not-trim"),
            "recordingStatusCallback": _URL,
            "recordingStatusCallbackMethod": _METHOD,
            "recordingStatusCallbackEvent": _RECORDING_EVENTS,
            "storageUrl": _URL,
            "storageUrlMethod": _METHOD,
            "transcribe": _BOOL,
            "transcribeCallback": _URL,
        }
    ),
}
#: SSML elements inside <Say> take any attributes and may nest each other.
for _tag in SSML_TAGS:
    RULES[_tag] = Rule({}, children=SSML_TAGS, text="allowed")
SSML_FREE_ATTRIBUTES = frozenset(SSML_TAGS)
#: What a noun's text must look like, beyond being present.
TEXT_CHECKS: dict[str, tuple[Check, str]] = {
    "Number": (phone_number, "a phone number like +15550100001"),
    "Sip": (sip_uri, "a SIP URI starting with sip:"),
    "Redirect": (url, "an absolute http(s) URL or a relative one"),
}
