"""The trusted REST channel as callers reach it: Rasa's own REST handler in a real Sanic server.

Only the message handler is replaced (it records what reached Rasa and answers "got it"), so
what is tested is the channel's blueprint exactly as Rasa mounts it at /webhooks/rest, with
the REST identity resolver over the seeded demo business.
"""

from __future__ import annotations

import asyncio
import json
import threading
from dataclasses import dataclass
from typing import Any, Iterator, List, Sequence, Tuple

import pytest
import requests
from rasa.core.channels.channel import UserMessage
from sanic import Sanic

from actions.acme.seed import seed_demo
from actions.acme.sqlite_backend import SqlBusiness
from actions.domain.sealed import SEALED_KEY, CodeSealer
from actions.domain.sessions import RestResolver
from actions.domain.voice_calls import CODE
from actions.store.memory import MemorySealedInputs
from bot.stack import free_port
from channels.trusted_rest import TrustedRestInput
from tests.support.world import JANE, START

TOKEN = "rest-token-for-tests"


#: Leo's conversation waits for a one-time code (the bot texted him one); nobody else's does.
LEO, WAITING_FOR_A_CODE = "+15550100004", "customer-C004"


@dataclass
class Webhook:
    url: str
    received: List[UserMessage]  # what reached Rasa
    sealed: MemorySealedInputs  # where the channel keeps codes for the action server

    def post_all(self, bodies: Sequence[bytes], token: str = TOKEN) -> List[Tuple[int, Any]]:
        """Post each body in turn, as a trusted caller would: the status and JSON answer of each."""
        answers = []
        for body in bodies:
            answer = requests.post(self.url, data=body, timeout=30, headers={
                "Authorization": f"Bearer {token}", "Content-Type": "application/json"})
            answers.append((answer.status_code, answer.json()))
        return answers


@pytest.fixture(scope="module")
def webhook(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Webhook]:
    """One Sanic server for the module (Sanic 21.12 can start only one app per process cleanly)."""
    received: List[UserMessage] = []
    business = SqlBusiness(f"sqlite:///{tmp_path_factory.mktemp('rest') / 'acme.db'}")
    business.create_all()
    seed_demo(business, START.date())

    async def on_new_message(message: UserMessage) -> None:
        if message.text == "while the database restarts":
            raise ConnectionError("server closed the connection unexpectedly")  # as the tracker store's save does
        received.append(message)
        await message.output_channel.send_text_message(message.sender_id, "got it")

    sealed = MemorySealedInputs()
    sealer = CodeSealer(lambda conversation: CODE if conversation == WAITING_FOR_A_CODE else None, sealed,
                        lambda: START)
    app = Sanic("rest_channel_test")
    app.blueprint(TrustedRestInput(RestResolver(business), TOKEN, sealer).blueprint(on_new_message),
                  url_prefix="/webhooks/rest")
    port = free_port()
    loop = asyncio.new_event_loop()
    started = threading.Event()

    def serve() -> None:
        asyncio.set_event_loop(loop)
        server = loop.run_until_complete(app.create_server(host="127.0.0.1", port=port, return_asyncio_server=True))
        assert server is not None
        loop.run_until_complete(server.startup())
        started.set()
        loop.run_forever()
        server.close()
        loop.run_until_complete(server.wait_closed())

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    assert started.wait(30), "the Sanic server did not start"
    try:
        yield Webhook(f"http://127.0.0.1:{port}/webhooks/rest/webhook", received, sealed)
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)


def test_a_well_formed_message_reaches_rasa_and_the_replies_come_back(webhook: Webhook) -> None:
    answers = webhook.post_all([b'{"sender": "+15550100001", "message": "where is my order 1002?"}'])

    assert answers == [(200, [{"recipient_id": JANE, "text": "got it"}])]
    assert [(m.sender_id, m.text) for m in webhook.received][-1:] == [(JANE, "where is my order 1002?")]


def test_a_turn_that_failed_is_a_503_saying_to_send_it_again_not_a_200_with_no_replies(webhook: Webhook) -> None:
    answers = webhook.post_all([b'{"sender": "+15550100001", "message": "while the database restarts"}',
                                b'{"sender": "+15550100001", "message": "and once it is back"}'])

    assert answers[0] == (503, {"error": "the assistant could not take this message just now "
                                         "(a server or its database is down): send it again"})
    assert answers[1] == (200, [{"recipient_id": JANE, "text": "got it"}])  # the next request's turn is its own


def test_the_caller_names_the_customer_and_the_channel_picks_her_one_conversation(webhook: Webhook) -> None:
    answers = webhook.post_all([b'{"sender": "+1 555-010-0001", "message": "hi"}',
                                b'{"sender": "customer-C001", "message": "hi again"}'])

    assert [status for status, _ in answers] == [200, 200]
    assert [m.sender_id for m in webhook.received[-2:]] == [JANE, JANE]


def test_a_sender_who_is_no_customer_is_refused_and_opens_no_conversation(webhook: Webhook) -> None:
    before = len(webhook.received)

    answers = webhook.post_all([b'{"sender": "+15559990000", "message": "cancel my subscription"}',
                                b'{"sender": "visitor-' + b"a" * 32 + b'", "message": "hi"}',
                                b'{"sender": "customer-C999", "message": "hi"}'])

    assert [status for status, _ in answers] == [400, 400, 400]
    assert "no customer has the phone number '+15559990000'" in answers[0][1]["error"]
    assert len(webhook.received) == before


def test_a_caller_cannot_make_its_message_look_as_if_it_came_from_the_web_chat(webhook: Webhook) -> None:
    webhook.post_all([b'{"sender": "+15550100001", "message": "hi", "input_channel": "webchat"}'])

    assert webhook.received[-1].input_channel == "rest"


@pytest.mark.parametrize(("body", "error"), [
    (b"[" * 100_000, "the request body is nested too deeply (at most 32 levels)"),
    (b'{"sender": "+15550100001", "message": "hi", "metadata": ' + b'{"a": ' * 100 + b"1" + b"}" * 100 + b"}",
     "the request body is nested too deeply (at most 32 levels)"),
    (b'{"sender": ' + b"9" * 5000 + b', "message": "hi"}', "the request body has a number with too many digits"),
    (b'{"sender": "+15550100001", "message": "hi"', "the request body is not valid JSON"),
    (b"", "the request body is not valid JSON"),
    (b"null", "the request body must be a JSON object"),
    (b'["+15550100001", "hi"]', "the request body must be a JSON object"),
    (b'"hi"', "the request body must be a JSON object"),
    (b'{"message": "hi"}', "'sender' must be the customer's phone number, as text"),
    (b'{"sender": 15550100001, "message": "hi"}', "'sender' must be the customer's phone number, as text"),
    (b'{"sender": "+15550100001", "message": {"text": "hi"}}', "'message' must be what the customer wrote, as text"),
    (b'{"sender": "+15550100001", "message": "hi", "metadata": [1]}', "'metadata', when given, must be a JSON object"),
    (b'{"sender": "+15550100001", "message": "half an emoji \\ud83d"}',
     "text must be valid Unicode (a lone surrogate escape such as \\ud800 is not)"),
    (b'{"sender": "+15550100001", "message": "a\\u0000b"}', "text must not contain NUL characters"),
    (b'{"sender": "+15550100001", "message": "' + b"x" * 4001 + b'"}',
     "'message' is 4001 characters: send at most 4000, in parts if need be"),
], ids=["nested-past-the-parser", "nested-metadata", "a-5000-digit-number", "broken-json", "empty", "null", "a-list",
        "a-string", "no-sender", "sender-a-number", "message-an-object", "metadata-a-list", "lone-surrogate", "nul",
        "too-long"])
def test_a_bad_body_is_a_400_that_says_what_is_wrong_and_reaches_no_conversation(webhook: Webhook, body: bytes,
                                                                                 error: str) -> None:
    before = len(webhook.received)

    answers = webhook.post_all([body])

    assert answers == [(400, {"error": error})]
    assert len(webhook.received) == before


def test_without_the_token_even_a_bad_body_is_only_told_to_authenticate(webhook: Webhook) -> None:
    before = len(webhook.received)

    answers = webhook.post_all([b"[" * 100_000], token="a-guess")

    assert answers == [(401, {"error": "send 'Authorization: Bearer <token>' with the REST channel's token"})]
    assert len(webhook.received) == before


def test_leos_code_reaches_rasa_sealed_and_the_action_server_can_take_it_once(webhook: Webhook) -> None:
    answers = webhook.post_all([b'{"sender": "+15550100004", "message": "my code is 482 913"}'])

    assert answers[0][0] == 200
    message = webhook.received[-1]
    assert (message.sender_id, message.text) == (WAITING_FOR_A_CODE, "/provide_otp")
    assert "482" not in repr(message.metadata)
    ref = message.metadata[SEALED_KEY]
    assert webhook.sealed.take(ref, WAITING_FOR_A_CODE, START) == "my code is 482 913"
    assert webhook.sealed.take(ref, WAITING_FOR_A_CODE, START) is None


@pytest.mark.parametrize(("sender", "words"), [
    ("+15550100001", "482913"),  # Jane's conversation waits for no code: digits are just words
    (LEO, "where is my order 1002?"),  # Leo's words that are no code
    (LEO, "call me on +1 555 010 0004"),  # a phone number is no code
])
def test_a_message_that_answers_no_code_prompt_goes_as_written(webhook: Webhook, sender: str, words: str) -> None:
    webhook.post_all([json.dumps({"sender": sender, "message": words}).encode()])

    assert webhook.received[-1].text == words
    assert not webhook.received[-1].metadata


def test_a_caller_cannot_pass_a_sealed_reference_of_its_own(webhook: Webhook) -> None:
    webhook.post_all([b'{"sender": "+15550100001", "message": "/provide_otp", "metadata": {"sealed": "guessed"}}'])

    assert not webhook.received[-1].metadata
