"""A guest in the web chat signs in with a code texted to the phone on the account, against the running stack.

The guest page gives Jane's number, reads the code from the stack's development outbox (as
Jane would read her phone) and types it: the page is moved to Jane's one conversation, with
her history, and her balance is answered there. The guest's token that the page was handed
before it signed in works nowhere else now (it was replaced), but a token for the guest's
visitor conversation (what a tab that was offline meanwhile still holds) reloads as Jane. A
guest who types a wrong code stays a guest. The sign-in request keeps a keyed hash of the
address the page connected from, never the address.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timezone
from typing import Tuple

import pytest

from actions.domain import answers
from actions.domain.account import Account
from actions.domain.links import client_digest
from actions.domain.session_tokens import SessionTokens
from actions.domain.sessions import is_visitor
from actions.settings import Settings
from actions.store.database import make_engine
from actions.store.links import SqlIdentityLinks
from bot.composition import session_tokens
from tests.e2e.conftest import RunningAssistant
from tests.e2e.test_webchat_identity import tracker_texts
from tests.support.trackers import assert_sealed_in_tracker
from tests.support.webchat_client import ChatPage

pytestmark = pytest.mark.e2e

JANE = "+15550100001"
JANES_CONVERSATION = "customer-C001"
CODE_SENT = "If that number is on an Acme account, I've texted it a 6-digit code."


def tokens(assistant: RunningAssistant) -> SessionTokens:
    return session_tokens(Settings.from_env({"HITL_DATA_DIR": str(assistant.stack.data_dir)}))


def conversation_of(assistant: RunningAssistant, token: str) -> str:
    claims = tokens(assistant).verify(token, datetime.now(timezone.utc))
    assert claims is not None
    return claims.conversation_id


async def answer_to(page: ChatPage, text: str, expected: str) -> None:
    page.replies.clear()
    await page.say(text)
    await page.until(lambda: any(expected in m["text"] for m in page.replies), what=f"{expected!r} after {text!r}")


def test_a_guest_who_types_the_code_sent_to_janes_phone_is_moved_to_janes_conversation_and_no_tracker_keeps_it(
    assistant: RunningAssistant,
) -> None:
    assistant.say(JANE, "where is my order 1002?")  # Jane's conversation, from another channel
    jane = assistant.business.get_customer("C001")
    assert jane is not None
    balance = answers.balance(Account.load(assistant.business, jane))

    async def scenario() -> Tuple[str, str]:
        page = await ChatPage(assistant.stack.rasa_url).open()
        guest_token = page.renewed_token
        visitor = conversation_of(assistant, guest_token)
        assert not page.signed_in and is_visitor(visitor)

        await answer_to(page, "I'm Jane, my number is +15550100001", CODE_SENT)
        assert not page.signed_in
        code = assistant.last_code(JANE)
        await answer_to(page, code, "Thanks, Jane — this chat is now signed in to your account.")
        await page.until(lambda: page.signed_in, what="the page to be signed in")

        assert conversation_of(assistant, page.renewed_token) == JANES_CONVERSATION
        texts = [m["text"] for m in page.history or []]
        assert "where is my order 1002?" in texts  # her history, from before this chat
        assert texts[-1] == "Thanks, Jane — this chat is now signed in to your account."  # and how it signed in
        assert texts[-2] == "(a code)" and code not in texts  # what the page shows of the code
        await answer_to(page, "what's my balance?", balance)
        await page.close()

        replaced = await ChatPage(assistant.stack.rasa_url, guest_token).open()
        assert not replaced.signed_in and replaced.confirmation["token_refused"]  # type: ignore[index]
        await replaced.close()

        offline_tabs = tokens(assistant).issue(visitor, datetime.now(timezone.utc))
        reloaded = await ChatPage(assistant.stack.rasa_url, offline_tabs).open()
        assert reloaded.signed_in and conversation_of(assistant, reloaded.renewed_token) == JANES_CONVERSATION
        assert "what's my balance?" in [m["text"] for m in reloaded.history or []]
        await reloaded.close()
        return visitor, code

    visitor, code = asyncio.run(scenario())
    assert_sealed_in_tracker(assistant.stack, visitor, code)  # the code answered the guest's prompt, sealed
    assert "what's my balance?" in tracker_texts(assistant, JANES_CONVERSATION)  # asked in Jane's one conversation
    linked = [e for e in assistant.audit.entries(visitor) if e.event == "identity_linked"]
    assert len(linked) == 1 and linked[0].customer_id == "C001" and linked[0].detail["proof"] == "otp"


def test_a_guest_who_types_a_wrong_code_stays_a_guest(assistant: RunningAssistant) -> None:
    async def scenario() -> str:
        page = await ChatPage(assistant.stack.rasa_url).open()
        await answer_to(page, "I'm Jane, my number is +15550100001", CODE_SENT)
        right = assistant.last_code(JANE)
        await answer_to(page, "000000" if right != "000000" else "999999", "That code isn't right. You have 2 tries left.")
        await answer_to(page, "what's my balance?", "I can't see which Acme account is yours in this chat")
        await page.close()
        assert not page.signed_in
        return conversation_of(assistant, page.renewed_token)

    visitor = asyncio.run(scenario())
    assert is_visitor(visitor)
    assert "identity_linked" not in [e.event for e in assistant.audit.entries(visitor)]
    data = assistant.stack.data_dir
    request = SqlIdentityLinks(make_engine(assistant.stack.database_url)).open_request(visitor)
    pepper = Settings.from_env({"HITL_DATA_DIR": str(data)}).otp_pepper
    assert request is not None and request.client == client_digest(pepper, "127.0.0.1")  # the page's address, hashed

