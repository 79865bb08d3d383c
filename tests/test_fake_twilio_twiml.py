"""The fake Twilio refuses TwiML that Twilio would refuse, and says why."""

from __future__ import annotations

import pytest

from devtools.fake_twilio.twiml import InvalidTwiml, check_twiml, parse_twiml

CALLER_TURN = (
    '<?xml version="1.0" encoding="UTF-8"?><Response>'
    '<Gather input="speech dtmf" action="/webhooks/voice/gather?call=CA1&amp;turn=2" actionOnEmptyResult="true" '
    'bargeIn="true" speechTimeout="auto" timeout="5" hints="refund, order" language="en-US" numDigits="1" '
    'finishOnKey="#" speechModel="phone_call" enhanced="true" profanityFilter="false" '
    'partialResultCallback="https://bot.example.com/partial" method="POST">'
    '<Say voice="Polly.Joanna">Where is <emphasis>your</emphasis> order?</Say><Pause length="1"/>'
    '<Play loop="1">https://cdn.example.com/beep.mp3</Play></Gather>'
    "<Redirect>/webhooks/voice/gather?call=CA1&amp;turn=2&amp;silent=1</Redirect></Response>"
)
CALLER_TRANSFER = (
    "<Response><Say>Connecting you with a specialist.</Say>"
    '<Dial action="/webhooks/voice/resume?call=CA1" method="POST" timeout="20" hangupOnStar="false" '
    'callerId="+15005550006" record="do-not-record" answerOnBridge="true" ringTone="us" timeLimit="3600">'
    '<Conference waitUrl="/webhooks/voice/hold" waitMethod="POST" startConferenceOnEnter="false" '
    'endConferenceOnExit="true" beep="false" muted="false" statusCallback="/webhooks/voice/conference-status?transfer=7" '
    'statusCallbackEvent="start end join leave hold" statusCallbackMethod="POST" record="do-not-record" '
    'maxParticipants="3" participantLabel="customer">transfer-7</Conference></Dial></Response>'
)


@pytest.mark.parametrize(
    "xml",
    [
        CALLER_TURN,
        CALLER_TRANSFER,
        "<Response/>",
        "<Response><Hangup/></Response>",
        '<Response><Reject reason="busy"/></Response>',
        '<Response><Dial timeout="20"><Number statusCallbackEvent="initiated answered" '
        'statusCallback="https://x.example/s">+15550100001</Number><Client>agent</Client>'
        "<Sip>sip:desk@example.com</Sip></Dial></Response>",
        "<Response><Dial>+1 555 010 0001</Dial></Response>",
        '<Response><Record action="/recorded" maxLength="30" playBeep="true" finishOnKey="#"/></Response>',
        '<Response><Play digits="ww1234#"/></Response>',
        '<Response><Dial><Conference coach="CA' + "a" * 32 + '">room</Conference></Dial></Response>',
    ],
    ids=["caller turn", "caller transfer", "empty", "hangup", "reject busy", "dial nouns", "dial text", "record",
         "play digits", "coach"],
)
def test_documents_twilio_plays_are_accepted(xml: str) -> None:
    check_twiml(xml)


@pytest.mark.parametrize(
    "xml, reason",
    [
        ("Say hello", "not well-formed XML"),
        ("<Response><Say>hi</Say>", "not well-formed XML"),
        ("<Reply><Say>hi</Say></Reply>", "must start with <Response>"),
        ("<Response><Speak>hi</Speak></Response>", "unknown verb <Speak>"),
        ("<Response><say>hi</say></Response>", "unknown verb <say>"),
        ("<Response><Conference>room</Conference></Response>", "<Conference> is not allowed inside <Response>"),
        ("<Response><Gather><Number>+15550100001</Number></Gather></Response>", "not allowed inside <Gather>"),
        ("<Response><Gather><Gather/></Gather></Response>", "not allowed inside <Gather>"),
        ('<Response><Gather input="voice"/></Response>', "input='voice'> is not valid"),
        ('<Response><Gather speechTimeout="soon"/></Response>', "speechTimeout='soon'"),
        ('<Response><Gather numDigits="0"/></Response>', "numDigits='0'"),
        ('<Response><Gather finishOnKey="##"/></Response>', "finishOnKey='##'"),
        ('<Response><Gather bargeIn="yes"/></Response>', "bargeIn='yes'"),
        ('<Response><Gather actionOnEmptyResult="True"/></Response>', "actionOnEmptyResult='True'"),
        ('<Response><Gather method="PUT"/></Response>', "method='PUT'"),
        ('<Response><Gather action="not a url"/></Response>', "action='not a url'"),
        ('<Response><Gather colour="red"/></Response>', "has no attribute 'colour'"),
        ('<Response><Dial hangupOnStar="1">+15550100001</Dial></Response>', "hangupOnStar='1'"),
        ('<Response><Dial ringTone="mars">+15550100001</Dial></Response>', "ringTone='mars'"),
        ('<Response><Dial><Conference beep="loud">room</Conference></Dial></Response>', "beep='loud'"),
        ('<Response><Dial><Conference statusCallbackEvent="start finish">r</Conference></Dial></Response>',
         "statusCallbackEvent='start finish'"),
        ('<Response><Dial><Conference maxParticipants="500">r</Conference></Dial></Response>', "maxParticipants"),
        ('<Response><Dial><Conference coach="me">r</Conference></Dial></Response>', "coach='me'"),
        ("<Response><Dial><Conference/></Dial></Response>", "<Conference> needs text"),
        ("<Response><Dial><Conference>a</Conference><Number>+15550100001</Number></Dial></Response>", "nothing else"),
        ("<Response><Dial/></Response>", "dials nothing"),
        ("<Response><Dial>call the shop</Dial></Response>", "not a phone number"),
        ("<Response><Dial><Sip>desk@example.com</Sip></Dial></Response>", "a SIP URI"),
        ("<Response><Hangup>now</Hangup></Response>", "takes no text"),
        ("<Response><Say/></Response>", "nothing to say"),
        ("<Response><Play/></Response>", "needs the URL"),
        ("<Response><Redirect/></Response>", "<Redirect> needs text"),
        ("<Response><Say>hi</Say><Reject/></Response>", "must be the first verb"),
        ('<Response><Reject reason="later"/></Response>', "reason='later'"),
        ("<Response>hello<Say>hi</Say></Response>", "text 'hello' outside any verb"),
        ("<Response><Enqueue>support</Enqueue></Response>", "<Enqueue> is TwiML the fake Twilio does not play"),
        ("<Response><Leave/></Response>", "<Leave> is TwiML the fake Twilio does not play"),
    ],
)
def test_documents_twilio_refuses_are_refused_with_a_reason(xml: str, reason: str) -> None:
    with pytest.raises(InvalidTwiml) as refused:
        check_twiml(xml)
    assert reason in str(refused.value)


def test_the_parsed_document_keeps_verbs_attributes_and_spoken_text() -> None:
    document = parse_twiml(CALLER_TURN)

    gather, redirect = document.verbs
    assert gather.name == "Gather" and gather.get("input") == "speech dtmf" and gather.flag("actionOnEmptyResult")
    assert gather.get("action") == "/webhooks/voice/gather?call=CA1&turn=2"
    say, pause, play = gather.children
    assert say.spoken() == "Where is your order?"
    assert pause.get("length") == "1" and play.text == "https://cdn.example.com/beep.mp3"
    assert redirect.text.endswith("silent=1")
