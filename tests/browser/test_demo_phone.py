"""A newcomer texts or calls the bot from the demo phone page in a real browser, with no Twilio account.

For texts the fake Twilio serves the page and the "bot" is a receiver standing in for the Rasa
server, which answers 404 while its SMS channel does not exist: the page says so instead of
failing. The call to the shop runs the whole stack as `make run` starts it, with the fake
Twilio: the page reads every <Say> of the bot's voice channel. A warm transfer is played against
a tiny voice app, with a second page being the person's phone the shop rings.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Iterator

import pytest
from playwright.sync_api import Page, expect

from bot.stack import Stack
from devtools.fake_twilio import FakeTwilio, PhoneSettings
from devtools.fake_twilio.receiver import WebhookReceiver
from tests.browser.screenshots import register, snap
from tests.support.stacks import running_stack
from tests.support.voice_app import VoiceApp
from tests.support.voice_shop import PERSON, Shop

JANE = "+15550100001"
#: A turn of the voice channel takes up to ~10 s (then "one moment" and the answer on the next fetch).
ANSWER_MS = 60_000
#: Made for the ear, the order number is read digit by digit.
ORDER_1001_SPOKEN = re.compile(r"\b1 ?0 ?0 ?1\b")


@pytest.fixture
def bot() -> Iterator[WebhookReceiver]:
    with WebhookReceiver(status=404, body="Not Found") as receiver:
        yield receiver


@pytest.fixture
def fake(bot: WebhookReceiver) -> Iterator[FakeTwilio]:
    with FakeTwilio(advance_every=0.1, phone=PhoneSettings(bot_url=bot.url(""))) as running:
        yield running


def test_jane_texts_the_bot_sees_its_answer_status_and_its_reply_delivered(
        page: Page, fake: FakeTwilio, bot: WebhookReceiver) -> None:
    page.goto(f"{fake.base_url}/phone")
    expect(page.locator("#who")).to_have_text("Jane Doe")
    expect(page.locator("#target")).to_have_text(bot.url("/webhooks/sms/webhook"))

    page.locator("#body").fill("where is my order 1002?")
    page.locator(".compose-send").click()

    sent = page.locator(".msg-sent").last
    expect(sent).to_contain_text("where is my order 1002?")
    expect(sent.locator(".msg-answer")).to_have_text("the bot's server answered 404")
    [hook] = bot.received
    assert hook.is_signed_by(fake.auth_token) and hook.params["From"] == JANE
    snap(page, "answered-404")

    reply = fake.client().messages.create(to=JANE, from_="+15005550006", body="It arrives tomorrow.")
    received = page.locator(".msg-received").last
    expect(received).to_contain_text("It arrives tomorrow.")
    expect(received).to_have_attribute("data-status", "delivered", timeout=10_000)
    assert fake.message(reply.sid)["status"] == "delivered"

    bot.status, bot.body = 200, "<Response></Response>"
    page.locator("input[name=channel][value=whatsapp]").check()
    expect(page.locator("#target")).to_have_text(bot.url("/webhooks/whatsapp/webhook"))
    page.locator("#body").fill("hola")
    page.locator("#body").press("Enter")
    expect(page.locator(".msg-sent").last.locator(".msg-answer")).to_have_text("the bot's server answered 200")
    assert bot.received[-1].params["From"] == f"whatsapp:{JANE}"
    assert bot.received[-1].params["ProfileName"] == "Jane Doe"


def test_a_number_that_is_not_international_is_refused_on_the_page(page: Page, fake: FakeTwilio, bot: WebhookReceiver) -> None:
    page.goto(f"{fake.base_url}/phone")
    expect(page.locator("#number")).to_have_value(JANE)  # the page has loaded its customers and chosen the first
    page.locator("#number").fill("555 0100")
    expect(page.locator("#customer")).to_have_value("")
    page.locator("#body").fill("hello")
    page.locator(".compose-send").click()

    expect(page.locator("#notice")).to_contain_text("international format")
    assert bot.received == []


@pytest.fixture(scope="module")
def stack(trained_model: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    with running_stack(tmp_path_factory.mktemp("demo-phone-call-stack"), trained_model, fake_twilio=True) as started:
        yield started


def test_jane_calls_the_shop_from_the_page_hears_the_greeting_asks_about_order_1001_and_hangs_up(
        page: Page, stack: Stack) -> None:
    page.goto(f"{stack.fake_twilio_url}/phone")
    page.locator("input[name=mode][value=call]").check()
    expect(page.locator("#who")).to_have_text("Jane Doe")
    expect(page.locator("#target")).to_have_text(f"{stack.public_url}/webhooks/voice/webhook")

    page.locator("#call").click()

    expect(page.locator(".say").first).to_be_visible(timeout=ANSWER_MS)  # the greeting, read, not heard
    expect(page.locator("#call-state")).to_have_text("listening", timeout=ANSWER_MS)
    expect(page.locator("#call-phase")).to_have_text("with the assistant")
    snap(page, "1-greeted")

    page.locator("#speech").fill("where is my order 1001")
    page.locator("#say").click()

    expect(page.locator(".line-me")).to_have_text(["where is my order 1001"])
    spoken = page.locator(".say").filter(has_text=ORDER_1001_SPOKEN)  # "Order 1 0 0 1, Wireless headphones, ..."
    expect(spoken.first).to_be_visible(timeout=ANSWER_MS)
    expect(spoken.first).to_contain_text("headphones")
    expect(page.locator("#call-state")).to_have_text("listening", timeout=ANSWER_MS)
    snap(page, "2-order-1001-answered")

    page.locator("#hang-up").click()

    expect(page.locator("#call-state")).to_have_text("ended: completed")
    expect(page.locator("#call-phase")).to_have_text("ended")
    expect(page.locator("#call")).to_be_enabled()


def test_a_person_answers_the_transfer_on_a_second_page_and_both_pages_follow_it(page: Page) -> None:
    with VoiceApp("b" * 32) as app, FakeTwilio(auth_token="b" * 32, phone=PhoneSettings(bot_url=app.url(""))) as fake:
        Shop(app, fake)
        person = page.context.new_page()
        register(person, "test_a_person_answers_the_transfer-person")
        person.goto(f"{fake.base_url}/phone")
        person.locator("input[name=mode][value=person]").check()
        person.locator("#person-number").fill(PERSON)
        person.locator("#be").click()
        expect(person.locator("#call-state")).to_have_text(f"Waiting for calls to {PERSON}")

        page.goto(f"{fake.base_url}/phone")
        page.locator("input[name=mode][value=call]").check()
        page.locator("#call").click()
        expect(page.locator(".say").first).to_have_text("Hi Jane, this is Acme.")
        page.locator("#speech").fill("I want a person")
        page.locator("#say").click()

        expect(page.locator("#call-state")).to_have_text("on hold: music")
        expect(page.locator("#call-phase")).to_have_text("on hold")
        expect(person.locator("#ring-from")).to_have_text(f"{fake.voice_number} is calling")
        snap(person, "1-ringing")
        person.locator("#answer").click()
        expect(person.locator("#call-phase")).to_have_text("briefing")
        expect(person.locator(".say")).to_have_text(["Jane waits about a refund. Press 1 to take the call, 2 to pass."])
        person.locator("#keypad [data-key='1']").click()

        expect(person.locator("#call-state")).to_have_text("in a conference with Jane Doe (+15550100001)")
        expect(person.locator("#call-phase")).to_have_text("in the call")
        expect(page.locator("#call-phase")).to_have_text("connected with a person")
        snap(page, "2-caller-connected")
        snap(person, "2-person-in-the-call")

        person.locator("#keypad [data-key='*']").click()
        expect(person.locator("#call-phase")).to_have_text("ended")
        expect(page.locator("#call-phase")).to_have_text("back with the assistant")
        expect(page.locator(".say").last).to_have_text("You are back with the assistant.")
        page.locator("#hang-up").click()
        expect(page.locator("#call-state")).to_have_text("ended: completed")
        person.close()
