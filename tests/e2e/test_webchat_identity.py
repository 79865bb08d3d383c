"""Takeover attempts on the web chat, against the running stack: none reaches another customer.

Leo has a $60 refund waiting for his YES. Pages that ask for his phone number, his
conversation key or another visitor's id as their session, and pages with forged, expired
or replayed tokens, tokens bound to Leo's browser but presented without its cookie, and
renewals his page was handed and never used, all say "yes". Each is checked where it would matter: Leo's waiting
action, his order, his tickets, his tracker and his audit trail, not just what the page was
told. Then Leo's own page says yes, which shows the same checks do see a real change.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import urllib.request
from datetime import datetime, timedelta, timezone
from typing import List

import pytest

from actions.domain.session_tokens import SessionTokens, browser_binding
from actions.domain.sessions import is_visitor
from actions.settings import Settings
from bot.composition import session_tokens
from actions.store.database import make_engine
from actions.store.sql import SqlPendingStore
from tests.e2e.conftest import RunningAssistant
from tests.support.webchat_client import ChatPage

pytestmark = pytest.mark.e2e

LEO = "+15550100004"
LEOS_CONVERSATION = "customer-C004"


def tokens(assistant: RunningAssistant) -> SessionTokens:
    """Tokens as the shop's page makes them, with the secret this stack shares."""
    return session_tokens(Settings.from_env({"HITL_DATA_DIR": str(assistant.stack.data_dir)}))


def visitor_of(assistant: RunningAssistant, page: ChatPage) -> str:
    """The visitor conversation the server gave a page (named in the renewed token it handed it)."""
    claims = tokens(assistant).verify(page.renewed_token, datetime.now(timezone.utc))
    assert claims is not None and is_visitor(claims.conversation_id)
    return claims.conversation_id


def tracker_texts(assistant: RunningAssistant, conversation_id: str) -> List[str]:
    stack = assistant.stack
    url = f"{stack.rasa_url}/conversations/{conversation_id}/tracker?token={stack.api_token}"
    with urllib.request.urlopen(url, timeout=30) as response:
        events = json.loads(response.read())["events"]
    return [e.get("text") or "" for e in events if e["event"] == "user"]


def leo_untouched(assistant: RunningAssistant) -> None:
    pendings = SqlPendingStore(make_engine(assistant.stack.database_url))
    waiting = pendings.awaiting_customer(LEOS_CONVERSATION)
    assert waiting is not None and waiting.amount_cents == 6000, "Leo's refund no longer waits for him"
    assert next(o for o in assistant.business.orders("C004") if o.id == "1009").refunded_cents == 0
    assert assistant.handoffs.open_for(LEOS_CONVERSATION) is None
    assert "yes" not in tracker_texts(assistant, LEOS_CONVERSATION)
    assert not {"confirmed", "executed"} & set(assistant.events(LEO))


@pytest.fixture(scope="module")
def leo_waiting(assistant: RunningAssistant) -> RunningAssistant:
    assert "Refund $60.00" in assistant.say(LEO, "I'd like a refund of $60 for order 1009")
    leo_untouched(assistant)
    return assistant


@pytest.mark.parametrize("asked_for", [LEO, LEOS_CONVERSATION, "visitor-" + "a" * 32])
def test_a_page_that_asks_for_someone_elses_session_gets_a_conversation_of_its_own(
    leo_waiting: RunningAssistant, asked_for: str,
) -> None:
    async def scenario() -> str:
        page = await ChatPage(leo_waiting.stack.rasa_url).open()
        await page.sio.emit("session_request", {"session_id": asked_for})
        answer = await page.say("yes", session_id=asked_for, customData={"customer_token": "x"})
        await page.until(lambda: page.replies, what="the bot's answer to the page")
        await page.close()
        assert not page.signed_in and page.history == []
        assert answer["id"]  # taken, in the page's own conversation
        assert "nothing waiting for your confirmation" in page.replies[-1]["text"]
        return visitor_of(leo_waiting, page)

    visitor = asyncio.run(scenario())
    leo_untouched(leo_waiting)
    [attempt] = [e for e in leo_waiting.audit.entries(visitor) if e.event == "session_id_refused"]  # once per socket
    assert attempt.detail["asked_for"] == asked_for


def test_forged_expired_and_other_servers_tokens_identify_nobody(leo_waiting: RunningAssistant) -> None:
    genuine = tokens(leo_waiting)
    body, _, signature = genuine.issue(LEOS_CONVERSATION, datetime.now(timezone.utc)).partition(".")
    attempts = {
        "forged": f"{body}.{signature[:-1]}{'0' if signature[-1] != '0' else '1'}",
        "expired": genuine.issue(LEOS_CONVERSATION, datetime.now(timezone.utc) - timedelta(minutes=15)),
        "another server's": SessionTokens("x" * 32, lambda: "b" * 32).issue(LEOS_CONVERSATION, datetime.now(timezone.utc)),
    }

    async def scenario() -> None:
        for what, token in attempts.items():
            page = await ChatPage(leo_waiting.stack.rasa_url, token).open()
            await page.say("yes")
            await page.until(lambda: page.replies, what=f"the answer to the page with the {what} token")
            await page.close()
            assert not page.signed_in and page.history == [], what
            events = [e.event for e in leo_waiting.audit.entries(visitor_of(leo_waiting, page))]
            assert events[0] == "identity_token_refused", what  # then its "yes" answered as the visitor's

    asyncio.run(scenario())
    leo_untouched(leo_waiting)


def test_a_token_replayed_from_another_socket_identifies_nobody_and_the_first_socket_stays_leos(
    leo_waiting: RunningAssistant,
) -> None:
    token = tokens(leo_waiting).issue(LEOS_CONVERSATION, datetime.now(timezone.utc))

    async def scenario() -> None:
        leos_tab = await ChatPage(leo_waiting.stack.rasa_url, token).open()
        assert leos_tab.signed_in and any("Refund $60.00" in m["text"] for m in leos_tab.history or [])
        thief = await ChatPage(leo_waiting.stack.rasa_url, token).open()
        await thief.say("yes")
        await thief.until(lambda: thief.replies, what="the answer to the replayed token")
        assert not thief.signed_in and thief.history == []
        claims = tokens(leo_waiting).verify(thief.renewed_token, datetime.now(timezone.utc))
        assert claims is not None and is_visitor(claims.conversation_id)  # a visitor of its own, not Leo
        await thief.close()
        await leos_tab.close()

    asyncio.run(scenario())
    leo_untouched(leo_waiting)


def test_a_token_bound_to_leos_browser_identifies_nobody_without_his_cookie_and_his_page_still_gets_in(
    leo_waiting: RunningAssistant,
) -> None:
    leos_browser = secrets.token_urlsafe(32)  # the cookie the page's server set in Leo's browser
    token = tokens(leo_waiting).issue(LEOS_CONVERSATION, datetime.now(timezone.utc), browser=leos_browser)

    async def scenario() -> None:
        for thiefs_browser in (None, secrets.token_urlsafe(32)):  # no cookie at all; another browser's
            thief = await ChatPage(leo_waiting.stack.rasa_url, token, browser=thiefs_browser).open()
            await thief.say("yes")
            await thief.until(lambda: thief.replies, what="the answer to the copied token")
            await thief.close()
            assert not thief.signed_in and thief.history == [] and thief.confirmation["token_refused"]  # type: ignore[index]
            [refused] = [e for e in leo_waiting.audit.entries(visitor_of(leo_waiting, thief))
                         if e.event == "identity_token_refused"]
            assert refused.detail["reason"] == "the identity token is bound to another browser session"

        leos_page = await ChatPage(leo_waiting.stack.rasa_url, token, browser=leos_browser).open()
        assert leos_page.signed_in and any("Refund $60.00" in m["text"] for m in leos_page.history or [])
        renewed = tokens(leo_waiting).verify(leos_page.renewed_token, datetime.now(timezone.utc))
        assert renewed is not None and renewed.binding == browser_binding(leos_browser)  # renewed for his browser only
        await leos_page.close()

    asyncio.run(scenario())
    leo_untouched(leo_waiting)


def test_a_renewal_leos_page_never_used_works_for_no_other_socket_once_the_next_is_handed(
    leo_waiting: RunningAssistant,
) -> None:
    leos_browser = secrets.token_urlsafe(32)
    token = tokens(leo_waiting).issue(LEOS_CONVERSATION, datetime.now(timezone.utc), browser=leos_browser)

    async def scenario() -> None:
        leos_tab = await ChatPage(leo_waiting.stack.rasa_url, token, browser=leos_browser).open()
        handed_on_connecting = leos_tab.renewed_token
        newest = await leos_tab.renew()
        # even from Leo's own browser (so the cookie is not what stops it): the replaced one is the tab's
        stale = await ChatPage(leo_waiting.stack.rasa_url, handed_on_connecting, browser=leos_browser).open()
        await stale.say("yes")
        await stale.until(lambda: stale.replies, what="the answer to the replaced renewal")
        await stale.close()
        assert not stale.signed_in and stale.history == []
        reload = await ChatPage(leo_waiting.stack.rasa_url, newest, browser=leos_browser).open()
        assert reload.signed_in  # the newest renewal is what the page keeps for its next connection
        await reload.close()
        await leos_tab.close()

    asyncio.run(scenario())
    leo_untouched(leo_waiting)


def test_leos_own_page_confirms_and_the_same_checks_see_it(leo_waiting: RunningAssistant) -> None:
    token = tokens(leo_waiting).issue(LEOS_CONVERSATION, datetime.now(timezone.utc))

    async def scenario() -> None:
        page = await ChatPage(leo_waiting.stack.rasa_url, token).open()
        await page.say("yes")
        await page.until(lambda: any("Refunded $60.00" in m["text"] for m in page.replies), what="the refund")
        await page.close()

    asyncio.run(scenario())
    with pytest.raises(AssertionError):
        leo_untouched(leo_waiting)
    assert next(o for o in leo_waiting.business.orders("C004") if o.id == "1009").refunded_cents == 6000
    assert "yes" in tracker_texts(leo_waiting, LEOS_CONVERSATION)
