"""The stack's settings: one object, read from the environment once and validated at start-up.

Every process reads the same object (the action server, the inbox, Rasa's channels, the
launcher and the command-line tools), so they can't disagree on a database or a secret.
Every error says which variable to set. The embedded default needs none of them: SQLite
files under ``var/``, the demo business seeded, and one-time codes written to a local
development outbox instead of being texted.
"""

from __future__ import annotations

import ipaddress
import os
import re
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Optional, Tuple, Union
from urllib.parse import urlsplit

from actions.domain.phones import DEFAULT_REGION, check_region

PROJECT_ROOT = Path(__file__).resolve().parent.parent

Network = Union[ipaddress.IPv4Network, ipaddress.IPv6Network]


class SettingsError(ValueError):
    """A setting is missing or malformed; the message names the variable."""


@dataclass(frozen=True)
class TwilioSettings:
    account_sid: str
    auth_token: str
    from_number: str
    base_url: Optional[str]
    #: The WhatsApp sender, ``whatsapp:+E164``; None: no WhatsApp.
    whatsapp_from: Optional[str] = None
    #: An approved template (ContentSid ``HX...``) for outside WhatsApp's 24-hour window.
    whatsapp_template_sid: Optional[str] = None
    #: While the auth token is rotated: the token Twilio may still sign webhooks with (the primary,
    #: until the new one is promoted in the console). Webhooks signed with either are taken.
    previous_auth_token: Optional[str] = None


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    database_url: str
    policy_path: Path
    domain_path: Path
    business: str  # "sqlite" | "http"
    business_database_url: str
    business_url: Optional[str]
    business_api_key: Optional[str]
    seed_demo: bool
    otp_pepper: bytes
    twilio: Optional[TwilioSettings]
    identity_secret: str = ""
    #: Where a phone number written without its country code is read (``actions.domain.phones``).
    phone_region: str = DEFAULT_REGION
    #: Rasa sends it with every action call (endpoints.yml); the action server refuses calls without it.
    actions_secret: str = ""
    #: True when HITL_ACTIONS_SECRET is set; else the launcher makes one at each start.
    actions_secret_chosen: bool = False
    #: Where the action server listens: loopback unless the Rasa server runs on another machine.
    actions_host: str = "127.0.0.1"
    #: The REST channel answers only callers with this bearer token; without one it refuses all.
    rest_token: str = ""
    #: How the inbox reaches Rasa's API, and where customers' browsers reach its socket.io channel.
    rasa_url: str = "http://127.0.0.1:5005"
    rasa_token: Optional[str] = None
    public_rasa_url: str = "http://127.0.0.1:5005"
    inbox_host: str = "127.0.0.1"
    #: The ports ``make run`` starts the servers on.
    rasa_port: int = 5005
    actions_port: int = 5055
    inbox_port: int = 8080
    #: Where ``make run`` starts the fake Twilio and its demo phone in demo mode (no real Twilio).
    fake_twilio_port: int = 8090
    secure_cookies: bool = False
    demo: bool = False
    #: Peers whose X-Forwarded-Proto is believed (the TLS-terminating proxy); nobody else's is.
    trusted_proxies: Tuple[Network, ...] = ()
    #: Peers of the web chat's socket whose X-Forwarded-For is believed (the proxy in front of Rasa).
    webchat_trusted_proxies: Tuple[Network, ...] = ()
    #: Several Rasa servers behind a proxy: the Redis their web chat sockets share, so a reply any of
    #: them sends reaches a page open on another (``WEBCHAT_REDIS_URL``); None: one Rasa server.
    webchat_redis_url: Optional[str] = None
    #: Redis' pub/sub channels span its databases: each deployment names its own (``WEBCHAT_REDIS_CHANNEL``).
    webchat_redis_channel: str = "hitl-webchat"
    #: Several Rasa servers: each one's own URL, all asked which chat pages are open (a page is open
    #: on one of them only); empty: ask ``rasa_url`` (``RASA_REPLICA_URLS``, comma-separated).
    rasa_replica_urls: Tuple[str, ...] = ()

    #: The base URL Twilio reaches Rasa's webhooks at (status callbacks, signatures are checked against it).
    public_url: str = "http://127.0.0.1:5005"

    #: Where Rasa keeps conversations (``RASA_TRACKER_DB`` in endpoints.yml), for a demo reset.
    tracker_db: Path = PROJECT_ROOT / "var" / "rasa_tracker.db"

    @property
    def dev_outbox(self) -> Path:
        return self.data_dir / "dev_outbox.jsonl"

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> "Settings":
        data_dir = _data_dir(env)
        business = env.get("ACME_BACKEND", "sqlite")
        if business not in ("sqlite", "http"):
            raise SettingsError(f"ACME_BACKEND must be 'sqlite' (the demo) or 'http' (your own API), got {business!r}")
        business_url = env.get("ACME_BACKEND_URL") or None
        if business == "http" and not business_url:
            raise SettingsError("ACME_BACKEND=http needs ACME_BACKEND_URL (the base URL of your business API)")
        if env.get("DATABASE_URL") and env.get("HITL_DATABASE_URL") and env["DATABASE_URL"] != env["HITL_DATABASE_URL"]:
            raise SettingsError("DATABASE_URL and HITL_DATABASE_URL differ: the inbox and the action server must share one database")
        rasa_url = env.get("RASA_URL", "http://127.0.0.1:5005")
        return cls(
            data_dir=data_dir,
            database_url=hitl_database_url(env),
            policy_path=Path(env.get("RISK_POLICY_PATH") or PROJECT_ROOT / "bot" / "risk_policy.yml"),
            domain_path=Path(env.get("RASA_DOMAIN_PATH") or PROJECT_ROOT / "bot" / "domain.yml"),
            business=business,
            business_database_url=env.get("ACME_DATABASE_URL") or f"sqlite:///{data_dir / 'acme.db'}",
            business_url=business_url,
            business_api_key=env.get("ACME_API_KEY") or None,
            seed_demo=_flag(env, "ACME_SEED_DEMO", default=business == "sqlite"),
            otp_pepper=_pepper(env, data_dir),
            identity_secret=_secret(env, data_dir, "HITL_IDENTITY_SECRET", "identity_secret").decode(),
            phone_region=_phone_region(env),
            actions_secret=_secret(env, data_dir, "HITL_ACTIONS_SECRET", "actions_secret").decode(),
            actions_secret_chosen=bool(env.get("HITL_ACTIONS_SECRET")),
            actions_host=env.get("ACTIONS_HOST") or "127.0.0.1",
            twilio=_twilio(env),
            rest_token=env.get("HITL_REST_TOKEN", ""),
            tracker_db=Path(env.get("RASA_TRACKER_DB") or data_dir / "rasa_tracker.db"),
            rasa_url=rasa_url,
            rasa_token=env.get("RASA_TOKEN") or None,
            public_rasa_url=env.get("RASA_PUBLIC_URL", rasa_url),
            inbox_host=env.get("INBOX_HOST", "127.0.0.1"),
            rasa_port=_port(env, "RASA_PORT", 5005),
            public_url=_public_url(env),
            actions_port=_port(env, "ACTIONS_PORT", 5055),
            inbox_port=_port(env, "INBOX_PORT", 8080),
            fake_twilio_port=_port(env, "FAKE_TWILIO_PORT", 8090),
            secure_cookies=env.get("INBOX_SECURE_COOKIES", "").lower() in ("1", "true", "yes"),
            demo=env.get("HITL_DEMO", "").lower() in ("1", "true", "yes"),
            trusted_proxies=trusted_proxies(env.get("INBOX_TRUSTED_PROXIES", "")),
            webchat_trusted_proxies=trusted_proxies(env.get("WEBCHAT_TRUSTED_PROXIES", ""), "WEBCHAT_TRUSTED_PROXIES"),
            webchat_redis_url=env.get("WEBCHAT_REDIS_URL") or None,
            webchat_redis_channel=env.get("WEBCHAT_REDIS_CHANNEL") or "hitl-webchat",
            rasa_replica_urls=tuple(url.strip() for url in env.get("RASA_REPLICA_URLS", "").split(",") if url.strip()),
        )


def hitl_database_url(env: Mapping[str, str] = os.environ) -> str:
    """The assistant's database: HITL_DATABASE_URL, else DATABASE_URL (the one the inbox reads,
    so setting it alone moves both), else ``hitl.db`` in the data directory.

    Apart from Settings so that the migration command finds the same database without
    needing the rest of the configuration (or creating the secrets in the data directory).
    """
    return env.get("HITL_DATABASE_URL") or env.get("DATABASE_URL") or f"sqlite:///{_data_dir(env) / 'hitl.db'}"


def _data_dir(env: Mapping[str, str]) -> Path:
    return Path(env.get("HITL_DATA_DIR") or PROJECT_ROOT / "var").resolve()


def _flag(env: Mapping[str, str], name: str, default: bool) -> bool:
    value = env.get(name)
    if value is None or value == "":
        return default
    if value.lower() in ("1", "true", "yes", "on"):
        return True
    if value.lower() in ("0", "false", "no", "off"):
        return False
    raise SettingsError(f"{name} must be true or false, got {value!r}")


def _pepper(env: Mapping[str, str], data_dir: Path) -> bytes:
    """The secret that keys stored hashes: of one-time codes, and of the addresses sign-ins came
    from. Development generates one under the data dir."""
    return _secret(env, data_dir, "OTP_PEPPER", "otp_pepper")


def _phone_region(env: Mapping[str, str]) -> str:
    try:
        return check_region(env.get("HITL_PHONE_REGION") or DEFAULT_REGION)
    except ValueError as unknown:
        raise SettingsError(f"HITL_PHONE_REGION: {unknown} (the country whose numbers customers write "
                            "without a country code)") from None


def _port(env: Mapping[str, str], name: str, default: int) -> int:
    value = env.get(name) or str(default)
    if not (value.isascii() and value.isdigit()) or not 0 < int(value) < 65536:
        raise SettingsError(f"{name} must be a port number, got {value!r}")
    return int(value)


def trusted_proxies(text: str, variable: str = "INBOX_TRUSTED_PROXIES") -> Tuple[Network, ...]:
    """``INBOX_TRUSTED_PROXIES`` (or ``variable``): IP addresses or networks, separated by commas or spaces."""
    networks = []
    for entry in re.split(r"[,\s]+", text.strip()):
        if not entry:
            continue
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError:
            raise SettingsError(f"{variable}: {entry!r} is not an IP address or network; "
                                "write the proxy's address, e.g. 10.0.0.5 or 10.0.0.0/24") from None
    return tuple(networks)


def _secret(env: Mapping[str, str], data_dir: Path, variable: str, filename: str) -> bytes:
    value = env.get(variable)
    if value:
        if len(value) < 32:
            raise SettingsError(f"{variable} must be at least 32 characters (e.g. `python -c 'import secrets; print(secrets.token_hex(32))'`)")
        return value.encode()
    path = data_dir / filename
    data_dir.mkdir(parents=True, exist_ok=True)
    try:  # created readable by the owner only, and only once even if two processes start together
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass
    else:
        with os.fdopen(descriptor, "w") as handle:
            handle.write(secrets.token_hex(32))
    return path.read_text().strip().encode()


def _twilio(env: Mapping[str, str]) -> Optional[TwilioSettings]:
    names = ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TWILIO_FROM_NUMBER")
    given = [name for name in names if env.get(name)]
    if not given:
        return None
    missing = [name for name in names if not env.get(name)]
    if missing:
        raise SettingsError(f"Twilio is partly configured: set {', '.join(missing)} too (or unset {', '.join(given)} to use the development outbox)")
    whatsapp_from = env.get("TWILIO_WHATSAPP_FROM") or None
    if whatsapp_from is not None and not re.fullmatch(r"whatsapp:\+[1-9]\d{1,14}", whatsapp_from):
        raise SettingsError(f"TWILIO_WHATSAPP_FROM must be the WhatsApp sender as whatsapp:+E.164, e.g. "
                            f"whatsapp:+15005550006, got {whatsapp_from!r}")
    template = env.get("TWILIO_WHATSAPP_TEMPLATE_SID") or None
    if template is not None and not re.fullmatch(r"HX[0-9a-fA-F]{32}", template):
        raise SettingsError(f"TWILIO_WHATSAPP_TEMPLATE_SID must be an approved template's ContentSid (HX and 32 hex "
                            f"digits, from Twilio's Content Template Builder), got {template!r}")
    if template is not None and whatsapp_from is None:
        raise SettingsError("TWILIO_WHATSAPP_TEMPLATE_SID is set but TWILIO_WHATSAPP_FROM is not: set the WhatsApp sender too")
    return TwilioSettings(
        account_sid=env["TWILIO_ACCOUNT_SID"],
        auth_token=env["TWILIO_AUTH_TOKEN"],
        from_number=env["TWILIO_FROM_NUMBER"],
        base_url=env.get("TWILIO_BASE_URL") or None,
        whatsapp_from=whatsapp_from,
        whatsapp_template_sid=template,
        previous_auth_token=env.get("TWILIO_AUTH_TOKEN_PREVIOUS") or None,
    )


def _public_url(env: Mapping[str, str]) -> str:
    """``HITL_PUBLIC_URL``: where Twilio reaches Rasa (default: Rasa on this machine)."""
    value = env.get("HITL_PUBLIC_URL") or f"http://127.0.0.1:{_port(env, 'RASA_PORT', 5005)}"
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise SettingsError(f"HITL_PUBLIC_URL must be the absolute http(s) URL Twilio reaches Rasa at, such as "
                            f"https://bot.example.com (no query), got {value!r}")
    return value.rstrip("/")
