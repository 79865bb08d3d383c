"""One SMS handoff with the demo phone and the inbox side by side, in a real browser.

The whole stack runs with the fake Twilio, as `make run` starts it: Sam texts from the demo
phone page, asks for a person, Ali takes the ticket in the inbox and answers, and Sam's phone
shows Ali's words with their delivery state; the inbox shows where each message came from and
how far Ali's reply got. Screenshots of both pages are saved at each step.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from bot.stack import Stack
from tests.browser.screenshots import register, snap
from tests.support.inbox import PASSWORDS
from tests.support.stacks import running_stack

SAM = "+15550100002"
REPLY_MS = 60_000


@pytest.fixture(scope="module")
def stack(trained_model: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    with running_stack(tmp_path_factory.mktemp("phone-browser-stack"), trained_model, fake_twilio=True) as started:
        yield started


def opened(browser: Browser, name: str) -> Page:
    page = browser.new_context(viewport={"width": 1280, "height": 860}).new_page()
    register(page, name)
    return page


def text_from_the_phone(phone: Page, words: str) -> None:
    phone.locator("#body").fill(words)
    phone.locator(".compose-send").click()
    expect(phone.locator(".msg-sent").last.locator(".msg-answer")).to_have_text("the bot's server answered 200")


def test_sam_asks_for_a_person_by_sms_and_alis_reply_from_the_inbox_reaches_his_phone(
        stack: Stack, browser: Browser) -> None:
    phone = opened(browser, "sms-handoff-phone")
    phone.goto(f"{stack.fake_twilio_url}/phone")
    phone.locator("#customer").select_option(SAM)
    expect(phone.locator("#who")).to_have_text("Sam Lee")

    text_from_the_phone(phone, "I want to talk to a person")
    expect(phone.locator(".msg-received").filter(has_text="specialist")).to_have_count(1, timeout=REPLY_MS)
    expect(phone.locator(".msg-received").filter(has_text="in the queue")).to_have_count(1, timeout=REPLY_MS)
    text_from_the_phone(phone, "my running shoes arrived with a broken sole")
    snap(phone, "1-asked-for-a-person")

    inbox = opened(browser, "sms-handoff-inbox")
    inbox.goto(f"{stack.inbox_url}/login")
    inbox.get_by_test_id("login-username").fill("ali")
    inbox.get_by_test_id("login-password").fill(PASSWORDS["ali"])
    inbox.get_by_test_id("login-submit").click()
    row = inbox.get_by_test_id("ticket-row").filter(has_text="Sam Lee")
    expect(row).to_have_count(1, timeout=20_000)
    row.click()
    sole = inbox.get_by_test_id("message").filter(has_text="broken sole")
    expect(sole.get_by_test_id("message-channel")).to_have_text("SMS", timeout=20_000)  # where it came from
    inbox.get_by_test_id("claim").click()
    expect(inbox.get_by_test_id("ticket-status")).to_contain_text("assigned", timeout=20_000)
    inbox.get_by_test_id("reply-input").fill("Hi Sam, I'm sorry about the shoes. A new pair goes out today.")
    inbox.get_by_test_id("reply-send").click()
    snap(inbox, "2-ali-answers")

    from_ali = phone.locator(".msg-received").filter(has_text="A new pair goes out today")
    expect(from_ali).to_contain_text("Ali from Acme customer care:", timeout=REPLY_MS)
    expect(from_ali).to_have_attribute("data-status", "delivered", timeout=REPLY_MS)
    snap(phone, "3-ali-on-the-phone")
    expect(inbox.get_by_test_id("message").filter(has_text="A new pair goes out today")).to_have_attribute(
        "data-delivery", "delivered", timeout=REPLY_MS)  # the phone's delivery report reached the inbox
    snap(inbox, "4-delivered")
