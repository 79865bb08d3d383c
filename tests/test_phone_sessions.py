"""Who is texting: the SMS and WhatsApp channels name the writer by the signed webhook's ``From``.

Jane is one customer with one conversation whether she texts, writes on WhatsApp, opens the
web chat or is named over REST. A number on nobody's record is a visitor: always the same
conversation for that number, named by nothing anyone could guess or reuse.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from actions.acme.models import CustomerRow
from actions.acme.seed import seed_demo
from actions.acme.sqlite_backend import SqlBusiness
from actions.domain.links import LinkRequest
from actions.domain.phone_sessions import PhoneResolver, VoiceResolver
from actions.domain.session_tokens import (
    MemoryTokenClaims,
    SessionTokens,
    WebChatResolver,
)
from actions.domain.sessions import (
    Identity,
    Refused,
    RestResolver,
    customer_key,
    customer_of,
    is_visitor,
)
from actions.settings import Settings
from actions.store.database import make_engine
from actions.store.memory import MemoryIdentityLinks
from bot.composition import build_directory, identity_resolvers

NOW = datetime(2026, 11, 21, 12, 0, tzinfo=timezone.utc)
SECRET = "s" * 32
JANE = customer_key("C001")
STRANGER = "+15559990000"


@pytest.fixture
def directory(tmp_path: Path) -> SqlBusiness:
    business = SqlBusiness(f"sqlite:///{tmp_path / 'acme.db'}")
    business.create_all()
    seed_demo(business, NOW.date())
    return business


@pytest.fixture
def sms(directory: SqlBusiness) -> PhoneResolver:
    return PhoneResolver("sms", directory, SECRET)


@pytest.fixture
def whatsapp(directory: SqlBusiness) -> PhoneResolver:
    return PhoneResolver("whatsapp", directory, SECRET)


@pytest.fixture
def voice(directory: SqlBusiness) -> VoiceResolver:
    return VoiceResolver(PhoneResolver("voice", directory, SECRET))


CALL = "CA" + "a" * 32
OTHER_CALL = "CA" + "b" * 32


def test_jane_calling_is_her_one_conversation_and_a_stranger_calling_is_the_visitor_who_texted(
    voice: VoiceResolver, sms: PhoneResolver,
) -> None:
    assert voice.resolve({"from": "+15550100001", "call": CALL}) == Identity.customer("C001", "voice", "signed_webhook")
    calling = voice.resolve({"from": STRANGER, "call": CALL})
    assert calling.customer_id is None
    assert calling.conversation_id == sms.resolve({"from": STRANGER}).conversation_id


@pytest.mark.parametrize("withheld", ["anonymous", "Anonymous", "+266696687", "restricted", ""])
def test_a_withheld_number_is_a_visitor_for_that_call_alone(voice: VoiceResolver, withheld: str) -> None:
    first = voice.resolve({"from": withheld, "call": CALL})
    assert is_visitor(first.conversation_id) and first.customer_id is None
    assert voice.resolve({"from": withheld, "call": CALL}) == first  # every webhook of the call
    assert voice.resolve({"from": withheld, "call": OTHER_CALL}).conversation_id != first.conversation_id
    assert isinstance(voice.resolve({"from": withheld}), Refused)  # no call to tell it by


def test_jane_by_sms_and_by_whatsapp_is_one_conversation_the_same_as_her_web_chat_and_rest(
    directory: SqlBusiness, sms: PhoneResolver, whatsapp: PhoneResolver,
) -> None:
    by_sms = sms.resolve({"from": "+15550100001"})
    by_whatsapp = whatsapp.resolve({"from": "whatsapp:+15550100001"})
    web_chat = WebChatResolver(SessionTokens(SECRET, lambda: "1" * 32), MemoryTokenClaims(), lambda: NOW,
                               lambda: "2" * 32)
    in_the_browser = web_chat.resolve({"token": web_chat.tokens.issue(JANE, NOW), "socket": "sid-1"})

    assert by_sms == Identity(JANE, "C001", "sms", "signed_webhook")
    assert by_whatsapp == Identity(JANE, "C001", "whatsapp", "signed_webhook")
    assert in_the_browser.conversation_id == JANE  # type: ignore[union-attr]
    assert RestResolver(directory).resolve({"sender": "+15550100001"}).conversation_id == JANE  # type: ignore[union-attr]


def test_a_conversation_a_stranger_began_on_whatsapp_continues_by_sms_and_is_nobodys(
    sms: PhoneResolver, whatsapp: PhoneResolver,
) -> None:
    on_whatsapp = whatsapp.resolve({"from": "whatsapp:" + STRANGER})
    later_by_sms = sms.resolve({"from": STRANGER})

    assert isinstance(on_whatsapp, Identity) and isinstance(later_by_sms, Identity)
    assert on_whatsapp.conversation_id == later_by_sms.conversation_id
    assert on_whatsapp.customer_id is None and on_whatsapp.proof == "none"
    assert is_visitor(on_whatsapp.conversation_id) and customer_of(on_whatsapp.conversation_id) is None
    assert sms.resolve({"from": STRANGER}) == later_by_sms  # the same every time: the conversation goes on


def test_a_strangers_conversation_id_is_not_the_number_and_differs_per_number_and_per_secret(
    directory: SqlBusiness, sms: PhoneResolver,
) -> None:
    stranger = sms.resolve({"from": STRANGER}).conversation_id  # type: ignore[union-attr]
    another = sms.resolve({"from": "+447700900123"}).conversation_id  # type: ignore[union-attr]
    other_server = PhoneResolver("sms", directory, "t" * 32).resolve({"from": STRANGER}).conversation_id  # type: ignore[union-attr]

    assert len({stranger, another, other_server}) == 3
    assert "5559990000" not in stranger and "15559990000" not in stranger
    assert stranger != JANE and customer_of(stranger) is None


def test_a_closed_accounts_number_gets_the_public_answers_only(directory: SqlBusiness, sms: PhoneResolver) -> None:
    with directory.session(write=True) as session:
        leo = session.get(CustomerRow, "C004")
        leo.status = "closed"  # type: ignore[union-attr]
        session.add(leo)
        session.commit()

    identity = sms.resolve({"from": "+15550100004"})

    assert isinstance(identity, Identity) and identity.customer_id is None and is_visitor(identity.conversation_id)


def test_a_stranger_who_proved_by_a_code_on_janes_phone_to_be_jane_is_jane_from_then_on(
    directory: SqlBusiness,
) -> None:
    links = MemoryIdentityLinks()
    sms = PhoneResolver("sms", directory, SECRET, links=links)
    visitor = sms.resolve({"from": STRANGER}).conversation_id  # type: ignore[union-attr]
    links.add_request(LinkRequest("r1", visitor, "C001", NOW, NOW + timedelta(minutes=10)))
    assert sms.resolve({"from": STRANGER}).conversation_id == visitor  # type: ignore[union-attr]  # asked, not proven

    links.link("r1", NOW, "otp")

    assert sms.resolve({"from": STRANGER}) == Identity(JANE, "C001", "sms", "signed_webhook+otp_link")
    assert is_visitor(sms.resolve({"from": "+447700900123"}).conversation_id)  # type: ignore[union-attr]


@pytest.mark.parametrize(("sender", "reason"), [
    ("", "names no sender"),
    ("   ", "names no sender"),
    ("whatsapp:", "it is empty"),
    ("ACME", "it has letters in it"),  # an alphanumeric sender id
    ("+1555", "it has too few digits"),
    ("+15550100001234567", "it has too many digits"),
    ("visitor-" + "a" * 32, "it has letters in it"),
    (JANE, "it has letters in it"),  # a conversation key is no number
])
def test_a_webhook_without_a_readable_number_is_refused_saying_why(sms: PhoneResolver, sender: str,
                                                                    reason: str) -> None:
    refused = sms.resolve({"from": sender})

    assert isinstance(refused, Refused) and reason in refused.reason
    assert "sms webhook" in refused.reason


def test_no_from_at_all_is_refused(sms: PhoneResolver) -> None:
    assert sms.resolve({}) == Refused("the sms webhook names no sender: 'From' must be the number that wrote")


@pytest.mark.parametrize(("channel", "secret"), [("fax", SECRET), ("sms", "short")])
def test_a_phone_resolver_is_only_made_for_a_twilio_channel_with_a_real_secret(
    directory: SqlBusiness, channel: str, secret: str,
) -> None:
    with pytest.raises(ValueError):
        PhoneResolver(channel, directory, secret)


def test_the_composition_root_gives_the_twilio_channels_their_resolvers_reading_numbers_in_one_region(
    tmp_path: Path,
) -> None:
    settings = Settings.from_env({"HITL_DATA_DIR": str(tmp_path), "HITL_PHONE_REGION": "GB"})
    resolvers = identity_resolvers(settings, make_engine(settings.database_url))
    business = build_directory(settings)
    business.create_all()  # type: ignore[attr-defined]
    seed_demo(business, NOW.date())  # type: ignore[arg-type]

    assert business.phone_region == resolvers.of("sms").region == "GB"  # type: ignore[attr-defined]
    assert business.find_customer_by_phone("(555) 010-0001") is None  # +445550100001 in Britain, not Jane

    assert resolvers.of("sms").resolve({"from": "+15550100001"}).conversation_id == JANE  # type: ignore[union-attr]
    assert resolvers.resolve("whatsapp", {"from": "whatsapp:+15550100001"}).conversation_id == JANE  # type: ignore[union-attr]
    stranger = resolvers.resolve("sms", {"from": STRANGER})
    assert is_visitor(stranger.conversation_id)  # type: ignore[union-attr]
    assert resolvers.resolve("whatsapp", {"from": "whatsapp:" + STRANGER}).conversation_id \
        == stranger.conversation_id  # type: ignore[union-attr]


def test_rest_reads_the_sender_with_the_same_reader_and_says_why_text_is_no_number(directory: SqlBusiness) -> None:
    assert RestResolver(directory).resolve({"sender": "(555) 010-0001"}).conversation_id == JANE  # type: ignore[union-attr]
    refused = RestResolver(directory).resolve({"sender": "jane"})
    assert isinstance(refused, Refused) and "'jane' is not a phone number: it has letters in it" in refused.reason
