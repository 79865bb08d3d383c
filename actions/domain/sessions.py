"""Whose conversation a message belongs to: decided by the server, once, never by the client.

Rasa keys every conversation (tracker, pending action, code, ticket) by its sender id, so
the sender id decides whose data a message touches. It is therefore never taken from a
client. Each channel has one resolver that turns what that channel can prove (the REST
caller's token, the web chat's signed token, a signed webhook's sender) into an
:class:`Identity`; the conversation id follows from the identity alone:

- a known customer has one conversation key, derived from their customer record
  (``customer-C001``), whatever channel or tab they write from;
- an anonymous visitor gets an id the server issues (``visitor-<32 hex>``): random in the
  web chat, a keyed hash of the number on SMS and WhatsApp. It can equal neither a
  customer's key nor a phone number.

A channel nobody wrote a resolver for identifies nobody (:class:`Resolvers`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable, Dict, Mapping, Optional, Protocol, Union

from actions.domain.business import Customer
from actions.domain.phones import NotAPhoneNumber

#: The channels that have an identity resolver (``Resolvers`` in the composition root registers
#: one for each): only their conversation ids were chosen by the server. ``sms``, ``whatsapp`` and
#: ``voice``: ``actions.domain.phone_sessions``.
IDENTIFYING_CHANNELS = ("rest", "webchat", "sms", "whatsapp", "voice")
CUSTOMER_PREFIX = "customer-"
VISITOR_PREFIX = "visitor-"
#: A person of the inbox writing from the phone on their profile (an approval by phone): never a
#: customer's conversation, and not one the bot talks in.
STAFF_PREFIX = "staff-"
_VISITOR = re.compile(r"^visitor-[0-9a-f]{32}$")
_CUSTOMER = re.compile(r"^customer-[A-Za-z0-9_.-]{1,64}$")


def customer_key(customer_id: str) -> str:
    """The one conversation of a known customer, on every channel."""
    key = f"{CUSTOMER_PREFIX}{customer_id}"
    if not _CUSTOMER.match(key):
        raise ValueError(f"a customer id may hold letters, digits, '_', '.' and '-' only (up to 64), got {customer_id!r}")
    return key


def new_visitor_key(random_hex: Callable[[], str]) -> str:
    """A conversation for someone nobody has identified yet; ``random_hex`` gives 32 random hex digits."""
    key = f"{VISITOR_PREFIX}{random_hex()}"
    if not _VISITOR.match(key):
        raise ValueError("a visitor id needs 32 random lowercase hex digits (e.g. uuid4().hex)")
    return key


def customer_of(conversation_id: str) -> Optional[str]:
    """The customer a conversation belongs to, or None for a visitor (or anything else)."""
    if _CUSTOMER.match(conversation_id or ""):
        return conversation_id[len(CUSTOMER_PREFIX):]
    return None


def is_visitor(conversation_id: str) -> bool:
    return bool(_VISITOR.match(conversation_id or ""))


def staff_key(username: str) -> str:
    """Where the messages a person of the inbox sends from their phone are kept."""
    return f"{STAFF_PREFIX}{username}"


def staff_of(conversation_id: str) -> Optional[str]:
    """The person whose phone messages these are, or None for a customer's or a visitor's."""
    return conversation_id[len(STAFF_PREFIX):] if conversation_id.startswith(STAFF_PREFIX) else None


def is_conversation_key(conversation_id: str) -> bool:
    """Whether the id is one the server could have chosen (a customer's key or a visitor id)."""
    return customer_of(conversation_id) is not None or is_visitor(conversation_id)


@dataclass(frozen=True)
class Identity:
    """Who is writing, as far as the channel could prove it."""

    conversation_id: str
    customer_id: Optional[str]
    channel: str
    #: How the channel knows: "rest_token", "signed_token", "signed_webhook" (a Twilio webhook's sender),
    #: "signed_token+otp_link" or "signed_webhook+otp_link" (a visitor's token or number, the visitor linked to
    #: the customer by a code: ``actions.domain.links``), or "none" (a visitor).
    proof: str

    @classmethod
    def customer(cls, customer_id: str, channel: str, proof: str) -> "Identity":
        return cls(customer_key(customer_id), customer_id, channel, proof)

    @classmethod
    def visitor(cls, conversation_id: str, channel: str) -> "Identity":
        if not is_visitor(conversation_id):
            raise ValueError(f"not a visitor id the server issued: {conversation_id!r}")
        return cls(conversation_id, None, channel, "none")


@dataclass(frozen=True)
class Refused:
    """The channel's evidence names nobody the server can accept; ``reason`` is for the caller."""

    reason: str


Resolution = Union[Identity, Refused]


class CustomerDirectory(Protocol):
    """The part of the business the resolvers need: who has this phone number (in any form
    ``actions.domain.phones`` reads; text that is no number raises its ``NotAPhoneNumber``)."""

    def find_customer_by_phone(self, phone: str) -> Optional[Customer]: ...

    def get_customer(self, customer_id: str) -> Optional[Customer]: ...


class Resolver(Protocol):
    def resolve(self, evidence: Mapping[str, str]) -> Resolution:
        """Who the evidence proves the writer to be; evidence keys are the channel's own."""
        ...


class Resolvers:
    """Every channel's resolver, in one place. A channel without one identifies nobody."""

    def __init__(self, resolvers: Mapping[str, Resolver]) -> None:
        self._resolvers: Dict[str, Resolver] = dict(resolvers)

    def resolve(self, channel: str, evidence: Mapping[str, str]) -> Resolution:
        resolver = self._resolvers.get(channel)
        if resolver is None:
            return Refused(f"no identity resolver is configured for the {channel!r} channel, so it identifies nobody")
        return resolver.resolve(evidence)

    def of(self, channel: str) -> Resolver:
        """The channel's own resolver, for the channel to use; a KeyError names a channel without one."""
        return self._resolvers[channel]

    def channels(self) -> tuple:
        return tuple(sorted(self._resolvers))


class RestResolver:
    """REST: the trusted caller (it holds the channel's token) names the customer.

    ``sender`` is the customer's phone number on file, or their conversation key. Nobody
    else can be spoken for: a number no customer has is refused rather than given a
    conversation of its own, so a typo never opens a stranger's session.
    """

    channel = "rest"

    def __init__(self, directory: CustomerDirectory) -> None:
        self.directory = directory

    def resolve(self, evidence: Mapping[str, str]) -> Resolution:
        sender = (evidence.get("sender") or "").strip()
        if not sender:
            return Refused("name the customer in 'sender': their phone number on file or their conversation key")
        named = customer_of(sender)
        if named is not None:
            if self.directory.get_customer(named) is None:
                return Refused(f"there is no customer {named!r}: name a customer by the phone number on file "
                               "or by the conversation key of one who exists")
            return Identity.customer(named, self.channel, "rest_token")
        try:
            customer = self.directory.find_customer_by_phone(sender)
        except NotAPhoneNumber as unreadable:
            return Refused(f"name the customer in 'sender' by the phone number on file or their conversation key "
                           f"(customer-<id>); {unreadable}")
        if customer is None:
            return Refused(f"no customer has the phone number {sender!r}: name a customer by the phone number on "
                           "file (E.164, e.g. +15550100001) or by their conversation key (customer-<id>)")
        return Identity.customer(customer.id, self.channel, "rest_token")
