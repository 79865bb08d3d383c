"""``python -m devtools.fake_twilio``: the fake Twilio and its demo phone page as a server of their own.

What ``make run`` starts beside the stack in demo mode. Every option falls back to the variable
the stack's processes read (``TWILIO_ACCOUNT_SID``, ``TWILIO_AUTH_TOKEN``, ``TWILIO_FROM_NUMBER``,
``TWILIO_WHATSAPP_FROM``, ``HITL_PUBLIC_URL``), so the fake and the stack agree by construction.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from typing import Mapping, Optional, Sequence

from aiohttp import web

from actions.domain.clock import SystemClock
from devtools.fake_twilio.app import create_app
from devtools.fake_twilio.phone import PhoneSettings
from devtools.fake_twilio.resources import incoming_phone_number_resource
from devtools.fake_twilio.state import FakeState
from devtools.fake_twilio.validation import is_phone_number

ACCOUNT_SID = re.compile(r"^AC[0-9a-fA-F]{32}$")


def parser(env: Mapping[str, str]) -> argparse.ArgumentParser:
    arguments = argparse.ArgumentParser(prog="python -m devtools.fake_twilio", description=__doc__)
    arguments.add_argument("--host", default="127.0.0.1")
    arguments.add_argument("--port", type=int, default=8090)
    arguments.add_argument("--account-sid", default=env.get("TWILIO_ACCOUNT_SID"), help="AC + 32 hex digits")
    arguments.add_argument("--auth-token", default=env.get("TWILIO_AUTH_TOKEN"))
    arguments.add_argument("--sms-number", default=env.get("TWILIO_FROM_NUMBER") or "+15005550006")
    arguments.add_argument("--whatsapp-number", default=env.get("TWILIO_WHATSAPP_FROM") or "whatsapp:+14155238886")
    arguments.add_argument("--bot-url", default=env.get("HITL_PUBLIC_URL") or "http://127.0.0.1:5005",
                           help="the Rasa server's public base URL: the phone's webhooks go (and are signed) there")
    arguments.add_argument("--advance-every", type=float, default=1.5,
                           help="seconds between a message's delivery steps (queued, sent, delivered, read)")
    return arguments


def problems(options: argparse.Namespace) -> list[str]:
    """What is wrong with the options, each saying what to set."""
    found = []
    if not options.account_sid or not ACCOUNT_SID.match(options.account_sid):
        found.append("--account-sid (or TWILIO_ACCOUNT_SID) must be AC followed by 32 hex digits")
    if not options.auth_token:
        found.append("--auth-token (or TWILIO_AUTH_TOKEN) is required: webhooks are signed with it")
    if not is_phone_number(options.sms_number):
        found.append(f"--sms-number must be E.164 like +15005550006, got {options.sms_number!r}")
    if not (options.whatsapp_number.startswith("whatsapp:")
            and is_phone_number(options.whatsapp_number.removeprefix("whatsapp:"))):
        found.append(f"--whatsapp-number must look like whatsapp:+14155238886, got {options.whatsapp_number!r}")
    if not options.bot_url.startswith(("http://", "https://")):
        found.append(f"--bot-url must be an http(s) URL, got {options.bot_url!r}")
    if options.advance_every <= 0:
        found.append("--advance-every must be a positive number of seconds")
    return found


def main(argv: Optional[Sequence[str]] = None, env: Mapping[str, str] = os.environ) -> int:
    options = parser(env).parse_args(argv)
    found = problems(options)
    if found:
        print("fake Twilio not started: " + "; ".join(found), file=sys.stderr)
        return 2
    state = FakeState(options.account_sid, options.auth_token, SystemClock())
    state.advance_every = options.advance_every
    state.add_number(incoming_phone_number_resource(options.account_sid, options.sms_number, state.clock.now()))
    phone = PhoneSettings(options.bot_url, options.sms_number, options.whatsapp_number)
    print(f"fake Twilio on http://{options.host}:{options.port}, demo phone at /phone", flush=True)
    web.run_app(create_app(state, phone), host=options.host, port=options.port, print=None)
    return 0


if __name__ == "__main__":
    sys.exit(main())
