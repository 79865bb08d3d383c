"""Who is at the other end of a connection, when a proxy may stand in between.

Behind a reverse proxy a server's peer is the proxy; the proxy names the browser in
``X-Forwarded-For`` (appending the address it saw) and its scheme in ``X-Forwarded-Proto``.
Anyone can send those headers, so they are believed only from a peer in a configured list of
trusted proxies (the inbox's ``INBOX_TRUSTED_PROXIES``, the web chat's
``WEBCHAT_TRUSTED_PROXIES``); from anyone else they are ignored.

The web chat puts a keyed hash of the address it found (``actions.domain.links.client_digest``,
never the address: the metadata is kept in Rasa's tracker) in each message's metadata under
:data:`CLIENT_METADATA_KEY`, always itself; the action server reads it only from the channels
in :data:`CLIENT_ADDRESS_CHANNELS`, since on any other the metadata is the caller's to write.
"""

from __future__ import annotations

import ipaddress
from typing import Optional, Sequence, Union

from actions.settings import Network

#: Where a channel that knows the sender's network address puts its keyed hash in a message's metadata.
CLIENT_METADATA_KEY = "client"
#: The channels that set that key themselves, whatever the client sent.
CLIENT_ADDRESS_CHANNELS = ("webchat",)

_Address = Union[ipaddress.IPv4Address, ipaddress.IPv6Address]


def is_trusted_proxy(peer: Optional[str], proxies: Sequence[Network]) -> bool:
    """Whether the direct peer is one of the proxies whose forwarding headers are believed."""
    address = _address(peer)
    return address is not None and _within(address, proxies)


def client_address(peer: Optional[str], forwarded_for: str, proxies: Sequence[Network]) -> Optional[str]:
    """The address of the client: the peer itself, or, when the peer is a trusted proxy, the
    nearest ``X-Forwarded-For`` entry that is not one (read from the end, the entry the proxy
    added itself; what a client wrote before it is never reached). None if the peer is no IP
    address (a Unix socket)."""
    address = _address(peer)
    if address is None:
        return None
    hops = [hop.strip() for hop in forwarded_for.split(",")] if forwarded_for else []
    while hops and _within(address, proxies):
        nearer = _address(hops.pop())
        if nearer is None:  # an entry no proxy of ours would write: the last hop known stands for the client
            break
        address = nearer
    return str(address)


def _address(text: Optional[str]) -> Optional[_Address]:
    try:
        address = ipaddress.ip_address(text or "")
    except ValueError:  # not a TCP peer (a Unix socket), an address with a zone id, or a stray word
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped  # an IPv4 peer seen on a dual-stack socket
    return address


def _within(address: _Address, proxies: Sequence[Network]) -> bool:
    return any(address in network for network in proxies)
