"""Settings for the action server, read from the environment once and validated at start-up.

Every error says which variable to set. The embedded default needs none of them: SQLite
files under ``var/``, the demo business seeded, and one-time codes written to a local
development outbox instead of being texted.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Optional

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class SettingsError(ValueError):
    """A setting is missing or malformed; the message names the variable."""


@dataclass(frozen=True)
class TwilioSettings:
    account_sid: str
    auth_token: str
    from_number: str
    base_url: Optional[str]


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
    #: Rasa sends it with every action call (endpoints.yml); the action server refuses calls without it.
    actions_secret: str = ""
    #: Where the action server listens: loopback unless the Rasa server runs on another machine.
    actions_host: str = "127.0.0.1"

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
            identity_secret=identity_secret(env),
            actions_secret=_secret(env, data_dir, "HITL_ACTIONS_SECRET", "actions_secret").decode(),
            actions_host=env.get("ACTIONS_HOST") or "127.0.0.1",
            twilio=_twilio(env),
        )


def hitl_database_url(env: Mapping[str, str] = os.environ) -> str:
    """The assistant's database: HITL_DATABASE_URL, else DATABASE_URL (the one the inbox reads,
    so setting it alone moves both), else ``hitl.db`` in the data directory.

    Apart from Settings so that tools (the migration command) find the same database
    without needing the rest of the configuration.
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
    """The secret that keys stored code hashes. Development generates one under the data dir."""
    return _secret(env, data_dir, "OTP_PEPPER", "otp_pepper")


def identity_secret(env: Mapping[str, str] = os.environ) -> str:
    """The key of web-chat identity tokens, shared by the page that issues them and the action server."""
    return _secret(env, _data_dir(env), "HITL_IDENTITY_SECRET", "identity_secret").decode()


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
    return TwilioSettings(
        account_sid=env["TWILIO_ACCOUNT_SID"],
        auth_token=env["TWILIO_AUTH_TOKEN"],
        from_number=env["TWILIO_FROM_NUMBER"],
        base_url=env.get("TWILIO_BASE_URL") or None,
    )
