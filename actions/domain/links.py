"""Links from an anonymous visitor's conversation to a customer, made only with proof.

A visitor who says "I'm Jane" is still a visitor. What turns the visitor's conversation into
Jane's is a one-time code texted to the phone on Jane's record and typed back into that
conversation (``actions.domain.identify``). Each try is a :class:`LinkRequest`; the code's
hash is bound to the request's digest (this visitor, that customer), so it can confirm
nothing else. A correct code makes one :class:`IdentityLink`, for that visitor id only; the
web chat's resolver reads it, so the visitor's next connection is the customer's.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import Optional, Protocol, Sequence

#: How a link was proven: a code sent to the phone on the customer's record.
PROOF_OTP = "otp"


class LinkStatus(str, Enum):
    REQUESTED = "requested"  # a code is (or, for a number on no account, seems to be) on its way
    LINKED = "linked"
    CANCELLED = "cancelled"  # the visitor said NO, or gave another number
    FAILED = "failed"  # too many wrong codes, or the code could not be sent
    EXPIRED = "expired"


@dataclass(frozen=True)
class LinkRequest:
    """A visitor's claim to be a customer, waiting for the code that proves it.

    ``customer_id`` is None when the number named no account: nothing is texted, and every
    code fails the way a wrong one does, so the visitor learns nothing about the number.
    ``client`` is the :func:`client_digest` of the address the claim came from, where the
    channel knows it (the web chat); None elsewhere.
    """

    id: str
    conversation_id: str
    customer_id: Optional[str]
    requested_at: datetime
    expires_at: datetime
    status: LinkStatus = LinkStatus.REQUESTED
    client: Optional[str] = None

    @property
    def digest(self) -> str:
        return link_digest(self.conversation_id, self.customer_id)

    def is_expired(self, now: datetime) -> bool:
        return now >= self.expires_at


@dataclass(frozen=True)
class IdentityLink:
    """A visitor's conversation proven to be a customer's."""

    conversation_id: str
    customer_id: str
    verified_at: datetime
    proof: str
    request_id: str


def link_digest(conversation_id: str, customer_id: Optional[str]) -> str:
    """What a link code confirms: exactly this visitor becoming exactly this customer."""
    canonical = json.dumps({"kind": "link_identity", "conversation_id": conversation_id, "customer_id": customer_id},
                           sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def client_digest(secret: bytes, address: str) -> str:
    """What a sign-in request keeps of the network address it came from: a keyed hash, so the
    table names nobody's address and can't be reversed by hashing every IPv4 address. An IPv6
    client counts by its /64, the block one subscriber's line is given to pick addresses from."""
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        network = address
    else:
        network = str(ipaddress.ip_network(f"{parsed}/64", strict=False)) if parsed.version == 6 else str(parsed)
    return hmac.new(secret, f"sign-in client:{network}".encode(), hashlib.sha256).hexdigest()


class LinkedCustomers(Protocol):
    """What the web chat's resolver asks: whom a visitor's conversation was proven to be."""

    def linked(self, conversation_id: str) -> Optional[IdentityLink]: ...


class IdentityLinkStore(LinkedCustomers, Protocol):
    def add_request(self, request: LinkRequest) -> None: ...

    def open_request(self, conversation_id: str) -> Optional[LinkRequest]:
        """The newest request of this conversation still waiting for its code."""
        ...

    def move_request(self, request_id: str, from_statuses: Sequence[LinkStatus], to: LinkStatus) -> bool:
        """Set the status if it is still one of ``from_statuses``; True if this call did it."""
        ...

    def requested_since(self, since: datetime, *, conversation_id: Optional[str] = None,
                        customer_id: Optional[str] = None, client: Optional[str] = None) -> int:
        """How many requests were made since ``since`` by this conversation, for this customer, or
        from this client (its :func:`client_digest`)."""
        ...

    def code_prompt_live_since(self, conversation_id: str, since: datetime) -> bool:
        """Whether this conversation asked for a sign-in code that was still live at ``since`` or later."""
        ...

    def link(self, request_id: str, verified_at: datetime, proof: str) -> Optional[IdentityLink]:
        """Close the request as linked and record the link, in one step.

        None if the request is not waiting any more (another worker took it) or its
        conversation is linked already: a visitor id is linked to one customer, once.
        """
        ...
