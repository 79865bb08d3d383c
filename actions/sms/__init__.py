"""Ways a text leaves the system for a phone: Twilio's Messages API, or a development file.

``TwilioMessages`` sends (and finds) SMS and WhatsApp messages through Twilio's REST API with
twilio's asyncio client; ``TwilioSmsSender`` texts one-time codes with it; ``DevOutboxSender`` is the embedded
default when no Twilio credentials are configured and only writes to a local file, so a
developer can read the code without any phone being involved.
"""

from actions.sms.dev_outbox import DEV_OUTBOX_WARNING, DevOutboxSender, read_outbox
from actions.sms.twilio_http import RedirectingHttpClient, build_twilio_client
from actions.sms.twilio_messages import OutgoingText, TwilioDeliveryFailed, TwilioMessages
from actions.sms.twilio_sms import TwilioSmsSender

__all__ = [
    "DEV_OUTBOX_WARNING",
    "DevOutboxSender",
    "OutgoingText",
    "RedirectingHttpClient",
    "TwilioDeliveryFailed",
    "TwilioMessages",
    "TwilioSmsSender",
    "build_twilio_client",
    "read_outbox",
]
