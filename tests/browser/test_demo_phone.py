"""A newcomer texts the bot from the demo phone page in a real browser, with no Twilio account.

The fake Twilio serves the page; the "bot" here is a receiver standing in for the Rasa server,
which answers 404 while its SMS channel does not exist: the page says so instead of failing.
"""

from __future__ import annotations

from typing import Iterator

import pytest
from playwright.sync_api import Page, expect

from devtools.fake_twilio import FakeTwilio, PhoneSettings
from devtools.fake_twilio.receiver import WebhookReceiver
from tests.browser.screenshots import snap

JANE = "+15550100001"


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
    page.locator("#number").fill("555 0100")
    expect(page.locator("#customer")).to_have_value("")
    page.locator("#body").fill("hello")
    page.locator(".compose-send").click()

    expect(page.locator("#notice")).to_contain_text("international format")
    assert bot.received == []
