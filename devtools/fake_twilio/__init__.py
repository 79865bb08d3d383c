"""A fake Twilio: the REST API our adapters call, webhooks signed as Twilio signs them, a demo phone.

    with FakeTwilio() as fake:
        sender = TwilioSmsSender(fake.account_sid, fake.auth_token, "+15005550006", base_url=fake.base_url)
        sid = sender.send_sms("+15551234567", "Your code is 123456")
        assert fake.message(sid)["status"] == "queued"

See ``server.FakeTwilio`` for failure injection (``fail_next``, ``stall_next``, ``refuse``,
``make_undeliverable``, ``duplicate_next_webhooks``) and signed webhooks (``send_webhook``,
``send_inbound_sms``, ``deliver_status_callbacks``) and phone calls (``place_call``, ``callee``,
``call_to``; TwiML checked by ``check_twiml``); ``python -m devtools.fake_twilio`` runs it
on its own with the demo phone page (README.md in this folder).
"""

from devtools.fake_twilio.phone import PhoneSettings
from devtools.fake_twilio.phone_calls import Callee, PhoneCall
from devtools.fake_twilio.server import FakeTwilio, StatusCallbackDelivery
from devtools.fake_twilio.state import RecordedRequest, SentWebhook
from devtools.fake_twilio.twiml import InvalidTwiml, check_twiml
from devtools.fake_twilio.validation import TwilioApiError
from devtools.fake_twilio.voice import CallError
from devtools.fake_twilio.webhooks import WebhookReply

__all__ = [
    "CallError", "Callee", "FakeTwilio", "InvalidTwiml", "PhoneCall", "PhoneSettings", "RecordedRequest", "SentWebhook",
    "StatusCallbackDelivery", "TwilioApiError", "WebhookReply", "check_twiml",
]
