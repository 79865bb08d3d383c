"""Hand-written parameter definitions for the Twilio operations the fake answers.

Transcribed from Twilio's OpenAPI description of the 2010-04-01 API (twilio/twilio-oai,
``spec/json/twilio_api_v2010.json``). ``tests/test_fake_twilio.py`` cross-checks these tables
against that file when it is available, so a drift in Twilio's contract fails loudly instead of
letting the fake accept requests the real API would refuse.

Rules the OpenAPI file only states in prose (``one of From/MessagingServiceSid``...) live in
``OneOf`` entries, each with the error code Twilio answers when it is broken.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, Optional

ParamType = Literal["string", "integer", "number", "boolean", "array"]

HTTP_METHODS = ("GET", "POST")


@dataclass(frozen=True)
class Param:
    name: str
    type: ParamType = "string"
    required: bool = False
    enum: Optional[tuple[str, ...]] = None
    pattern: Optional[str] = None
    format: Optional[str] = None


@dataclass(frozen=True)
class OneOf:
    """At least one of ``names`` must be present, else Twilio answers ``code``."""

    names: tuple[str, ...]
    code: int
    message: str


@dataclass(frozen=True)
class Operation:
    operation_id: str
    method: Literal["GET", "POST", "DELETE"]
    path: str
    path_params: tuple[Param, ...]
    params: tuple[Param, ...] = ()
    #: "form" for POST bodies, "query" for GET (and DELETE) query strings.
    location: Literal["form", "query"] = "form"
    #: Error code and message for each required parameter that is missing.
    missing: dict[str, tuple[int, str]] = field(default_factory=dict)
    one_of: tuple[OneOf, ...] = ()

    def param(self, name: str) -> Optional[Param]:
        return next((p for p in self.params if p.name == name), None)

    @property
    def names(self) -> frozenset[str]:
        return frozenset(p.name for p in self.params)

    @property
    def required(self) -> frozenset[str]:
        return frozenset(p.name for p in self.params if p.required)


def _sid(name: str, prefix: str, required: bool = False) -> Param:
    return Param(name, pattern=f"^{prefix}[0-9a-fA-F]{{32}}$", required=required)


ACCOUNT_SID = _sid("AccountSid", "AC", required=True)
MESSAGE_SID = Param("Sid", required=True, pattern="^(SM|MM)[0-9a-fA-F]{32}$")
ACCOUNT_PATH = "/2010-04-01/Accounts/{AccountSid}"


def _method(name: str) -> Param:
    return Param(name, enum=HTTP_METHODS, format="http-method")


CREATE_MESSAGE = Operation(
    operation_id="CreateMessage",
    method="POST",
    path=f"{ACCOUNT_PATH}/Messages.json",
    path_params=(ACCOUNT_SID,),
    params=(
        Param("To", required=True, format="phone-number"),
        Param("StatusCallback", format="uri"),
        _sid("ApplicationSid", "AP"),
        Param("MaxPrice", "number"),
        Param("ProvideFeedback", "boolean"),
        Param("Attempt", "integer"),
        Param("ValidityPeriod", "integer"),
        Param("ForceDelivery", "boolean"),
        Param("ContentRetention", enum=("retain", "discard")),
        Param("AddressRetention", enum=("retain", "obfuscate")),
        Param("SmartEncoded", "boolean"),
        Param("PersistentAction", "array"),
        Param("TrafficType", enum=("free",)),
        Param("ShortenUrls", "boolean"),
        Param("ScheduleType", enum=("fixed",)),
        Param("SendAt", format="date-time"),
        Param("SendAsMms", "boolean"),
        Param("ContentVariables"),
        Param("RiskCheck", enum=("enable", "disable")),
        Param("From", format="phone-number"),
        Param("FallbackFrom", format="phone-number"),
        _sid("MessagingServiceSid", "MG"),
        Param("Body"),
        Param("MediaUrl", "array"),
        _sid("ContentSid", "HX"),
    ),
    missing={"To": (21604, "A 'To' phone number is required.")},
    one_of=(
        OneOf(("From", "MessagingServiceSid"), 21603, "A 'From' phone number is required."),
        OneOf(("Body", "MediaUrl", "ContentSid"), 21602, "Message body is required."),
    ),
)

FETCH_MESSAGE = Operation(
    operation_id="FetchMessage",
    method="GET",
    path=f"{ACCOUNT_PATH}/Messages/{{Sid}}.json",
    path_params=(ACCOUNT_SID, MESSAGE_SID),
    location="query",
)

LIST_MESSAGE = Operation(
    operation_id="ListMessage",
    method="GET",
    path=f"{ACCOUNT_PATH}/Messages.json",
    path_params=(ACCOUNT_SID,),
    location="query",
    params=(
        Param("To", format="phone-number"),
        Param("From", format="phone-number"),
        Param("DateSent", format="date-time"),
        Param("DateSent<", format="date-time"),
        Param("DateSent>", format="date-time"),
        Param("PageSize", "integer"),
        Param("Page", "integer"),
        Param("PageToken"),
    ),
)

CREATE_CALL = Operation(
    operation_id="CreateCall",
    method="POST",
    path=f"{ACCOUNT_PATH}/Calls.json",
    path_params=(ACCOUNT_SID,),
    params=(
        Param("To", required=True, format="endpoint"),
        Param("From", required=True, format="endpoint"),
        _method("Method"),
        Param("FallbackUrl", format="uri"),
        _method("FallbackMethod"),
        Param("StatusCallback", format="uri"),
        Param("StatusCallbackEvent", "array"),
        _method("StatusCallbackMethod"),
        Param("SendDigits"),
        Param("Timeout", "integer"),
        Param("Record", "boolean"),
        Param("RecordingChannels"),
        Param("RecordingStatusCallback"),
        _method("RecordingStatusCallbackMethod"),
        Param("SipAuthUsername"),
        Param("SipAuthPassword"),
        Param("MachineDetection"),
        Param("MachineDetectionTimeout", "integer"),
        Param("RecordingStatusCallbackEvent", "array"),
        Param("Trim"),
        Param("CallerId"),
        Param("MachineDetectionSpeechThreshold", "integer"),
        Param("MachineDetectionSpeechEndThreshold", "integer"),
        Param("MachineDetectionSilenceTimeout", "integer"),
        Param("AsyncAmd"),
        Param("AsyncAmdStatusCallback", format="uri"),
        _method("AsyncAmdStatusCallbackMethod"),
        _sid("Byoc", "BY"),
        Param("CallReason"),
        Param("CallToken"),
        Param("RecordingTrack"),
        Param("TimeLimit", "integer"),
        Param("ClientNotificationUrl", format="uri"),
        Param("Url", format="uri"),
        Param("Twiml", format="twiml"),
        _sid("ApplicationSid", "AP"),
    ),
    missing={
        "To": (21201, "No 'To' number is specified"),
        "From": (21213, "No 'From' number is specified"),
    },
    one_of=(
        OneOf(("Url", "Twiml", "ApplicationSid"), 21205, "Url parameter is required."),
    ),
)

LIST_INCOMING_PHONE_NUMBER = Operation(
    operation_id="ListIncomingPhoneNumber",
    method="GET",
    path=f"{ACCOUNT_PATH}/IncomingPhoneNumbers.json",
    path_params=(ACCOUNT_SID,),
    location="query",
    params=(
        Param("Beta", "boolean"),
        Param("FriendlyName"),
        Param("PhoneNumber", format="phone-number"),
        Param("Origin"),
        Param("PageSize", "integer"),
        Param("Page", "integer"),
        Param("PageToken"),
    ),
)

UPDATE_INCOMING_PHONE_NUMBER = Operation(
    operation_id="UpdateIncomingPhoneNumber",
    method="POST",
    path=f"{ACCOUNT_PATH}/IncomingPhoneNumbers/{{Sid}}.json",
    path_params=(ACCOUNT_SID, _sid("Sid", "PN", required=True)),
    params=(
        _sid("AccountSid", "AC"),
        Param("ApiVersion"),
        Param("FriendlyName"),
        _sid("SmsApplicationSid", "AP"),
        _method("SmsFallbackMethod"),
        Param("SmsFallbackUrl", format="uri"),
        _method("SmsMethod"),
        Param("SmsUrl", format="uri"),
        Param("StatusCallback", format="uri"),
        _method("StatusCallbackMethod"),
        _sid("VoiceApplicationSid", "AP"),
        Param("VoiceCallerIdLookup", "boolean"),
        _method("VoiceFallbackMethod"),
        Param("VoiceFallbackUrl", format="uri"),
        _method("VoiceMethod"),
        Param("VoiceUrl", format="uri"),
        Param("EmergencyStatus", enum=("Active", "Inactive")),
        _sid("EmergencyAddressSid", "AD"),
        _sid("TrunkSid", "TK"),
        Param("VoiceReceiveMode", enum=("voice", "fax")),
        _sid("IdentitySid", "RI"),
        _sid("AddressSid", "AD"),
        _sid("BundleSid", "BU"),
    ),
)

CALL_SID = _sid("Sid", "CA", required=True)
CONFERENCE_SID = _sid("ConferenceSid", "CF", required=True)
#: Participants are addressed by their call's SID or by their label: no pattern.
PARTICIPANT_CALL_SID = Param("CallSid", required=True)

FETCH_CALL = Operation(
    operation_id="FetchCall",
    method="GET",
    path=f"{ACCOUNT_PATH}/Calls/{{Sid}}.json",
    path_params=(ACCOUNT_SID, CALL_SID),
    location="query",
)

UPDATE_CALL = Operation(
    operation_id="UpdateCall",
    method="POST",
    path=f"{ACCOUNT_PATH}/Calls/{{Sid}}.json",
    path_params=(ACCOUNT_SID, CALL_SID),
    params=(
        Param("Url", format="uri"),
        _method("Method"),
        Param("Status", enum=("canceled", "completed")),
        Param("FallbackUrl", format="uri"),
        _method("FallbackMethod"),
        Param("StatusCallback", format="uri"),
        _method("StatusCallbackMethod"),
        Param("Twiml", format="twiml"),
        Param("TimeLimit", "integer"),
    ),
)

LIST_CONFERENCE = Operation(
    operation_id="ListConference",
    method="GET",
    path=f"{ACCOUNT_PATH}/Conferences.json",
    path_params=(ACCOUNT_SID,),
    location="query",
    params=(
        Param("DateCreated", format="date"),
        Param("DateCreated<", format="date"),
        Param("DateCreated>", format="date"),
        Param("DateUpdated", format="date"),
        Param("DateUpdated<", format="date"),
        Param("DateUpdated>", format="date"),
        Param("FriendlyName"),
        Param("Status", enum=("init", "in-progress", "completed")),
        Param("PageSize", "integer"),
        Param("Page", "integer"),
        Param("PageToken"),
    ),
)

FETCH_CONFERENCE = Operation(
    operation_id="FetchConference",
    method="GET",
    path=f"{ACCOUNT_PATH}/Conferences/{{Sid}}.json",
    path_params=(ACCOUNT_SID, _sid("Sid", "CF", required=True)),
    location="query",
)

UPDATE_CONFERENCE = Operation(
    operation_id="UpdateConference",
    method="POST",
    path=f"{ACCOUNT_PATH}/Conferences/{{Sid}}.json",
    path_params=(ACCOUNT_SID, Param("Sid", required=True)),
    params=(
        Param("Status", enum=("completed",)),
        Param("AnnounceUrl", format="uri"),
        _method("AnnounceMethod"),
    ),
)

CREATE_PARTICIPANT = Operation(
    operation_id="CreateParticipant",
    method="POST",
    path=f"{ACCOUNT_PATH}/Conferences/{{ConferenceSid}}/Participants.json",
    path_params=(ACCOUNT_SID, Param("ConferenceSid", required=True)),
    params=(
        Param("From", required=True, format="endpoint"),
        Param("To", required=True, format="endpoint"),
        Param("StatusCallback", format="uri"),
        _method("StatusCallbackMethod"),
        Param("StatusCallbackEvent", "array"),
        Param("Label"),
        Param("Timeout", "integer"),
        Param("Record", "boolean"),
        Param("Muted", "boolean"),
        Param("Beep"),
        Param("StartConferenceOnEnter", "boolean"),
        Param("EndConferenceOnExit", "boolean"),
        Param("WaitUrl", format="uri"),
        _method("WaitMethod"),
        Param("EarlyMedia", "boolean"),
        Param("MaxParticipants", "integer"),
        Param("ConferenceRecord"),
        Param("ConferenceTrim"),
        Param("ConferenceStatusCallback", format="uri"),
        _method("ConferenceStatusCallbackMethod"),
        Param("ConferenceStatusCallbackEvent", "array"),
        Param("RecordingChannels"),
        Param("RecordingStatusCallback", format="uri"),
        _method("RecordingStatusCallbackMethod"),
        Param("SipAuthUsername"),
        Param("SipAuthPassword"),
        Param("Region"),
        Param("ConferenceRecordingStatusCallback", format="uri"),
        _method("ConferenceRecordingStatusCallbackMethod"),
        Param("RecordingStatusCallbackEvent", "array"),
        Param("ConferenceRecordingStatusCallbackEvent", "array"),
        Param("Coaching", "boolean"),
        _sid("CallSidToCoach", "CA"),
        Param("JitterBufferSize"),
        _sid("Byoc", "BY"),
        Param("CallerId"),
        Param("CallReason"),
        Param("RecordingTrack"),
        Param("TimeLimit", "integer"),
        Param("MachineDetection"),
        Param("MachineDetectionTimeout", "integer"),
        Param("MachineDetectionSpeechThreshold", "integer"),
        Param("MachineDetectionSpeechEndThreshold", "integer"),
        Param("MachineDetectionSilenceTimeout", "integer"),
        Param("AmdStatusCallback", format="uri"),
        _method("AmdStatusCallbackMethod"),
        Param("Trim"),
        Param("CallToken"),
        Param("ClientNotificationUrl", format="uri"),
        Param("CallerDisplayName"),
    ),
    missing={
        "From": (21213, "No 'From' number is specified"),
        "To": (21201, "No 'To' number is specified"),
    },
)

_PARTICIPANT_PATH = f"{ACCOUNT_PATH}/Conferences/{{ConferenceSid}}/Participants/{{CallSid}}.json"

FETCH_PARTICIPANT = Operation(
    operation_id="FetchParticipant",
    method="GET",
    path=_PARTICIPANT_PATH,
    path_params=(ACCOUNT_SID, CONFERENCE_SID, PARTICIPANT_CALL_SID),
    location="query",
)

LIST_PARTICIPANT = Operation(
    operation_id="ListParticipant",
    method="GET",
    path=f"{ACCOUNT_PATH}/Conferences/{{ConferenceSid}}/Participants.json",
    path_params=(ACCOUNT_SID, CONFERENCE_SID),
    location="query",
    params=(
        Param("Muted", "boolean"),
        Param("Hold", "boolean"),
        Param("Coaching", "boolean"),
        Param("PageSize", "integer"),
        Param("Page", "integer"),
        Param("PageToken"),
    ),
)

UPDATE_PARTICIPANT = Operation(
    operation_id="UpdateParticipant",
    method="POST",
    path=_PARTICIPANT_PATH,
    path_params=(ACCOUNT_SID, CONFERENCE_SID, PARTICIPANT_CALL_SID),
    params=(
        Param("Muted", "boolean"),
        Param("Hold", "boolean"),
        Param("HoldUrl", format="uri"),
        _method("HoldMethod"),
        Param("AnnounceUrl", format="uri"),
        _method("AnnounceMethod"),
        Param("WaitUrl", format="uri"),
        _method("WaitMethod"),
        Param("BeepOnExit", "boolean"),
        Param("EndConferenceOnExit", "boolean"),
        Param("Coaching", "boolean"),
        _sid("CallSidToCoach", "CA"),
    ),
)

DELETE_PARTICIPANT = Operation(
    operation_id="DeleteParticipant",
    method="DELETE",
    path=_PARTICIPANT_PATH,
    path_params=(ACCOUNT_SID, CONFERENCE_SID, PARTICIPANT_CALL_SID),
    location="query",
)

OPERATIONS: tuple[Operation, ...] = (
    CREATE_MESSAGE, FETCH_MESSAGE, LIST_MESSAGE, CREATE_CALL, LIST_INCOMING_PHONE_NUMBER, UPDATE_INCOMING_PHONE_NUMBER,
    FETCH_CALL, UPDATE_CALL, LIST_CONFERENCE, FETCH_CONFERENCE, UPDATE_CONFERENCE, CREATE_PARTICIPANT,
    FETCH_PARTICIPANT, LIST_PARTICIPANT, UPDATE_PARTICIPANT, DELETE_PARTICIPANT,
)
