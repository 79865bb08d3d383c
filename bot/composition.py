"""The composition root: the one settings object in, each process's parts out.

The only place that wires parts together. The action server asks for its assistant, the
inbox for its desk and the things it owns, Rasa's channels for their identity resolvers and
their token; each part gets what it needs from here and reads no environment of its own.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import lru_cache, partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Dict, List, Optional

import yaml
from sqlalchemy.engine import Engine

from actions.acme.http_backend import HttpBusiness
from actions.acme.seed import seed_demo
from actions.acme.sqlite_backend import SqlBusiness
from actions.domain.assistant import Assistant
from actions.domain.business import Business
from actions.domain.clock import Clock, SystemClock
from actions.domain.messaging import SmsSender
from actions.domain.phone_sessions import PHONE_CHANNELS, PhoneResolver, VoiceResolver
from actions.domain.policy import check_intents, load_policy
from actions.domain.sealed import CodeSealer
from actions.domain.services import Services, new_id
from actions.domain.session_tokens import SessionTokens, WebChatResolver
from actions.domain.sessions import IDENTIFYING_CHANNELS, Resolvers, RestResolver
from actions.domain.step_up import StepUp
from actions.settings import PROJECT_ROOT, Settings
from actions.sms import DevOutboxSender, TwilioMessages, TwilioSmsSender
from actions.store.commit_signals import SPEECH, listen
from actions.store.database import make_engine
from actions.store.sql import sql_stores

if TYPE_CHECKING:  # the channels import Rasa: only Rasa's process loads them
    from channels.trusted_rest import TrustedRestInput
    from channels.webchat.socket_channel import WebChatInput
    from handoff.delivery_queue import DeliveryQueue
    from handoff.desk import Desk
    from handoff.domain.login_throttle import LoginThrottle
    from handoff.phone_channel import PhoneChannel

logger = logging.getLogger(__name__)


@lru_cache(maxsize=1)
def process_settings() -> Settings:
    """This process's settings, read from the environment and validated once."""
    return Settings.from_env()


# -- the action server ----------------------------------------------------------------------------


def build_business(settings: Settings) -> Business:
    business = build_directory(settings)
    if not isinstance(business, SqlBusiness):
        return business
    business.create_all()
    if settings.seed_demo:
        seed_demo(business, datetime.now(timezone.utc).date())
    return business


def build_directory(settings: Settings) -> Business:
    """The business as the channels' identity resolvers read it (who has this phone number):
    the same backend as the assistant's, without creating or seeding anything."""
    if settings.business == "http":
        assert settings.business_url is not None
        return HttpBusiness(settings.business_url, settings.business_api_key, phone_region=settings.phone_region)
    return SqlBusiness(settings.business_database_url, phone_region=settings.phone_region)


def build_sms(settings: Settings) -> SmsSender:
    if settings.twilio is None:
        logger.warning("No Twilio credentials: one-time codes go to the DEVELOPMENT outbox %s", settings.dev_outbox)
        return DevOutboxSender(settings.dev_outbox)
    t = settings.twilio
    return TwilioSmsSender(t.account_sid, t.auth_token, t.from_number, base_url=t.base_url)


def build_phone_channels(settings: Settings, queue: "DeliveryQueue", business: Business,
                         clock: Clock) -> Dict[str, "PhoneChannel"]:
    """SMS, and WhatsApp when its sender is set, through Twilio; none without Twilio."""
    from actions.store.channel_addresses import SqlChannelAddresses
    from handoff.phone_channel import SMS, WHATSAPP, PhoneChannel, PhoneLine

    if settings.twilio is None:
        return {}
    t = settings.twilio
    messages = TwilioMessages(t.account_sid, t.auth_token, t.base_url)
    addresses = SqlChannelAddresses(queue.engine)
    lines = [PhoneLine(SMS, t.from_number, f"{settings.public_url}/webhooks/{SMS}/status")]
    if t.whatsapp_from:
        lines.append(PhoneLine(WHATSAPP, t.whatsapp_from, f"{settings.public_url}/webhooks/{WHATSAPP}/status",
                               t.whatsapp_template_sid))
    return {line.name: PhoneChannel(line, messages, queue, addresses, business, clock) for line in lines}


def domain_intents(path: Path) -> List[str]:
    domain = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return [next(iter(i)) if isinstance(i, dict) else str(i) for i in domain.get("intents", [])]


def build_services(settings: Settings) -> Services:
    policy = load_policy(settings.policy_path)
    check_intents(policy, domain_intents(settings.domain_path))
    engine = make_engine(settings.database_url)
    return Services(
        policy=policy,
        business=build_business(settings),
        **vars(sql_stores(engine)),
        step_up=StepUp(policy.otp, settings.otp_pepper, new_id),
    )


def build_assistant(settings: Settings) -> Assistant:
    return Assistant(build_services(settings))


# -- the inbox ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class InboxParts:
    """What the inbox works with; it owns the engine and disposes of it when it stops."""

    engine: Engine
    desk: "Desk"
    throttle: "LoginThrottle"


def build_inbox(settings: Settings) -> InboxParts:
    """The desk on the database shared with the action server (migrated first), with the same
    policy, stores and business as the assistant, and the sign-in throttle."""
    from handoff.desk import Desk
    from handoff.login_throttle import SqlLoginThrottle
    from handoff.store import InboxStore

    engine = make_engine(settings.database_url)  # applies the migrations
    services = build_services(settings)
    return InboxParts(engine, Desk(InboxStore(engine), services), SqlLoginThrottle(engine, services.clock))


def session_tokens(settings: Settings) -> SessionTokens:
    """Web chat identity tokens: issued by the chat page, checked by the web chat channel."""
    return SessionTokens(settings.identity_secret, new_id)


# -- Rasa's channels ------------------------------------------------------------------------------


def identity_resolvers(settings: Settings, engine: Engine) -> Resolvers:
    """Every channel's identity resolver, in one place; the action server trusts the conversation
    ids of exactly these channels (``IDENTIFYING_CHANNELS``), so the two are checked to agree."""
    from actions.store.links import SqlIdentityLinks
    from actions.store.token_claims import SqlTokenClaims

    directory, links = build_directory(settings), SqlIdentityLinks(engine)
    resolvers = Resolvers({
        "rest": RestResolver(directory),
        # claims in the shared database: a token replayed to another chat server fails too; a
        # visitor's proven link to a customer is the action server's, read from there
        "webchat": WebChatResolver(session_tokens(settings), SqlTokenClaims(engine), _now, new_id, links),
        # an unknown number's conversation is a hash of it keyed like the web chat's tokens
        **{channel: PhoneResolver(channel, directory, settings.identity_secret, settings.phone_region, links)
           for channel in PHONE_CHANNELS if channel != "voice"},
        # a withheld caller is a visitor for that call alone
        "voice": VoiceResolver(PhoneResolver("voice", directory, settings.identity_secret, settings.phone_region,
                                             links)),
    })
    if resolvers.channels() != tuple(sorted(IDENTIFYING_CHANNELS)):
        raise RuntimeError(f"identity resolvers {resolvers.channels()} and IDENTIFYING_CHANNELS "
                           f"{IDENTIFYING_CHANNELS} disagree: register the resolver where the channel is trusted")
    return resolvers


def webchat_input(credentials: Dict[str, Any], settings: Optional[Settings] = None) -> "WebChatInput":
    """The web chat channel: who a socket speaks for comes from its token, claimed in the shared
    database (so a token replayed to another chat server fails too) or from a visitor's proven
    link to a customer (the action server writes links there); a page's acknowledgements mark
    people's replies delivered in the inbox's database; the inbox asks it, with Rasa's API
    token, which conversations have a page open."""
    from channels.webchat.socket_channel import WebChatInput

    settings = settings or process_settings()
    engine = make_engine(settings.database_url)  # applies the migrations
    resolver = identity_resolvers(settings, engine).of("webchat")
    return WebChatInput(resolver, _on_delivered(engine), credentials.get("socketio_path", "/socket.io"),  # type: ignore[arg-type]
                        settings.rasa_token or "", _audit(engine), trusted_proxies=settings.webchat_trusted_proxies,
                        client_secret=settings.otp_pepper, sealer=code_sealer(engine), redis_url=settings.webchat_redis_url,
                        redis_channel=settings.webchat_redis_channel)


def rest_input(credentials: Dict[str, Any], settings: Optional[Settings] = None) -> "TrustedRestInput":
    """The REST channel for trusted callers: the token from credentials.yml, else HITL_REST_TOKEN."""
    from channels.trusted_rest import TrustedRestInput

    settings = settings or process_settings()
    token = credentials.get("token")
    engine = make_engine(settings.database_url)
    resolver = identity_resolvers(settings, engine).of("rest")
    return TrustedRestInput(resolver, settings.rest_token if token is None else token,  # type: ignore[arg-type]
                            code_sealer(engine))


def _customer_stopped(settings: Settings) -> Callable[[str], None]:
    """Cancels what waits for a customer who texted STOP, with the assistant's sign-off rules (built
    the first time a customer stops: most chat servers never need them)."""
    from actions.domain.signoff import SignOff

    built: List[SignOff] = []

    def stopped(conversation_id: str) -> None:
        if not built:
            built.append(SignOff(build_services(settings)))
        built[0].customer_stopped(conversation_id)

    return stopped


def twilio_input(channel: type, credentials: Dict[str, Any], settings: Optional[Settings] = None) -> Any:
    """An SMS or WhatsApp channel (``channels.twilio_webhooks``): webhooks signed with the Twilio auth
    token over the public URL, the sender resolved to a conversation, messages accepted in the shared
    database, and replies queued as deliveries and sent at once (``handoff.replies_at_once``)."""
    from actions.store.channel_addresses import SqlChannelAddresses
    from actions.store.inbound import SqlInboundQueue
    from channels.twilio_webhooks import TwilioParts
    from handoff.replies_at_once import RepliesAtOnce
    from handoff.store import InboxStore

    settings = settings or process_settings()
    engine = make_engine(settings.database_url)
    inbox = InboxStore(engine)
    clock = SystemClock()
    phones = build_phone_channels(settings, inbox, build_directory(settings), clock)
    parts = TwilioParts(
        auth_token=settings.twilio.auth_token if settings.twilio else "",
        previous_auth_token=settings.twilio.previous_auth_token if settings.twilio else None,
        public_url=settings.public_url,
        resolver=identity_resolvers(settings, engine).of(channel.name()),
        queue=SqlInboundQueue(engine),
        addresses=SqlChannelAddresses(engine),
        reply=RepliesAtOnce(inbox, phones, clock),
        audit=_audit(engine),
        now=_now,
        reported=lambda sid, state, code, message, at: inbox.provider_reported(sid, state, code, at,
                                                                              error_message=message),
        staff=lambda phone: getattr(inbox.user_by_phone(phone), "username", None),
        stopped=_customer_stopped(settings),
        sealer=code_sealer(engine),
    )
    return channel(parts)


def voice_input(credentials: Dict[str, Any], settings: Optional[Settings] = None) -> Any:
    """The voice channel (``channels.twilio_voice``): calls' webhooks signed like the texts', the caller
    resolved to their one conversation, each call's state and turns in the shared database, codes
    sealed there for the action server, and what the conversation waits for read from its stores."""
    from actions.store.links import SqlIdentityLinks
    from actions.store.outbound import SqlOutbound
    from actions.store.sql import SqlHandoffQueue, SqlPendingStore
    from actions.store.voice import SqlSealedInputs, SqlVoiceCalls
    from channels.twilio_voice import TwilioVoiceInput, VoiceParts
    from channels.voice_twiml import speech_hints

    settings = settings or process_settings()
    engine = make_engine(settings.database_url)
    outbound, calls, handoffs = SqlOutbound(engine), SqlVoiceCalls(engine), SqlHandoffQueue(engine)
    parts = VoiceParts(
        auth_token=settings.twilio.auth_token if settings.twilio else "",
        previous_auth_token=settings.twilio.previous_auth_token if settings.twilio else None,
        public_url=settings.public_url,
        resolver=identity_resolvers(settings, engine).of("voice"),
        calls=calls,
        sealed=SqlSealedInputs(engine),
        expecting=waits_for(SqlPendingStore(engine), SqlIdentityLinks(engine)),
        hints=tuple(speech_hints(settings.domain_path, PROJECT_ROOT / "data")),
        audit=_audit(engine),
        now=_now,
        outbox=lambda on, conversation_id, text: outbound.queue_reply(on, conversation_id, text, _now()),
        open_ticket=lambda conversation_id: getattr(handoffs.open_for(conversation_id), "id", None),
        said_on_the_phone=lambda ticket_id, words: handoffs.customer_said(ticket_id, words, _now(), "voice"),
        transfers=call_transfers(settings, engine, calls) if settings.twilio else None,
        phone_region=settings.phone_region,
    )
    return TwilioVoiceInput(parts)


def call_transfers(settings: Settings, engine: Engine, calls: Any, desk: Optional["Desk"] = None) -> Any:
    """The phone side of warm transfers (``channels.voice_transfer``), over the inbox's desk on the
    shared database. The voice channel's desk is built the first time a call needs people; the
    inbox passes its own (its buttons step the same transfers: hold, hand-back)."""
    from channels.voice_transfer import CallTransfers, TwilioLine, voice_url
    from handoff.desk import Desk
    from handoff.phone_codes import SqlPhoneCodes
    from handoff.store import InboxStore
    from handoff.transfer_service import TransferService
    from handoff.transfers import SqlTransfers

    assert settings.twilio is not None
    built: List[TransferService] = []

    def service() -> TransferService:
        if not built:
            working = desk or Desk(InboxStore(engine), build_services(settings))
            built.append(TransferService(working, SqlTransfers(engine), SqlPhoneCodes(engine).phone_people))
        return built[0]

    t = settings.twilio
    return CallTransfers(service, calls, TwilioLine(t.account_sid, t.auth_token, t.from_number, t.base_url),
                         partial(voice_url, settings.public_url), _now, news=partial(listen, engine, SPEECH))


def code_sealer(engine: Engine) -> CodeSealer:
    """A text channel's sealer of codes (``actions.domain.sealed``): what the conversation waits for
    is read from the action server's stores, and the code kept for it in the shared database."""
    from actions.store.links import SqlIdentityLinks
    from actions.store.sql import SqlPendingStore
    from actions.store.voice import SqlSealedInputs

    pendings, links = SqlPendingStore(engine), SqlIdentityLinks(engine)

    def prompted_since(conversation_id: str, since: datetime) -> bool:
        return pendings.code_prompt_live_since(conversation_id, since) or links.code_prompt_live_since(
            conversation_id, since)

    return CodeSealer(waits_for(pendings, links), SqlSealedInputs(engine), _now, prompted_since)


def waits_for(pendings: Any, links: Any) -> Callable[[str], Optional[str]]:
    """What a conversation waits for from the customer, which decides what a caller's keypad means:
    a code (a destructive action's, or a visitor's sign-in), a yes or no (a confirmation), or nothing."""
    from actions.domain.pending import Stage
    from actions.domain.voice_calls import CODE, YES_NO

    def expecting(conversation_id: str) -> Optional[str]:
        pending = pendings.awaiting_customer(conversation_id)
        if pending is not None:
            return CODE if pending.stage is Stage.OTP else YES_NO
        return CODE if links.open_request(conversation_id) is not None else None

    return expecting


_now = SystemClock().now


def _audit(engine: Engine):  # type: ignore[no-untyped-def]
    """Puts the web chat's refusals (someone else's session id, a refused token) on the audit trail."""
    from actions.domain.audit import audit_entry
    from actions.store.sql import SqlAuditLog

    log = SqlAuditLog(engine)

    def record(conversation_id: str, event: str, detail: Dict[str, Any]) -> None:
        log.append(audit_entry(_now(), "system", event, conversation_id, detail=detail))

    return record


def _on_delivered(engine: Engine):  # type: ignore[no-untyped-def]
    """Marks people's replies delivered (or read) when a page of their conversation acknowledges them."""
    from handoff.delivery import delivery_of
    from handoff.store import InboxStore

    store = InboxStore(engine)

    async def delivered(conversation_id: str, message_ids: List[str], state: str) -> None:
        for message_id in message_ids:
            delivery_id = delivery_of(message_id)
            if delivery_id is not None:
                await asyncio.to_thread(store.delivery_seen, delivery_id, conversation_id, _now(), state)

    return delivered
