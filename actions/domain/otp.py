"""One-time codes: RFC 4226 HOTP and RFC 6238 TOTP through pyotp, plus safe storage helpers.

Step-up codes are HOTP values of a fresh random secret that is thrown away after use: what
we keep is only a keyed hash of the code bound to the challenge and the exact action it
authorises, so a leaked database yields neither codes nor a way to mint them, and a code
issued for one action cannot approve a different one.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime
from typing import Callable

import pyotp

_DIGESTS = {"sha1": hashlib.sha1, "sha256": hashlib.sha256, "sha512": hashlib.sha512}


def hotp(secret_b32: str, counter: int, *, digits: int = 6, digest: str = "sha1") -> str:
    """RFC 4226 HMAC-based one-time password for ``counter``."""
    return pyotp.HOTP(secret_b32, digits=digits, digest=_digest(digest)).at(counter)


def totp(secret_b32: str, for_time: datetime, *, digits: int = 6, step_seconds: int = 30, digest: str = "sha1") -> str:
    """RFC 6238 time-based one-time password at ``for_time`` (the caller supplies the time)."""
    return pyotp.TOTP(secret_b32, digits=digits, digest=_digest(digest), interval=step_seconds).at(for_time)


def new_code(random_secret: Callable[[], str] = pyotp.random_base32, digits: int = 6) -> str:
    """A fresh code: HOTP counter 0 of a secret nobody keeps."""
    return hotp(random_secret(), 0, digits=digits)


def code_hash(pepper: bytes, challenge_id: str, action_digest: str, code: str) -> str:
    """Keyed hash binding a code to one challenge and one exact action."""
    message = f"{challenge_id}\x1f{action_digest}\x1f{normalise_code(code)}".encode()
    return hmac.new(pepper, message, hashlib.sha256).hexdigest()


def code_matches(pepper: bytes, challenge_id: str, action_digest: str, code: str, stored_hash: str) -> bool:
    """Constant-time comparison, so timing reveals nothing about how close a guess was."""
    return hmac.compare_digest(code_hash(pepper, challenge_id, action_digest, code), stored_hash)


def normalise_code(code: str) -> str:
    """Customers type '123 456' or '123-456'; only the digits count."""
    return "".join(ch for ch in code if ch.isdigit())


def _digest(name: str):
    try:
        return _DIGESTS[name]
    except KeyError:
        raise ValueError(f"unsupported OTP digest {name!r}; use one of {', '.join(_DIGESTS)}") from None
