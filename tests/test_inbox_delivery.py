"""The delivery worker against a real Rasa-shaped HTTP server that misbehaves.

Each scenario queues what the inbox queues (an agent's reply, news for the bot) on a migrated
SQLite file and runs ``DeliveryWorker`` rounds against an aiohttp server on a free local port:
one that never answers, one that answers 500, one that refuses with a 4xx. Time is frozen;
the client's timeout is made short so a hung Rasa costs a fraction of a second.
"""

from __future__ import annotations

import asyncio
import logging
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import AsyncIterator, Awaitable, Callable, Iterator, List, Optional

import aiohttp
import pytest
from aiohttp import web
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from actions.domain.audit import AuditEntry
from actions.domain.ticket import Ticket
from actions.store.database import make_engine
from actions.store.sql import SqlHandoffQueue
from handoff.customer_channels import CustomerChannels
from handoff.customer_channels import named
from handoff.delivery import REPLY_ATTEMPTS, DeliveryWorker, delivery_message_id, delivery_of
from handoff.domain import tickets as ticket_rules
from handoff.domain.people import Role, User
from handoff.rasa_client import RasaConversations
from handoff.store import InboxStore, Outgoing
from actions.store.tables import DeliveryRow
from tests.support.databases import migrated_sqlite_url
from tests.support.world import JANE, SAM, START, FrozenClock

ALI = User("ali", "Ali Khan", Role.AGENT)
Answer = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass(frozen=True)
class Row:
    kind: str
    status: str
    attempts: int
    error: Optional[str]
    next_try_at: datetime


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    engine = make_engine(migrated_sqlite_url(tmp_path / "hitl.db"))
    yield engine
    engine.dispose()


def delivery_ids(engine: Engine) -> List[int]:
    with Session(engine) as session:
        return [row.id for row in session.exec(select(DeliveryRow).order_by(DeliveryRow.id))]  # type: ignore[arg-type]


def deliveries(engine: Engine) -> List[Row]:
    with Session(engine) as session:
        return [Row(row.kind, row.status, row.attempts, row.error, row.next_try_at)
                for row in session.exec(select(DeliveryRow).order_by(DeliveryRow.id))]  # type: ignore[arg-type]


def ali_replies_to_jane(engine: Engine, text: str = "Hi Jane, Ali here.") -> InboxStore:
    """Jane's ticket, claimed by Ali, who answers: a 'say' delivery tied to his message."""
    store = InboxStore(engine)
    SqlHandoffQueue(engine).add(Ticket(
        id="t1", conversation_id=JANE, customer_id="C001", topic="complaint", priority="normal",
        reasons=("customer_asked_for_a_person",), pending_id=None, created_at=START, queued_at=START,
        status="open", queue="agent",
        evidence={"summary": "Jane wants a person."}))
    ticket = store.ticket("t1")
    assert ticket is not None
    claim = ticket_rules.claim(ticket, ALI, START)
    assert store.apply(claim, AuditEntry(at=START, actor="agent:ali", event=claim.event, conversation_id=JANE))
    claimed = store.ticket("t1")
    assert claimed is not None
    change = ticket_rules.replied(claimed, START)
    assert store.apply(change, AuditEntry(at=START, actor="agent:ali", event=change.event, conversation_id=JANE),
                       message=("agent", "ali", text),
                       outgoing=[Outgoing("say", {"text": text, "agent": "ali", "agent_name": "Ali Khan"})])
    return store


@asynccontextmanager
async def fake_rasa(answer: Answer) -> AsyncIterator[str]:
    """A server on a free port answering every request with ``answer``; its base URL."""
    async def handle(request: web.Request) -> web.StreamResponse:
        return await answer(request)

    app = web.Application()
    app.router.add_route("*", "/{path:.*}", handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    try:
        yield f"http://{host}:{port}"
    finally:
        await runner.cleanup()


@asynccontextmanager
async def worker_against(store: InboxStore, answer: Answer, clock: FrozenClock) -> AsyncIterator[DeliveryWorker]:
    async with fake_rasa(answer) as url, aiohttp.ClientSession() as client:
        yield DeliveryWorker(store, RasaConversations(client, url, None, timeout=0.3), clock)


class Hangs:
    """Rasa took the connection and never answers (until the test ends)."""

    def __init__(self) -> None:
        self.calls = 0
        self.released = asyncio.Event()

    async def __call__(self, request: web.Request) -> web.StreamResponse:
        self.calls += 1
        await self.released.wait()
        return web.json_response({})


async def answers_500(request: web.Request) -> web.StreamResponse:
    return web.Response(status=500, text="Rasa is restarting")


async def takes_everything(request: web.Request) -> web.StreamResponse:
    if request.path.endswith("/tracker"):
        return web.json_response({"latest_input_channel": "webchat"})
    return web.json_response({})


async def refuses_action_unknown(request: web.Request) -> web.StreamResponse:
    """Rasa's answer to an action its domain does not have; everything else is taken."""
    if request.path.endswith("/execute") and (await request.json())["name"] == "action_unknown":
        return web.json_response({"status": "failure", "message": "unknown action"}, status=400)
    return await takes_everything(request)


# -- a hung Rasa -------------------------------------------------------------------------------


def test_a_hung_rasa_is_a_failed_attempt_and_the_reply_is_retried_with_backoff_then_shown_failed(
        engine: Engine) -> None:
    store, clock = ali_replies_to_jane(engine), FrozenClock()
    hangs = Hangs()

    async def scenario() -> List[int]:
        async with worker_against(store, hangs, clock) as worker:
            first = await worker.deliver_due()
            [row] = deliveries(engine)
            assert (row.status, row.attempts, row.next_try_at) == ("pending", 1, START + timedelta(seconds=1))
            rounds = [first, await worker.deliver_due()]  # not due again until its backoff is over
            for _ in range(REPLY_ATTEMPTS - 1):
                clock.current = deliveries(engine)[0].next_try_at
                rounds.append(await worker.deliver_due())
            hangs.released.set()
            return rounds

    rounds = asyncio.run(scenario())

    assert rounds == [1, 0] + [1] * (REPLY_ATTEMPTS - 1)
    [row] = deliveries(engine)
    assert (row.status, row.attempts) == ("failed", REPLY_ATTEMPTS)
    assert "not reachable" in (row.error or "") and "TimeoutError" in (row.error or "")
    [message] = store.messages("t1")
    assert (message.delivery, message.error) == ("failed", row.error)  # Ali sees it was not delivered


def test_rasa_answering_500_is_retried_with_growing_backoff_and_news_for_the_bot_is_never_dropped(
        engine: Engine) -> None:
    store, clock = InboxStore(engine), FrozenClock()
    store.enqueue(JANE, Outgoing("trigger", {"action": "action_handback"}), START)

    async def scenario() -> List[timedelta]:
        waits = []
        async with worker_against(store, answers_500, clock) as worker:
            for _ in range(REPLY_ATTEMPTS + 4):
                assert await worker.deliver_due() == 1
                waits.append(deliveries(engine)[0].next_try_at - clock.current)
                clock.current = deliveries(engine)[0].next_try_at
        return waits

    waits = asyncio.run(scenario())

    assert waits == [timedelta(seconds=s) for s in (1, 2, 4, 8, 16, 32, 60, 60)]
    [row] = deliveries(engine)
    assert (row.status, row.attempts) == ("pending", REPLY_ATTEMPTS + 4)
    assert row.error == "Rasa answered 500: Rasa is restarting"


def test_any_failure_while_delivering_counts_as_an_attempt(engine: Engine) -> None:
    store, clock = InboxStore(engine), FrozenClock()
    store.enqueue(JANE, Outgoing("say", {"agent": "ali"}), START)  # no text: sending it raises KeyError

    async def scenario() -> int:
        async with worker_against(store, takes_everything, clock) as worker:
            return await worker.deliver_due()

    assert asyncio.run(scenario()) == 1
    [row] = deliveries(engine)
    assert (row.status, row.attempts, row.next_try_at) == ("pending", 1, START + timedelta(seconds=1))
    assert "KeyError" in (row.error or "")


# -- a request Rasa refuses ---------------------------------------------------------------------


def test_a_4xx_fails_at_once_and_no_longer_holds_back_the_conversation(engine: Engine,
                                                                        caplog: pytest.LogCaptureFixture) -> None:
    store, clock = InboxStore(engine), FrozenClock()
    store.enqueue(JANE, Outgoing("trigger", {"action": "action_unknown"}), START)
    store.enqueue(JANE, Outgoing("trigger", {"action": "action_handback"}), START)
    store.enqueue(SAM, Outgoing("trigger", {"action": "action_handback"}), START)

    async def scenario() -> List[int]:
        async with worker_against(store, refuses_action_unknown, clock) as worker:
            return [await worker.deliver_due(), await worker.deliver_due(), await worker.deliver_due()]

    with caplog.at_level(logging.ERROR, logger="handoff.delivery"):
        rounds = asyncio.run(scenario())

    assert rounds == [2, 1, 0]  # the same instant: Jane's next delivery went out without waiting
    refused, jane_next, sam = deliveries(engine)
    assert (refused.status, refused.attempts) == ("failed", 1)
    assert refused.error is not None and refused.error.startswith("Rasa answered 400:") and "unknown action" in refused.error
    assert (jane_next.status, sam.status) == ("delivered", "delivered")
    assert [r.levelno for r in caplog.records if "refused by Rasa" in r.getMessage()] == [logging.ERROR]


def test_a_reply_refused_with_a_4xx_shows_failed_at_once(engine: Engine) -> None:
    store, clock = ali_replies_to_jane(engine), FrozenClock()

    async def not_found(request: web.Request) -> web.StreamResponse:
        return web.json_response({"message": "no such conversation"}, status=404)

    async def scenario() -> int:
        async with worker_against(store, not_found, clock) as worker:
            return await worker.deliver_due()

    assert asyncio.run(scenario()) == 1
    [message] = store.messages("t1")
    assert message.delivery == "failed" and (message.error or "").startswith("Rasa answered 404:")
    assert deliveries(engine)[0].attempts == 1


@pytest.mark.parametrize("status", [401, 403, 408, 429, 502])
def test_answers_that_may_change_on_their_own_are_retried(engine: Engine, status: int) -> None:
    """A wrong token, a timeout, a rate limit or a 5xx say nothing about this request."""
    store, clock = InboxStore(engine), FrozenClock()
    store.enqueue(JANE, Outgoing("trigger", {"action": "action_handback"}), START)

    async def answer(request: web.Request) -> web.StreamResponse:
        return web.Response(status=status, text="not now")

    async def scenario() -> int:
        async with worker_against(store, answer, clock) as worker:
            return await worker.deliver_due()

    assert asyncio.run(scenario()) == 1
    [row] = deliveries(engine)
    assert (row.status, row.attempts, row.next_try_at) == ("pending", 1, START + timedelta(seconds=1))


# -- one delivery per channel --------------------------------------------------------------------


class RasaRecording:
    """Answers like Rasa for a customer whose latest channel is ``channel`` and who has ``pages``
    web chat pages open, and keeps what it was sent."""

    def __init__(self, channel: Optional[str], pages: int = 0) -> None:
        self.channel = channel
        self.pages = pages
        self.appended: List[dict] = []

    async def __call__(self, request: web.Request) -> web.StreamResponse:
        if request.path.startswith("/webhooks/webchat/pages/"):
            return web.json_response({"pages": self.pages})
        if request.method == "GET":
            return web.json_response({"latest_input_channel": self.channel})
        self.appended.append({"query": dict(request.query), "event": await request.json()})
        return web.json_response({})


@pytest.mark.parametrize(("channel", "pushed", "status", "words"), [
    # the web chat: Rasa pushes it; delivered once a page acknowledges it; the page shows who speaks
    ("webchat", True, "sent", "Hi Jane, Ali here."),
    # the REST channel cannot push: on record only, named for a reader who sees text only
    ("rest", False, "recorded", "Ali from Acme customer care: Hi Jane, Ali here."),
    # no delivery registered for it (yet): on record, not claimed as sent
    ("whatsapp", False, "recorded", "Ali from Acme customer care: Hi Jane, Ali here."),
])
def test_a_reply_goes_out_the_way_the_customers_current_channel_allows(
    engine: Engine, channel: str, pushed: bool, status: str, words: str
) -> None:
    store = ali_replies_to_jane(engine, "Hi Jane, Ali here.")
    rasa = RasaRecording(channel)

    async def scenario() -> None:
        async with worker_against(store, rasa, FrozenClock()) as worker:
            await worker.deliver_due()

    asyncio.run(scenario())

    [sent] = rasa.appended
    assert sent["event"]["text"] == words
    [delivery_id] = delivery_ids(engine)
    assert sent["event"]["metadata"] == {"source": "inbox", "agent": "ali", "agent_name": "Ali Khan",
                                         "message_id": f"d-{delivery_id}"}  # the id the customer's page acknowledges
    assert (sent["query"].get("execute_side_effects") == "true") is pushed
    assert [(row.status, row.kind) for row in deliveries(engine)] == [(status, "say")]
    reply = store.messages("t1")[-1]
    assert (reply.delivery, reply.channel) == (status, channel)  # Ali sees where his words went


def test_a_web_chat_reply_counts_as_delivered_only_when_a_page_of_that_conversation_acknowledges_it(
    engine: Engine,
) -> None:
    store = ali_replies_to_jane(engine, "Hi Jane, Ali here.")

    async def scenario() -> None:
        async with worker_against(store, RasaRecording("webchat"), FrozenClock()) as worker:
            await worker.deliver_due()

    asyncio.run(scenario())
    [delivery_id] = delivery_ids(engine)
    assert (deliveries(engine)[0].status, store.messages("t1")[-1].delivery) == ("sent", "sent")  # nobody saw it yet

    assert not store.delivery_seen(delivery_id, SAM, START)  # Sam's page can't mark Jane's reply
    assert deliveries(engine)[0].status == "sent"
    assert store.delivery_seen(delivery_of(delivery_message_id(delivery_id)), JANE, START)
    assert (deliveries(engine)[0].status, store.messages("t1")[-1].delivery) == ("delivered", "delivered")
    assert not store.delivery_seen(delivery_id, JANE, START)  # a second acknowledgement changes nothing


def test_news_and_replies_go_to_the_chat_page_the_customer_has_open_even_if_she_last_wrote_elsewhere(
    engine: Engine,
) -> None:
    store = ali_replies_to_jane(engine, "Hi Jane, Ali here.")
    store.enqueue(JANE, Outgoing("trigger", {"action": "action_approval_decided"}), START)
    rasa = RasaRecording("rest", pages=1)  # she asked over REST, and has the help page open now

    async def scenario() -> None:
        async with worker_against(store, rasa, FrozenClock()) as worker:
            await worker.deliver_due()
            await worker.deliver_due()

    asyncio.run(scenario())

    reply, news = rasa.appended[0], rasa.appended[1]
    assert reply["query"].get("execute_side_effects") == "true" and reply["event"]["text"] == "Hi Jane, Ali here."
    assert reply["query"]["output_channel"] == "webchat"  # pushed to her page, not to REST, where she wrote last
    assert news["query"]["output_channel"] == "webchat" and news["event"] == {"name": "action_approval_decided"}
    assert deliveries(engine)[0].status == "sent"  # pushed to her page, which acknowledges it


def test_without_an_open_page_news_goes_to_the_channel_she_used_last(engine: Engine) -> None:
    store = InboxStore(engine)
    store.enqueue(JANE, Outgoing("trigger", {"action": "action_approval_decided"}), START)
    rasa = RasaRecording("rest", pages=0)

    async def scenario() -> None:
        async with worker_against(store, rasa, FrozenClock()) as worker:
            await worker.deliver_due()

    asyncio.run(scenario())

    assert rasa.appended[0]["query"]["output_channel"] == "rest"


def test_each_channel_says_how_many_tries_a_reply_gets_before_it_counts_as_not_delivered(engine: Engine) -> None:
    store = ali_replies_to_jane(engine, "On its way.")
    rasa = RasaRecording("sms")

    class ProviderThatRefuses:
        attempts = 1  # the provider already retried for us: one failure is final

        async def send(self, conversation_id: str, text: str, metadata: dict) -> str:
            raise RuntimeError("the provider refused the number")

    async def scenario() -> None:
        async with fake_rasa(rasa) as url, aiohttp.ClientSession() as client:
            conversations = RasaConversations(client, url, None, timeout=0.3)
            channels = CustomerChannels(conversations, {"sms": ProviderThatRefuses()})
            await DeliveryWorker(store, conversations, FrozenClock(), channels=channels).deliver_due()

    asyncio.run(scenario())

    [row] = deliveries(engine)
    assert (row.status, row.attempts, row.next_try_at) == ("failed", 1, START)  # no retry planned
    assert store.messages("t1")[-1].delivery == "failed"


def test_a_channel_can_bring_its_own_delivery(engine: Engine) -> None:
    store = ali_replies_to_jane(engine, "On its way.")
    rasa = RasaRecording("sms")
    texted: List[str] = []

    class TextMessage:
        async def send(self, conversation_id: str, text: str, metadata: dict) -> str:
            texted.append(f"{conversation_id}: {text}")
            return "delivered"

    async def scenario() -> None:
        async with fake_rasa(rasa) as url, aiohttp.ClientSession() as client:
            conversations = RasaConversations(client, url, None, timeout=0.3)
            channels = CustomerChannels(conversations, {"sms": TextMessage()})
            await DeliveryWorker(store, conversations, FrozenClock(), channels=channels).deliver_due()

    asyncio.run(scenario())

    assert texted == [f"{JANE}: On its way."]  # the channel writes it its own way
    assert store.messages("t1")[-1].delivery == "delivered"


def test_on_a_channel_that_shows_text_only_a_persons_words_say_who_is_speaking() -> None:
    assert named("On its way.", {"agent_name": "Ali Khan"}) == "Ali from Acme customer care: On its way."
    assert named("plain", {"agent_name": ""}) == "plain"


def test_a_status_line_is_recorded_as_one_and_pushed_to_the_web_chat(engine: Engine) -> None:
    store = ali_replies_to_jane(engine, "Hi Jane, Ali here.")
    store.enqueue(JANE, Outgoing("status", {"line": "Ali from Acme customer care joined the conversation.",
                                            "status": "joined"}), START)
    rasa = RasaRecording("webchat")

    async def scenario() -> None:
        async with worker_against(store, rasa, FrozenClock()) as worker:
            await worker.deliver_due()
            await worker.deliver_due()

    asyncio.run(scenario())

    line = rasa.appended[-1]
    assert line["event"]["text"] is None
    assert line["event"]["data"] == {"custom": {"status_line": "Ali from Acme customer care joined the conversation.",
                                                "status": "joined"}}
    assert line["query"].get("execute_side_effects") == "true"
    assert [row.status for row in deliveries(engine)] == ["sent", "sent"]


def test_a_page_that_acknowledges_before_the_worker_records_the_send_still_counts_and_is_never_undone(
    engine: Engine,
) -> None:
    store = ali_replies_to_jane(engine, "Hi Jane, Ali here.")
    [delivery] = store.due_deliveries(START)

    assert store.delivery_seen(delivery.id, JANE, START)  # the page showed it while Rasa was still answering
    store.delivery_done(delivery, "sent", None, START)  # then the worker records what the channel said

    assert (deliveries(engine)[0].status, store.messages("t1")[-1].delivery) == ("delivered", "delivered")


def test_a_reply_the_customer_had_in_view_is_read_and_never_goes_back_to_delivered(engine: Engine) -> None:
    store = ali_replies_to_jane(engine, "Hi Jane, Ali here.")
    [delivery] = store.due_deliveries(START)
    store.delivery_done(delivery, "sent", None, START)

    assert store.delivery_seen(delivery.id, JANE, START, "delivered")  # shown while her tab was in the background
    assert store.delivery_seen(delivery.id, JANE, START, "read")  # then she looked at it
    assert not store.delivery_seen(delivery.id, JANE, START, "delivered")  # a late "delivered" changes nothing
    assert not store.delivery_seen(delivery.id, SAM, START, "read")

    assert (deliveries(engine)[0].status, store.messages("t1")[-1].delivery) == ("read", "read")
