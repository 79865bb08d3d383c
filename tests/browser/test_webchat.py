"""Customers chat with the Acme assistant from the help page, in a real browser.

The real stack runs on free ports: Rasa with the trained model, the action server, and the
inbox service, which serves the help page (``channels.webchat.add_webchat_routes``). The
chat in the page talks to Rasa's web chat channel across origins (the inbox's port is not
Rasa's), which Rasa allows for the inbox's origin only, with the browser-session cookie the
page set (same host name, so the browser sends it): the token in a page is good only from
that browser.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Iterator, Pattern, Union

import pytest
from aiohttp import web
from playwright.sync_api import Browser, Locator, Page, expect

from actions.acme.seed import DemoCustomer
from bot.stack import Stack, free_port
from channels.webchat import add_webchat_routes
from tests.browser.conftest import local_only
from tests.browser.screenshots import snap
from tests.support.serve import serve_in_thread

pytestmark = pytest.mark.e2e

#: A reply takes a moment (the model answers; the chat adds no typing delay).
REPLY_TIMEOUT_MS = 30_000
GREETING = "I'm the Acme assistant"
#: What the assistant says only to a signed-in customer asking for her balance (actions.domain.answers.balance).
JANES_BALANCE = re.compile(r"You have \$[0-9.,]+ of credit|Your Acme account (has|balance is)")


@pytest.fixture(scope="module")
def stack(trained_model: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    stack = Stack(
        data_dir=tmp_path_factory.mktemp("webchat-stack"), model=trained_model,
        rasa_port=free_port(), actions_port=free_port(), inbox_port=free_port(), quiet=True,
    )
    stack.start()
    try:
        yield stack
    finally:
        stack.stop()


def chat(page: Page) -> Locator:
    return page.locator("#acme-chat")


def say(page: Page, text: str) -> None:
    chat(page).locator(".chat-input").fill(text)
    chat(page).locator(".chat-send").click()
    expect(chat(page).locator(".msg-customer").last).to_contain_text(text)


def expect_bot_says(page: Page, text: Union[str, Pattern[str]]) -> None:
    expect(chat(page).locator(".msg-reply").last).to_contain_text(text, timeout=REPLY_TIMEOUT_MS)


def test_jane_signs_in_on_the_help_page_and_the_assistant_answers_her_in_the_chat(page: Page, stack: Stack) -> None:
    page.goto(f"{stack.inbox_url}/chat")
    snap(page, "1-sign-in")
    page.get_by_role("link", name="Jane Doe").click()

    expect(page.locator(".account")).to_contain_text("Signed in as Jane Doe")
    # The widget starts the conversation with "/greet": the greeting proves the socket is up.
    expect_bot_says(page, GREETING)
    snap(page, "2-greeted")

    say(page, "what are your opening hours?")
    expect_bot_says(page, "Monday to Friday 8am-8pm")
    snap(page, "3-answered")


def test_a_reload_continues_the_conversation_and_switching_customer_starts_a_new_one(page: Page, stack: Stack) -> None:
    page.goto(f"{stack.inbox_url}/chat?as=priya")
    expect_bot_says(page, GREETING)
    say(page, "what are your opening hours?")
    expect_bot_says(page, "Monday to Friday 8am-8pm")

    page.reload()
    expect(chat(page).locator(".msg-customer .msg-text")).to_have_text(["what are your opening hours?"])
    expect(chat(page).locator(".msg-reply")).to_have_count(2)  # the greeting and the answer, each once
    expect(chat(page).locator(".msg-time").first).to_have_text(re.compile(r"\d{1,2}:\d{2}"))
    snap(page, "1-reloaded")

    page.get_by_role("link", name="Switch customer").click()
    page.get_by_role("link", name="Sam Lee").click()
    expect_bot_says(page, GREETING)
    expect(chat(page).locator(".msg-customer")).to_have_count(0)
    snap(page, "2-sam-starts-afresh")


def test_a_copy_of_the_page_on_another_site_cannot_open_the_assistants_socket(page: Page, stack: Stack) -> None:
    app = web.Application()
    add_webchat_routes(app, socket_url=stack.rasa_url,
                       customers={"jane": DemoCustomer("jane", "Jane Doe", "+15550100001", "C001")},
                       issue_token=lambda customer_id, browser: "not-a-real-token")
    with serve_in_thread(app) as elsewhere:
        with page.expect_console_message(lambda message: "blocked by CORS policy" in message.text, timeout=15_000):
            page.goto(f"{elsewhere}/chat?as=jane")
        expect(chat(page)).to_contain_text("Connecting you to Acme...")
        expect(chat(page).locator(".msg-reply")).to_have_count(0)
        snap(page, "refused")


def test_a_token_taken_out_of_janes_page_identifies_nobody_in_another_browser_and_her_page_still_gets_in(
    page: Page, browser: Browser, stack: Stack,
) -> None:
    # Jane's page with its socket held back, so the token in it is still unused when it is copied
    held_back = f"{stack.rasa_url}/socket.io/**"
    page.route(held_back, lambda route: route.abort())
    page.goto(f"{stack.inbox_url}/chat?as=jane")
    expect(page.locator(".account")).to_contain_text("Signed in as Jane Doe")
    taken = json.loads(page.locator("#acme-chat-config").text_content() or "{}")["token"]
    assert taken

    # another browser (a cookie of its own) opens a guest chat that presents the copied token
    elsewhere = browser.new_context()
    try:
        elsewhere.route("**/*", local_only)
        elsewhere.add_init_script(f"sessionStorage.setItem('acme_chat_token:guest', {json.dumps(taken)})")
        thief = elsewhere.new_page()
        thief.goto(f"{stack.inbox_url}/chat?as=guest")
        expect(chat(thief).locator(".chat-notice")).to_contain_text("this is a new conversation",
                                                                   timeout=REPLY_TIMEOUT_MS)
        expect_bot_says(thief, GREETING)  # a visitor's conversation of its own, greeted afresh
        say(thief, "what's my balance?")
        expect_bot_says(thief, "I can't see which Acme account is yours in this chat")
        snap(thief, "1-the-copy-is-nobody")
    finally:
        elsewhere.close()

    # Jane's own page then connects with that same token: still hers, and nothing of the other browser's in it
    page.unroute(held_back)
    expect(chat(page).locator(".msg-reply").first).to_be_visible(timeout=REPLY_TIMEOUT_MS)
    say(page, "what's my balance?")
    expect_bot_says(page, JANES_BALANCE)
    expect(chat(page).locator(".chat-notice")).to_be_hidden()
    snap(page, "2-janes-page-is-hers")

