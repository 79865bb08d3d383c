"""Ways a one-time code (and later, an agent's reply) leaves the system as an SMS.

``TwilioSmsSender`` delivers through Twilio's REST API; ``DevOutboxSender`` is the embedded
default when no Twilio credentials are configured and only writes to a local file, so a
developer can read the code without any phone being involved.
"""

from actions.sms.dev_outbox import DEV_OUTBOX_WARNING, DevOutboxSender, read_outbox
from actions.sms.twilio_http import RedirectingHttpClient, build_twilio_client
from actions.sms.twilio_sms import TwilioDeliveryFailed, TwilioSmsSender

__all__ = [
    "DEV_OUTBOX_WARNING",
    "DevOutboxSender",
    "RedirectingHttpClient",
    "TwilioDeliveryFailed",
    "TwilioSmsSender",
    "build_twilio_client",
    "read_outbox",
]
