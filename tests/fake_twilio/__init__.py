"""A fake Twilio REST API and webhook sender for tests (SMS today; WhatsApp and voice reuse it).

    with FakeTwilio() as fake:
        sender = TwilioSmsSender(fake.account_sid, fake.auth_token, "+15005550006", base_url=fake.base_url)
        sid = sender.send_sms("+15551234567", "Your code is 123456")
        assert fake.message(sid)["status"] == "queued"

See ``server.FakeTwilio`` for failure injection (``fail_next``, ``stall_next``, ``refuse``) and
signed webhooks (``send_webhook``, ``send_inbound_sms``, ``deliver_status_callbacks``).
"""

from tests.fake_twilio.server import FakeTwilio, StatusCallbackDelivery
from tests.fake_twilio.state import RecordedRequest
from tests.fake_twilio.validation import TwilioApiError
from tests.fake_twilio.webhooks import WebhookReply

__all__ = ["FakeTwilio", "RecordedRequest", "StatusCallbackDelivery", "TwilioApiError", "WebhookReply"]
