"""The inbox service's configuration, from the environment."""

from __future__ import annotations

import ipaddress
import os
import re
from dataclasses import dataclass
from typing import Mapping, Optional, Tuple, Union

from actions.settings import Settings, SettingsError, hitl_database_url

Network = Union[ipaddress.IPv4Network, ipaddress.IPv6Network]


@dataclass(frozen=True)
class InboxSettings:
    assistant: Settings  # the same policy, stores and business as the action server
    database_url: str
    rasa_url: str
    rasa_token: Optional[str]
    public_rasa_url: str  # where customers' browsers reach Rasa's socket.io channel
    host: str
    port: int
    secure_cookies: bool
    demo: bool
    #: Peers whose X-Forwarded-Proto is believed (the TLS-terminating proxy); nobody else's is.
    trusted_proxies: Tuple[Network, ...] = ()

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> "InboxSettings":
        assistant = Settings.from_env(env)
        # DATABASE_URL is the conventional name; HITL_DATABASE_URL is what the action server reads
        database_url = env.get("DATABASE_URL") or hitl_database_url(env)
        if env.get("DATABASE_URL") and env.get("HITL_DATABASE_URL") and env["DATABASE_URL"] != env["HITL_DATABASE_URL"]:
            raise SettingsError("DATABASE_URL and HITL_DATABASE_URL differ: the inbox and the action server must share one database")
        try:
            port = int(env.get("INBOX_PORT", "8080"))
        except ValueError:
            raise SettingsError(f"INBOX_PORT must be a port number, got {env.get('INBOX_PORT')!r}") from None
        rasa_url = env.get("RASA_URL", "http://127.0.0.1:5005")
        return cls(
            assistant=Settings(**{**vars(assistant), "database_url": database_url}),
            database_url=database_url,
            rasa_url=rasa_url,
            rasa_token=env.get("RASA_TOKEN") or None,
            public_rasa_url=env.get("RASA_PUBLIC_URL", rasa_url),
            host=env.get("INBOX_HOST", "127.0.0.1"),
            port=port,
            secure_cookies=env.get("INBOX_SECURE_COOKIES", "").lower() in ("1", "true", "yes"),
            demo=env.get("HITL_DEMO", "").lower() in ("1", "true", "yes"),
            trusted_proxies=trusted_proxies(env.get("INBOX_TRUSTED_PROXIES", "")),
        )


def trusted_proxies(text: str) -> Tuple[Network, ...]:
    """``INBOX_TRUSTED_PROXIES``: IP addresses or networks, separated by commas or spaces."""
    networks = []
    for entry in re.split(r"[,\s]+", text.strip()):
        if not entry:
            continue
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError:
            raise SettingsError(f"INBOX_TRUSTED_PROXIES: {entry!r} is not an IP address or network; "
                                "write the proxy's address, e.g. 10.0.0.5 or 10.0.0.0/24") from None
    return tuple(networks)
