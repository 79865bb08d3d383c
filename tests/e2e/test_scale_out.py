"""The scaled-out stack: two of every server behind nginx, on PostgreSQL, Redis and RabbitMQ.

One stack for the module (``bot/scaleout.py``), on databases of its own that are dropped
afterwards, with a policy whose claim deadline is seconds. Each scenario sends its traffic
through nginx (so it lands on either server) or straight at both servers of a kind at once,
and checks what must hold whichever server took it: order, once-only, shared sign-ins, and
every page told. The PostgreSQL restart comes last: it interrupts every database user on the
machine for a few seconds.
"""

from __future__ import annotations

import asyncio
import re
import shutil
import subprocess
import threading
import time
import urllib.error
from collections import Counter
from pathlib import Path
from typing import Any, Dict, Iterator, List, Tuple

import aiohttp
import pytest
import requests
from sqlalchemy import text
from sqlalchemy.engine import Engine

from actions.acme.sqlite_backend import SqlBusiness
from actions.store.database import make_engine
from actions.store.sql import SqlAuditLog
from bot.scaleout import ScaledStack
from bot.stack import free_port
from devtools.fake_twilio import FakeTwilio
from handoff.store import InboxStore
from tests.support.inbox import PASSWORDS, Inbox, Person
from tests.support.policies import policy_file
from tests.support.race import race_between
from tests.support.stacks import SHOP_NUMBER
from tests.support.waiting import eventually

#: ``alone``: PostgreSQL's restart would break the tests of another worker that use it meanwhile.
pytestmark = [pytest.mark.e2e, pytest.mark.alone]

JANE, SAM, PRIYA, OMAR, BISTRO = "+15550100001", "+15550100002", "+15550100003", "+15550100004", "+15550100005"
CLAIM_WITHIN_SECONDS = 5


@pytest.fixture(scope="module")
def phone() -> Iterator[FakeTwilio]:
    with FakeTwilio(sms_number=SHOP_NUMBER) as fake:
        yield fake


@pytest.fixture(scope="module")
def stack(trained_model: Path, tmp_path_factory: pytest.TempPathFactory, phone: FakeTwilio) -> Iterator[ScaledStack]:
    data_dir = tmp_path_factory.mktemp("scaled-stack")

    def quick_sla(policy: dict) -> None:
        policy["inbox"]["sla"]["normal"] = {"claim": f"{CLAIM_WITHIN_SECONDS}s", "reply": "1h"}
        policy["inbox"]["escalate"] = {"agent": "senior"}  # then overdue in the senior queue, said once

    policy_file(data_dir, edit=quick_sla)
    twilio = {"TWILIO_ACCOUNT_SID": phone.account_sid, "TWILIO_AUTH_TOKEN": phone.auth_token,
              "TWILIO_FROM_NUMBER": SHOP_NUMBER, "TWILIO_BASE_URL": phone.base_url}
    stack = ScaledStack(data_dir=data_dir, model=trained_model, rasa_port=free_port(), actions_port=free_port(),
                        inbox_port=free_port(), env={"RISK_POLICY_PATH": str(data_dir / "risk_policy.yml"), **twilio},
                        quiet=True, drop_on_stop=True)
    stack.start()
    try:
        yield stack
    finally:
        stack.stop()


@pytest.fixture(scope="module")
def engine(stack: ScaledStack) -> Iterator[Engine]:
    engine = make_engine(stack.database_url)
    yield engine
    engine.dispose()


def inbox_at(stack: ScaledStack, url: str, engine: Engine) -> Inbox:
    return Inbox(url, None, engine, stack.data_dir)  # type: ignore[arg-type]


def tracker(stack: ScaledStack, conversation: str) -> List[Dict[str, Any]]:
    answer = requests.get(f"{stack.rasa_url}/conversations/{conversation}/tracker",
                          params={"token": stack.api_token}, timeout=30)
    assert answer.status_code == 200, answer.text
    return answer.json()["events"]


def said(events: List[Dict[str, Any]], kind: str) -> List[str]:
    return [event.get("text") or "" for event in events if event["event"] == kind]


def upstreams(stack: ScaledStack, role: str) -> Counter:
    """How many requests each server of ``role`` took through nginx (its access log)."""
    ports = {str(port) for port in stack.ports[role]}
    log = (stack.data_dir / "nginx" / "access.log").read_text(encoding="utf-8")
    return Counter(port for port in re.findall(r"upstream=127\.0\.0\.1:(\d+)", log) if port in ports)


def test_customers_writing_at_once_through_nginx_keep_their_order_on_both_rasa_servers(stack: ScaledStack) -> None:
    customers = {JANE: "customer-C001", SAM: "customer-C002", OMAR: "customer-C004"}
    lines = ["hi", "where is my order 1002?", "thanks", "where is my order 1002?"]

    def customer_writes(phone: str) -> None:
        for line in lines:
            stack.talk(phone, line)

    race_between(*[lambda phone=phone: customer_writes(phone) for phone in customers])

    for conversation in customers.values():
        assert said(tracker(stack, conversation), "user")[-len(lines):] == lines
    took = upstreams(stack, "rasa")
    assert len(took) == 2 and min(took.values()) > 0, took  # both Rasa servers took turns
    assert min(upstreams(stack, "actions").values()) > 0  # and both action servers ran actions


def test_an_agents_quick_replies_go_out_once_each_and_in_order_across_both_inbox_workers(
        stack: ScaledStack, engine: Engine) -> None:
    ali = inbox_at(stack, stack.inbox_url, engine).sign_in("ali")
    assert "specialist" in " ".join(stack.talk(PRIYA, "I want to talk to a person"))
    ticket = InboxStore(engine).latest_ticket("customer-C003")
    assert ticket is not None  # claimed at once, well within its claim deadline
    assert ali.post(f"/api/tickets/{ticket.id}/claim", {"version": ticket.version}).status_code == 200
    replies = [f"Reply {n} from Ali" for n in range(1, 7)]
    for reply in replies:
        assert ali.post(f"/api/tickets/{ticket.id}/reply", {"text": reply}).status_code == 200

    def delivered() -> List[str]:
        return [line for line in said(tracker(stack, "customer-C003"), "bot") if "Reply " in line]

    eventually(lambda: len(delivered()) >= len(replies), 30, "every reply reached the conversation")
    time.sleep(1)  # a second worker sending one again would show by now
    assert delivered() == [f"Ali from Acme customer care: {reply}" for reply in replies]


def test_an_unclaimed_tickets_timer_escalates_it_once_with_two_inbox_schedulers(stack: ScaledStack, engine: Engine) -> None:
    audit = SqlAuditLog(engine)

    def events(name: str) -> List[str]:
        return [e.event for e in audit.entries("customer-C005") if e.event == name]

    assert "specialist" in " ".join(stack.talk(BISTRO, "I want to talk to a person"))

    eventually(lambda: events("ticket_escalated") == ["ticket_escalated"], CLAIM_WITHIN_SECONDS + 20, "escalated")
    eventually(lambda: events("sla_overdue") == ["sla_overdue"], CLAIM_WITHIN_SECONDS + 20, "overdue in the senior queue")
    time.sleep(3)
    assert events("ticket_escalated") == ["ticket_escalated"] and events("sla_overdue") == ["sla_overdue"]


def test_a_manager_approving_on_both_inbox_servers_at_once_runs_the_refund_once(stack: ScaledStack, engine: Engine) -> None:
    assert "Reply YES to send it for approval" in " ".join(stack.talk(JANE, "I want $700 back for order 1003"))
    assert "for approval" in " ".join(stack.talk(JANE, "yes"))
    [approval] = [a for a in requests_json(stack, engine, "maria", "/api/approvals") if a["status"] == "pending"]
    managers = [inbox_at(stack, stack.replica_url("inbox", n), engine).sign_in("maria") for n in (1, 2)]
    body = {"version": approval["version"]}

    answers = race_between(*[lambda m=m: m.post(f"/api/approvals/{approval['id']}/approve", body) for m in managers])

    assert sorted(a.status_code for a in answers) == [200, 409], [a.text for a in answers]
    business = SqlBusiness(stack.business_database_url)
    eventually(lambda: order_refund(business, "C001", "1003") == 70000, 30, "the refund ran")
    time.sleep(2)
    assert order_refund(business, "C001", "1003") == 70000  # once: not 1400 dollars
    executed = [e for e in SqlAuditLog(engine).entries("customer-C001") if e.event == "executed"]
    assert len(executed) == 1


def requests_json(stack: ScaledStack, engine: Engine, username: str, path: str) -> Any:
    answer = inbox_at(stack, stack.inbox_url, engine).sign_in(username).get(path)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    return body.get("approvals", body) if isinstance(body, dict) else body


def order_refund(business: SqlBusiness, customer: str, order: str) -> int:
    return next(o for o in business.orders(customer) if o.id == order).refunded_cents


def test_pages_open_on_either_inbox_server_are_told_of_a_new_ticket(stack: ScaledStack, engine: Engine) -> None:
    people = [inbox_at(stack, stack.replica_url("inbox", n), engine).sign_in(name) for n, name in ((1, "ali"), (2, "ali"))]

    async def scenario() -> List[bool]:
        async with aiohttp.ClientSession() as session:
            pages = [await open_page(session, person) for person in people]
            await asyncio.to_thread(stack.talk, SAM, "I want to talk to a person")
            ticket = await asyncio.to_thread(InboxStore(engine).latest_ticket, "customer-C002")
            assert ticket is not None
            return list(await asyncio.gather(*(told_of(page, ticket.id) for page in pages)))

    assert asyncio.run(scenario()) == [True, True]


async def open_page(session: aiohttp.ClientSession, person: Person) -> aiohttp.ClientWebSocketResponse:
    ws = await session.ws_connect(f"{person.inbox.url}/ws", headers={"Cookie": f"inbox_session={person.cookie}"})
    await ws.send_json({"type": "hello", "csrf": person.csrf})
    assert await ws.receive_json(timeout=10) == {"type": "ready"}
    return ws


async def told_of(ws: aiohttp.ClientWebSocketResponse, ticket_id: str, within: float = 15) -> bool:
    deadline = asyncio.get_running_loop().time() + within
    while (left := deadline - asyncio.get_running_loop().time()) > 0:
        try:
            if (await ws.receive_json(timeout=left)).get("id") == ticket_id:
                return True
        except asyncio.TimeoutError:
            return False
    return False


def test_sign_ins_and_the_login_throttle_are_shared_by_both_inbox_servers(stack: ScaledStack, engine: Engine) -> None:
    inboxes = [inbox_at(stack, stack.replica_url("inbox", n), engine) for n in (1, 2)]
    sofia = inboxes[0].sign_in("sofia")
    on_the_other = Person(inboxes[1], "sofia", sofia.cookie, sofia.csrf)
    assert on_the_other.get("/api/me").status_code == 200
    signed_out = requests.post(f"{inboxes[1].url}/logout", data={"csrf": sofia.csrf},
                               cookies={"inbox_session": sofia.cookie}, allow_redirects=False, timeout=10)
    assert signed_out.status_code == 302
    assert sofia.get("/api/me").status_code == 401  # signed out on one: out on both

    # a guesser spreading tries over both servers gets five in all, not five on each
    statuses = [inboxes[n % 2].submit_login("david", "wrong password").status_code for n in range(7)]
    assert statuses[:5] == [401] * 5 and statuses[5:] == [429, 429], statuses
    assert inboxes[1].submit_login("david", PASSWORDS["david"]).status_code == 429


def test_one_sms_delivered_to_both_rasa_servers_at_once_is_one_turn(stack: ScaledStack, phone: FakeTwilio,
                                                                   engine: Engine) -> None:
    path = "/webhooks/sms/webhook"
    params = {"MessageSid": "SM" + "5ca1e0" * 5 + "ab", "AccountSid": phone.account_sid, "From": JANE,
              "To": SHOP_NUMBER, "Body": "where is my order 1002?", "NumMedia": "0"}
    signature = phone.sign(f"{stack.public_url}{path}", params)
    before = len(replies_to(phone, JANE))

    def deliver(n: int) -> int:
        return requests.post(f"{stack.replica_url('rasa', n)}{path}", data=params,
                             headers={"X-Twilio-Signature": signature}, timeout=30).status_code

    assert race_between(lambda: deliver(1), lambda: deliver(2)) == [200, 200]

    eventually(lambda: len(replies_to(phone, JANE)) > before, 30, "the bot answered the text")
    time.sleep(3)  # a second turn would have answered by now
    assert len(replies_to(phone, JANE)) == before + 1
    with engine.connect() as connection:
        stored = connection.execute(text("SELECT count(*) FROM inbound_messages WHERE provider_id = :sid"),
                                    {"sid": params["MessageSid"]}).scalar_one()
    assert stored == 1
    texted = [e for e in tracker(stack, "customer-C001") if e["event"] == "user" and e.get("input_channel") == "sms"]
    assert [e["text"] for e in texted] == [params["Body"]]


def replies_to(phone: FakeTwilio, number: str) -> List[Dict[str, Any]]:
    return [m for m in phone.messages if m.get("to") == number]


@pytest.mark.skipif(shutil.which("pg_ctlcluster") is None, reason="needs PostgreSQL's pg_ctlcluster on this machine")
def test_postgresql_restarted_under_load_fails_requests_clearly_then_recovers_losing_nothing_accepted(
        stack: ScaledStack, engine: Engine) -> None:
    """Last in the module: every database user on the machine loses its connections for a moment."""
    accepted: List[str] = []
    refused: List[Tuple[str, str]] = []
    stop = threading.Event()

    def customer_keeps_writing() -> None:
        n = 0
        while not stop.is_set():
            n += 1
            line = f"hello number {n}"
            try:
                stack.talk(OMAR, line)
                accepted.append(line)
            except (urllib.error.URLError, ConnectionError, TimeoutError) as failure:
                refused.append((line, str(failure)))
            time.sleep(0.1)

    writer = threading.Thread(target=customer_keeps_writing)
    writer.start()
    try:
        eventually(lambda: len(accepted) >= 3, 60, "turns before the restart")
        clusters = Path("/etc/postgresql")
        version = sorted(p.name for p in clusters.iterdir())[-1]
        subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "restart"], check=True,
                       timeout=120)
        after = len(accepted)
        eventually(lambda: len(accepted) >= after + 3, 90, "turns after the restart")
    finally:
        stop.set()
        writer.join(timeout=120)

    assert all("HTTP Error 5" in reason or "timed out" in reason or "refused" in reason for _, reason in refused), refused
    kept = said(tracker(stack, "customer-C004"), "user")
    assert [line for line in accepted if line not in kept] == []  # every accepted message is in the conversation
    answer = requests.get(f"{stack.inbox_url}/health", timeout=10)
    assert answer.status_code == 200
