"""The whole loop in real browsers: a customer in the web chat, people in the shared inbox.

The real stack runs (Rasa with the trained model, the action server, the inbox serving the
web chat page); each person has their own browser context, so their own cookies, exactly as
a customer and a manager on two machines. The checks end in the databases: the refund ran
once in the business backend, and the audit log has every human action.
"""

from __future__ import annotations

import json
import re
import urllib.request
from pathlib import Path
from typing import Callable, Iterator

import pytest
from playwright.sync_api import Browser, Locator, Page, expect
from sqlmodel import select

from actions.acme.models import ExecutionRow
from actions.acme.sqlite_backend import SqlBusiness
from actions.store.database import make_engine
from actions.store.sql import SqlAuditLog
from bot.stack import Stack, free_port
from handoff.demo_users import DEMO_USERS
from tests.browser.screenshots import forget, register, snap

pytestmark = pytest.mark.e2e

REPLY_MS = 30_000
PASSWORDS = {username: password for username, _, _, password in DEMO_USERS}
#: Their conversations, as the web chat's identity resolver keys them.
JANE = "customer-C001"
SAM = "customer-C002"
PRIYA = "customer-C003"


@pytest.fixture(scope="module")
def stack(trained_model: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    stack = Stack(data_dir=tmp_path_factory.mktemp("inbox-stack"), model=trained_model, rasa_port=free_port(),
                  actions_port=free_port(), inbox_port=free_port(), quiet=True)
    stack.start()
    try:
        yield stack
    finally:
        stack.stop()


@pytest.fixture
def person(browser: Browser, request: pytest.FixtureRequest) -> Iterator[Callable[[str], Page]]:
    """Open a browser of its own for each person in the scenario (``person("maria")``)."""
    contexts = []

    def open_as(who: str) -> Page:
        context = browser.new_context(viewport={"width": 1440, "height": 900})
        contexts.append(context)
        page = context.new_page()
        register(page, f"{request.node.name}-{who}")
        return page

    try:
        yield open_as
    finally:
        for context in contexts:
            for page in context.pages:
                snap(page, "final")
                forget(page)
            context.close()


def chat_as(page: Page, stack: Stack, customer: str) -> Locator:
    page.goto(f"{stack.inbox_url}/chat?as={customer}")
    widget = page.locator("#acme-chat")
    expect(widget.locator(".msg-reply").first).to_be_visible(timeout=REPLY_MS)
    return widget


def say(widget: Locator, text: str) -> None:
    widget.locator(".chat-input").fill(text)
    widget.locator(".chat-send").click()
    expect(widget.locator(".msg-customer").last).to_contain_text(text)


def new_tab(page: Page, name: str) -> Page:
    """Another tab in the same browser as ``page`` (its own sessionStorage, the same person)."""
    tab = page.context.new_page()
    register(tab, name)
    return tab


def sign_in(page: Page, stack: Stack, username: str) -> None:
    page.goto(f"{stack.inbox_url}/login")
    page.get_by_test_id("login-username").fill(username)
    page.get_by_test_id("login-password").fill(PASSWORDS[username])
    page.get_by_test_id("login-submit").click()
    expect(page.get_by_test_id("live-indicator")).to_contain_text("live", timeout=10_000)


def executions(stack: Stack) -> list:
    business = SqlBusiness(f"sqlite:///{stack.data_dir / 'acme.db'}")
    try:
        with business.session() as session:
            return list(session.exec(select(ExecutionRow)))
    finally:
        business.dispose()


def audit_events(stack: Stack, conversation_id: str) -> list:
    return [e.event for e in SqlAuditLog(make_engine(f"sqlite:///{stack.data_dir / 'hitl.db'}")).entries(conversation_id)]


def test_a_manager_approves_janes_700_dollar_refund_and_she_sees_the_result_in_the_chat_she_has_open_now(
    stack: Stack, person: Callable[[str], Page]
) -> None:
    # Jane asks through another channel (a trusted caller over REST names her by her phone)
    assert "needs approval from" in " ".join(stack.talk("+15550100001", "I want a refund of $700 for order 1003"))
    assert "for approval, reference" in " ".join(stack.talk("+15550100001", "yes"))
    assert executions(stack) == []  # nothing runs before the sign-off

    jane = person("jane")  # later she opens the help page: the same conversation
    chat = chat_as(jane, stack, "jane")
    expect(chat.locator(".msg-customer").filter(has_text="I want a refund of $700")).to_have_count(1)
    expect(chat.locator(".msg-reply").filter(has_text="for approval, reference")).to_have_count(1)
    snap(jane, "1-waiting-for-a-manager")
    jane.close()  # she closes that tab and opens the help page again, in a new one
    jane = person("jane-later")
    chat = chat_as(jane, stack, "jane")
    expect(chat.locator(".msg-reply").filter(has_text="for approval, reference")).to_have_count(1)  # her history

    maria = person("maria")
    sign_in(maria, stack, "maria")
    maria.get_by_test_id("tab-approvals").click()
    row = maria.get_by_test_id("approval-row").filter(has_text="$700.00")
    expect(row).to_have_count(1, timeout=10_000)
    row.click()
    expect(maria.get_by_test_id("approval-amount")).to_contain_text("$700.00")
    expect(maria.get_by_test_id("recommendation")).to_contain_text("Approve")
    expect(maria.get_by_test_id("approval-why")).to_contain_text("more than the bot may refund on its own")
    expect(maria.get_by_test_id("same-order")).to_contain_text("No earlier requests on this order")
    expect(maria.get_by_test_id("customer")).to_contain_text("live")
    assert_plain_words(maria)
    snap(maria, "2-the-approval-card")
    maria.get_by_test_id("approve").click()
    expect(maria.get_by_test_id("approval-status")).to_have_text("approved", timeout=10_000)
    snap(maria, "3-approved")

    expect(chat.locator(".msg-reply").filter(has_text="your request was approved")).to_have_count(1, timeout=REPLY_MS)
    expect(chat).to_contain_text("Refunded $700.00 for order 1003")
    snap(jane, "4-told-in-the-tab-she-is-in-now")

    refunds = [row for row in executions(stack) if row.kind == "refund"]
    assert [(row.customer_id, row.ok) for row in refunds] == [("C001", True)], "the approved refund ran exactly once"
    events = audit_events(stack, JANE)
    assert "approval_approved" in events and "executed" in events and "approval_told" in events


def assert_plain_words(page: Page) -> None:
    """What the person sees has no policy code ("request_human: ...") and no raw score ("-0.62")."""
    text = page.locator("body").inner_text()
    assert not re.search(r"\b[a-z]+(?:_[a-z]+)+(?::[a-z_]+)?: ", text), text
    assert not re.search(r"(?<![$\d.,])[-+\u2212]?\d\.\d{2}(?!\d)", text), text


def slots(stack: Stack, conversation_id: str) -> dict:
    url = f"{stack.rasa_url}/conversations/{conversation_id}/tracker?token={stack.api_token}"
    with urllib.request.urlopen(url, timeout=10) as response:
        return json.loads(response.read())["slots"]


def test_an_agent_takes_over_replies_in_the_chat_and_hands_back_to_the_bot(
    stack: Stack, person: Callable[[str], Page]
) -> None:
    sam = person("sam")
    chat = chat_as(sam, stack, "sam")
    say(chat, "I want to talk to a person")
    expect(chat.locator(".msg-reply").last).to_contain_text("specialist", timeout=REPLY_MS)
    expect(chat.locator(".msg-status-line").filter(has_text="next in the queue")).to_contain_text(
        "Expected wait: up to 1 hour")  # where he stands, shown apart from anyone's words
    say(chat, "my running shoes arrived with a broken sole")
    snap(sam, "1-handed-over")
    bot_replies = chat.locator(".msg-reply").count()

    other_tab = new_tab(sam, "sam-other-tab")  # Sam opens the help page in a second tab
    other = chat_as(other_tab, stack, "sam")
    expect(other.locator(".msg-customer").filter(has_text="broken sole")).to_have_count(1)  # the same conversation
    say(other, "I'm writing from my other tab now")
    expect(chat.locator(".msg-customer").filter(has_text="other tab")).to_have_count(1, timeout=10_000)

    ali = person("ali")
    sign_in(ali, stack, "ali")
    row = ali.get_by_test_id("ticket-row").filter(has_text="Sam Lee")
    expect(row).to_have_count(1, timeout=10_000)
    expect(row.get_by_test_id("row-why")).to_have_text("asked for a person")
    expect(row.get_by_test_id("row-first-words")).to_contain_text("I want to talk to a person")
    row.click()
    expect(ali.get_by_test_id("summary")).to_contain_text("Sam Lee")
    expect(ali.get_by_test_id("sentiment")).to_contain_text("calm")
    assert_plain_words(ali)
    expect(ali.get_by_test_id("message").filter(has_text="broken sole")).to_have_count(1, timeout=10_000)
    expect(ali.get_by_test_id("message").filter(has_text="from my other tab")).to_have_count(1, timeout=10_000)
    snap(ali, "2-the-ticket")
    ali.get_by_test_id("claim").click()
    expect(ali.get_by_test_id("ticket-status")).to_contain_text("assigned", timeout=10_000)
    for tab in (chat, other):
        expect(tab.locator(".msg-status-line").filter(has_text="Ali from Acme customer care joined")).to_have_count(
            1, timeout=REPLY_MS)
    ali.evaluate("() => { window.loadedOnce = true; }")  # gone if the page reloads
    say(chat, "are you still there?")
    expect(ali.get_by_test_id("message").filter(has_text="are you still there?")).to_have_count(1, timeout=10_000)
    assert ali.evaluate("() => window.loadedOnce === true"), "the new message arrived without a page reload"
    ali.get_by_test_id("reply-input").fill("Hi Sam, I'm sorry about the shoes. I've sent a replacement pair today.")
    ali.get_by_test_id("reply-send").click()
    for tab in (chat, other):  # a person's words reach every tab, named and apart from the bot's
        expect(tab.locator(".msg-agent").filter(has_text="sent a replacement pair")).to_have_count(1, timeout=REPLY_MS)
    expect(chat.locator(".msg-agent .msg-name").last).to_contain_text("Ali")
    expect(ali.get_by_test_id("message").filter(has_text="sent a replacement pair")).to_have_attribute(
        "data-delivery", "read", timeout=10_000)  # shown on Sam's page while he had it in view
    snap(sam, "3-the-agent-answers-in-the-chat")
    assert chat.locator(".msg-bot").count() == bot_replies, "the bot said something while a person had Sam"

    sam.close()  # Sam closes both tabs; Ali's next words wait for him
    other_tab.close()
    ali.get_by_test_id("reply-input").fill("The courier will collect the broken pair on Monday.")
    ali.get_by_test_id("reply-send").click()
    expect(ali.get_by_test_id("message").filter(has_text="collect the broken pair")).to_have_attribute(
        "data-delivery", "sent", timeout=10_000)  # sent, but no screen has shown it
    snap(ali, "3b-sent-while-sam-is-away")
    sam = person("sam-back")
    chat = chat_as(sam, stack, "sam")
    expect(chat.locator(".msg-agent").filter(has_text="collect the broken pair")).to_have_count(1, timeout=REPLY_MS)
    expect(ali.get_by_test_id("message").filter(has_text="collect the broken pair")).to_have_attribute(
        "data-delivery", "read", timeout=10_000)
    sam.wait_for_timeout(1500)
    expect(chat.locator(".msg-agent").filter(has_text="collect the broken pair")).to_have_count(1)  # once, not twice
    snap(sam, "3c-shown-once-on-coming-back")

    ali.get_by_test_id("handback-outcome").select_option("resolved")
    ali.get_by_test_id("handback-note").fill("replacement sent")
    ali.get_by_test_id("handback-submit").click()
    expect(ali.get_by_test_id("ticket-status")).to_contain_text("closed", timeout=10_000)
    expect(chat.locator(".msg-reply").filter(has_text="finished helping you")).to_have_count(1, timeout=REPLY_MS)

    say(chat, "where is my order 1005?")
    expect(chat.locator(".msg-reply").last).to_contain_text("Order 1005", timeout=REPLY_MS)
    snap(sam, "4-the-bot-is-back")
    assert slots(stack, SAM)["handback_outcome"] == "resolved"  # the bot knows how it ended
    events = audit_events(stack, SAM)
    for event in ("handoff_requested", "ticket_claimed", "agent_replied", "handed_back", "handback_told"):
        assert event in events, event


def test_a_customer_who_no_longer_needs_a_person_withdraws_and_the_ticket_leaves_the_queue(
    stack: Stack, person: Callable[[str], Page]
) -> None:
    priya = person("priya")
    chat = chat_as(priya, stack, "priya")
    say(chat, "I want to talk to a person")
    queued = chat.locator(".msg-status-line").filter(has_text="in the queue")
    expect(queued).to_have_count(1, timeout=REPLY_MS)

    ali = person("ali")
    sign_in(ali, stack, "ali")
    row = ali.get_by_test_id("ticket-row").filter(has_text="Priya Patel")
    expect(row).to_have_count(1, timeout=10_000)
    snap(priya, "1-queued")

    queued.get_by_role("button", name="I don't need help any more").click()
    expect(chat.locator(".msg-reply").last).to_contain_text("you no longer need help", timeout=REPLY_MS)
    expect(queued.get_by_role("button")).to_be_disabled()
    expect(row).to_have_count(0, timeout=10_000)  # gone from Ali's queue without a reload
    snap(priya, "2-withdrawn")
    snap(ali, "2-gone-from-the-queue")

    events = audit_events(stack, PRIYA)
    assert "handoff_withdrawn" in events
    say(chat, "where is my order 1006?")
    expect(chat.locator(".msg-reply").last).to_contain_text("1006", timeout=REPLY_MS)  # the bot has her again
