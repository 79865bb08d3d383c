"""Point the shop's Twilio number at this server: ``python -m bot.twilio_setup`` (``make twilio-setup``).

Going live means Twilio must call the Rasa server's webhooks at the public URL the signatures
are checked against (``HITL_PUBLIC_URL``). The number's incoming-message webhook, its incoming-call
webhook and its call status callback are set through the API (the account's IncomingPhoneNumbers,
found by ``TWILIO_FROM_NUMBER``); what the API of the twilio library we use can't set is printed
as steps for the Twilio Console:

* a WhatsApp sender keeps its webhook on the sender (or on its Messaging Service), not on the
  number; Twilio's Senders API for it is a public beta the library does not cover;
* delivery reports of texts need nothing on the number: the delivery worker names
  ``<HITL_PUBLIC_URL>/webhooks/<channel>/status`` on every message it sends (the number's
  ``StatusCallback`` is the calls' one, ``/webhooks/voice/status``).

``--dry-run`` reads the number and prints what would change, changing nothing. Every failure
says what to do and exits non-zero: 2 for settings to fix here, 1 for what Twilio refused.
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import os
import re
import sys
from dataclasses import dataclass
from typing import Any, Dict, List, Mapping, Optional, Sequence
from urllib.parse import urlsplit

from requests import RequestException
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.rest import Client
from twilio.rest.api.v2010.account.incoming_phone_number import IncomingPhoneNumberInstance

from actions.settings import Settings, TwilioSettings
from actions.sms.twilio_http import build_twilio_client

#: Settings to fix here (missing, malformed, not reachable by Twilio).
EXIT_SETTINGS = 2
#: Twilio refused (credentials, a number not on the account) or could not be reached.
EXIT_TWILIO = 1
#: Twilio's error code for credentials it does not accept.
AUTHENTICATE = 20003
#: Twilio's shared WhatsApp sandbox number, configured on its own Console page.
SANDBOX_WHATSAPP = "whatsapp:+14155238886"
E164 = re.compile(r"^\+[1-9]\d{1,14}$")


class SetupError(Exception):
    """Setup can't go on; the message says what to do, ``exit_code`` whose side it is on."""

    def __init__(self, message: str, exit_code: int) -> None:
        super().__init__(message)
        self.exit_code = exit_code


@dataclass(frozen=True)
class Change:
    """One field of the number: what it is now, what this server needs."""

    label: str
    field: str
    before: str
    after: str

    @property
    def needed(self) -> bool:
        return self.before != self.after


def webhook_url(public_url: str, channel: str, hook: str) -> str:
    """``<HITL_PUBLIC_URL>/webhooks/<channel>/<hook>``: where Rasa mounts each channel's routes."""
    return f"{public_url}/webhooks/{channel}/{hook}"


def public_url_of(env: Mapping[str, str], settings: Settings) -> str:
    """``HITL_PUBLIC_URL``, refused unless it is https on a host Twilio can reach."""
    if not env.get("HITL_PUBLIC_URL"):
        raise SetupError("HITL_PUBLIC_URL is not set: set it to the public https URL Twilio reaches the Rasa "
                         "server at, e.g. https://bot.example.com (a tunnel to port 5005 is fine, such as "
                         "`ngrok http 5005`)", EXIT_SETTINGS)
    url = settings.public_url
    parts = urlsplit(url)
    if parts.scheme != "https":
        raise SetupError(f"HITL_PUBLIC_URL is {url}: Twilio needs a public https URL to call the webhooks at. "
                         "Put the Rasa server behind a TLS proxy or a tunnel (e.g. `ngrok http 5005`) and set "
                         "HITL_PUBLIC_URL to its https address", EXIT_SETTINGS)
    if _is_local(parts.hostname or ""):
        raise SetupError(f"HITL_PUBLIC_URL is {url}: {parts.hostname} can't be reached from Twilio's servers. "
                         "Set it to a public address (a tunnel such as `ngrok http 5005` is fine)", EXIT_SETTINGS)
    return url


def _is_local(host: str) -> bool:
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return address.is_private or address.is_loopback or address.is_link_local or address.is_unspecified


def twilio_settings(settings: Settings) -> TwilioSettings:
    if settings.twilio is None:
        raise SetupError("Twilio is not configured: set TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN (Twilio Console, "
                         "Account Info) and TWILIO_FROM_NUMBER (the shop's number, E.164 like +15017122661)",
                         EXIT_SETTINGS)
    if not E164.match(settings.twilio.from_number):
        raise SetupError(f"TWILIO_FROM_NUMBER must be the shop's Twilio number in E.164, like +15017122661, got "
                         f"{settings.twilio.from_number!r}", EXIT_SETTINGS)
    return settings.twilio


def find_number(client: Client, twilio: TwilioSettings) -> IncomingPhoneNumberInstance:
    """The account's number ``TWILIO_FROM_NUMBER``, or a SetupError naming the numbers it has."""
    found = client.incoming_phone_numbers.list(phone_number=twilio.from_number, limit=1)
    if found:
        return found[0]
    owned = [number.phone_number for number in client.incoming_phone_numbers.list(limit=20)]
    has = f"its numbers: {', '.join(owned)}" if owned else "it has no phone numbers"
    raise SetupError(f"TWILIO_FROM_NUMBER {twilio.from_number} is not a number of Twilio account "
                     f"{twilio.account_sid} ({has}). Buy or port the number in the Twilio Console (Phone Numbers, "
                     "Manage, Active numbers), or set TWILIO_FROM_NUMBER to one of the account's numbers",
                     EXIT_TWILIO)


def number_changes(number: IncomingPhoneNumberInstance, public_url: str) -> List[Change]:
    """The number's incoming-message and incoming-call webhooks and its call status callback, before and after."""
    return [
        Change("SMS webhook (A message comes in)", "sms_url", number.sms_url or "",
               webhook_url(public_url, "sms", "webhook")),
        Change("SMS webhook method", "sms_method", (number.sms_method or "").upper(), "POST"),
        Change("Voice webhook (A call comes in)", "voice_url", number.voice_url or "",
               webhook_url(public_url, "voice", "webhook")),
        Change("Voice webhook method", "voice_method", (number.voice_method or "").upper(), "POST"),
        Change("Call status callback", "status_callback", number.status_callback or "",
               webhook_url(public_url, "voice", "status")),
        Change("Call status callback method", "status_callback_method",
               (number.status_callback_method or "").upper(), "POST"),
    ]


def by_hand(twilio: TwilioSettings, public_url: str) -> List[str]:
    """What the API does not set: each step where it is done in the Twilio Console."""
    steps = [
        f"If {twilio.from_number} is in a Messaging Service (Console: Messaging, Services, the service's Sender "
        "Pool), the service decides where its texts go: under Integration choose \"Defer to sender's webhook\", "
        "or texts never reach the webhook set above.",
        "Leave Twilio's opt-out keywords on (STOP, START, HELP; on a Messaging Service: Opt-Out Management): "
        "Twilio answers them and refuses to text a number that sent STOP (error 21610); the bot records STOP "
        "and START too, and the inbox shows why a message was not sent.",
        f"Delivery reports need nothing on the number: every message names its own status callback "
        f"({webhook_url(public_url, 'sms', 'status')}, {webhook_url(public_url, 'whatsapp', 'status')}).",
    ]
    whatsapp = twilio.whatsapp_from
    if whatsapp is None:
        steps.append("No WhatsApp: set TWILIO_WHATSAPP_FROM (whatsapp:+E164) to take WhatsApp messages too.")
        return steps
    inbound = webhook_url(public_url, "whatsapp", "webhook")
    if whatsapp == SANDBOX_WHATSAPP:
        steps.append(f"WhatsApp sandbox {whatsapp}: Console: Messaging, Try it out, Send a WhatsApp message, "
                     f"Sandbox settings: \"When a message comes in\" = {inbound}, method POST; Save.")
    else:
        steps.append(f"WhatsApp sender {whatsapp}: Console: Messaging, Senders, WhatsApp senders, {whatsapp}: "
                     f"\"Webhook URL for incoming messages\" = {inbound}, method POST; leave the status callback "
                     "URL empty; Save. If the sender uses a Messaging Service instead, set that service's "
                     "Integration to \"Send a webhook\" with the same URL, and keep the SMS number out of it.")
    if twilio.whatsapp_template_sid is None:
        steps.append("No TWILIO_WHATSAPP_TEMPLATE_SID: outside WhatsApp's 24-hour window a reply fails instead of "
                     "going as a template; approve one in the Content Template Builder and set its HX... SID.")
    return steps


def set_up(settings: Settings, public_url: str, dry_run: bool) -> int:
    twilio = twilio_settings(settings)
    client = build_twilio_client(twilio.account_sid, twilio.auth_token, base_url=twilio.base_url)
    number = find_number(client, twilio)
    changes = number_changes(number, public_url)
    print(f"Twilio account {twilio.account_sid}, number {number.phone_number} ({number.sid}):")
    for change in changes:
        shown = f"{change.before or '(empty)'} -> {change.after}" if change.needed else f"{change.after} (unchanged)"
        print(f"  {change.label}: {shown}")
    needed = {change.field: change.after for change in changes if change.needed}
    if dry_run:
        print("Dry run: nothing was changed." if needed else "Dry run: nothing to change.")
    elif needed:
        client.incoming_phone_numbers(number.sid).update(**needed)
        print(f"Changed {len(needed)} setting(s) of {number.phone_number}.")
    else:
        print("Nothing to change.")
    print("Still to do by hand in the Twilio Console:")
    for step in by_hand(twilio, public_url):
        print(f"  - {step}")
    return 0


def twilio_refusal(error: TwilioException, account_sid: str) -> Optional[SetupError]:
    """What Twilio's error answer means, or None if Twilio did not answer.

    A refused list comes as ``TwilioException("Unable to fetch page", response)``, an update as
    ``TwilioRestException``: both carry Twilio's status and error code.
    """
    if isinstance(error, TwilioRestException):
        status, code, message = error.status, error.code, error.msg
    else:
        response = error.args[1] if len(error.args) > 1 else None
        if response is None or not hasattr(response, "status_code"):
            return None
        body = _json_object(response.text)
        status, code, message = response.status_code, body.get("code"), body.get("message", response.text)
    if code == AUTHENTICATE or status == 401:
        return SetupError(f"Twilio refused the credentials (error {AUTHENTICATE}): TWILIO_ACCOUNT_SID {account_sid} "
                          "and TWILIO_AUTH_TOKEN must be the live Account SID and Auth Token of the account that "
                          "owns the number (Twilio Console, Account Info); test credentials can't change numbers",
                          EXIT_TWILIO)
    return SetupError(f"Twilio refused the request ({status}, error {code}): {message}", EXIT_TWILIO)


def _json_object(text: str) -> Dict[str, Any]:
    try:
        loaded = json.loads(text)
    except ValueError:
        return {}
    return loaded if isinstance(loaded, dict) else {}


def parser() -> argparse.ArgumentParser:
    arguments = argparse.ArgumentParser(prog="python -m bot.twilio_setup", description=__doc__,
                                        formatter_class=argparse.RawDescriptionHelpFormatter)
    arguments.add_argument("--dry-run", action="store_true", help="show what would change, change nothing")
    return arguments


def main(argv: Optional[Sequence[str]] = None, env: Mapping[str, str] = os.environ) -> int:
    options = parser().parse_args(argv)
    account_sid = env.get("TWILIO_ACCOUNT_SID", "")
    try:
        settings = Settings.from_env(env)
        return set_up(settings, public_url_of(env, settings), options.dry_run)
    except ValueError as invalid:  # SettingsError, or a malformed TWILIO_BASE_URL
        failure = SetupError(str(invalid), EXIT_SETTINGS)
    except SetupError as stopped:
        failure = stopped
    except (TwilioException, RequestException) as error:
        refused = twilio_refusal(error, account_sid) if isinstance(error, TwilioException) else None
        failure = refused or SetupError(f"Twilio could not be reached ({error}); check the network (and "
                                        "TWILIO_BASE_URL if it is set: unset it to talk to the real Twilio)",
                                        EXIT_TWILIO)
    print(f"twilio setup: {failure}", file=sys.stderr)
    return failure.exit_code


if __name__ == "__main__":
    sys.exit(main())
