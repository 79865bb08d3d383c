"""A tiny shop voice app for the demo phone's call tests: the bot's voice webhooks as small as a test
needs (an order, a code, a yes/no, silence) and a warm transfer that rings a person's phone."""

from __future__ import annotations

from devtools.fake_twilio import FakeTwilio
from tests.support.voice_app import Hook, VoiceApp

JANE = "+15550100001"
PERSON = "+15550200001"
ROOM = "transfer-7"
VOICE = "/webhooks/voice"


def turn(*says: str, extra: str = "") -> str:
    spoken = "".join(f"<Say>{say}</Say>" for say in says)
    return (f'<Response><Gather input="speech dtmf" action="{VOICE}/gather" actionOnEmptyResult="true"{extra}>'
            f"{spoken}</Gather></Response>")


class Shop:
    """The bot's voice webhooks, as small as a test needs: orders, codes, yes/no, and a transfer."""

    def __init__(self, app: VoiceApp, fake: FakeTwilio) -> None:
        self.app, self.fake = app, fake
        self.ring_seconds = 20
        app.route(f"{VOICE}/webhook", turn("Hi Jane, this is Acme.", "How can I help?"))
        app.route(f"{VOICE}/gather", self.gather)
        app.route(f"{VOICE}/status", "")
        app.route(f"{VOICE}/hold", '<Response><Say>Please hold.</Say><Play loop="0">https://x.test/hold.mp3</Play>'
                                   "</Response>")
        app.route(f"{VOICE}/person", '<Response><Gather input="dtmf" numDigits="1" action="/webhooks/voice/person/'
                                     'choice"><Say>Jane waits about a refund. Press 1 to take the call, 2 to pass.'
                                     "</Say></Gather></Response>")
        app.route(f"{VOICE}/person/choice", lambda hook: (
            '<Response><Dial hangupOnStar="true" action="/webhooks/voice/person/left"><Conference '
            f'startConferenceOnEnter="true" endConferenceOnExit="false">{ROOM}</Conference></Dial></Response>'
            if hook["Digits"] == "1" else "<Response><Hangup/></Response>"))
        app.route(f"{VOICE}/person/left", self.person_left)
        app.route(f"{VOICE}/resume", turn("You are back with the assistant."))
        app.route(f"{VOICE}/leg-status", "")

    def gather(self, hook: Hook) -> str:
        speech, digits = hook.get("SpeechResult"), hook.get("Digits")
        if speech and "person" in speech:
            return self.transfer(hook)
        if speech and "order" in speech:
            return turn("Order 1001, your wireless headphones, was delivered on Monday.", "Anything else?")
        if speech and "code" in speech:
            return turn("Type the code, then the pound key.", extra=' finishOnKey="#"')
        if speech and "refund" in speech:
            return turn("Shall I refund it? Press 1 for yes, 2 for no.", extra=' numDigits="1"')
        if digits is not None:
            return turn(f"You pressed {digits}.")
        return turn("Sorry, I did not catch that.")

    def transfer(self, hook: Hook) -> str:
        self.fake.client().calls.create(
            to=PERSON, from_=self.fake.voice_number, url=self.app.url(f"{VOICE}/person"), timeout=self.ring_seconds,
            machine_detection="Enable", async_amd=True, async_amd_status_callback=self.app.url(f"{VOICE}/leg-status"),
            status_callback=self.app.url(f"{VOICE}/leg-status"),
            status_callback_event=["initiated", "ringing", "answered", "completed"])
        return ("<Response><Say>Connecting you with a specialist.</Say>"
                f'<Dial action="{VOICE}/resume?call={hook["CallSid"]}"><Conference waitUrl="{VOICE}/hold" '
                f'startConferenceOnEnter="false" endConferenceOnExit="false">{ROOM}</Conference></Dial></Response>')

    def person_left(self, hook: Hook) -> str:
        client = self.fake.client()
        for conference in client.conferences.list(friendly_name=ROOM, status="in-progress"):
            client.conferences(conference.sid).update(status="completed")
        return "<Response><Say>Thanks, goodbye.</Say><Hangup/></Response>"
