"""The shared inbox as people reach it: real HTTP on a real port, a real websocket.

One inbox runs for the whole module (``HITL_DEMO=1``, so the demo people exist: Ali the agent,
Sofia the senior, Maria the manager, Alex the admin) on a temporary data directory; Rasa's
address is a closed port, so replies just wait to be delivered. Tickets and approvals are
raised the way the action server raises them, through its SQL stores on the same database.
Each person signs in through the login form and keeps their cookie and CSRF token, exactly as
a browser would (``tests/support/inbox.py``).
"""

from __future__ import annotations

import asyncio
import hashlib
import re
import threading
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Awaitable, Callable, Dict, Iterator, List, Optional, Set

import aiohttp
import pytest
import requests
from sqlalchemy import update
from sqlmodel import Session

from actions.acme.models import ExecutionRow
from actions.domain.pending import Stage
from handoff import websocket_hub
from handoff.app_state import DESK, SOCKETS
from handoff.auth import token_hash
from handoff.domain.people import Role, User
from handoff.tables import InboxSessionRow
from handoff.websocket_hub import PUSH_TIMEOUT, Page
from tests.support.inbox import PASSWORDS, Inbox, Person, hidden_csrf, running_inbox
from tests.support.waiting import eventually

SIGN_IN_FIRST = {"error": "sign in first"}
SERVER_THREAD = "aiohttp-test-server"  # where tests.support.serve runs the inbox's event loop


# -- the inbox and the people working in it ----------------------------------------------------


def login_error(login_page: str) -> str:
    found = re.search(r'data-testid="login-error">([^<]*)<', login_page)
    assert found, "the login page has no error line"
    return found.group(1)


def cookie_flags(response: requests.Response, name: str) -> Set[str]:
    """The attributes of the Set-Cookie header that sets ``name``, lower-cased: {"httponly", "samesite=strict"}."""
    for header in response.raw.headers.getlist("Set-Cookie"):
        first, *attributes = [part.strip() for part in header.split(";")]
        if first.split("=", 1)[0] == name:
            return {attribute.lower() for attribute in attributes}
    raise AssertionError(f"no Set-Cookie for {name}: {response.raw.headers.getlist('Set-Cookie')}")


@pytest.fixture(scope="module")
def inbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Inbox]:
    with running_inbox(tmp_path_factory.mktemp("inbox")) as inbox:
        yield inbox


# -- the websocket, from a test's own event loop -------------------------------------------------


class Feed:
    """A person's open inbox page: the websocket after the hello."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws = ws

    async def next(self, within: float = 5.0) -> Dict[str, Any]:
        return await self.ws.receive_json(timeout=within)

    async def about(self, subject_id: str, within: float) -> Optional[Dict[str, Any]]:
        """The first push about ``subject_id`` within ``within`` seconds (others' changes are skipped), or None."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        while (left := deadline - loop.time()) > 0:
            try:
                message = await self.ws.receive_json(timeout=left)
            except asyncio.TimeoutError:
                return None
            if message.get("id") == subject_id:
                return message
        return None


async def connect(session: aiohttp.ClientSession, inbox: Inbox, person: Optional[Person],
                  **options: Any) -> aiohttp.ClientWebSocketResponse:
    cookie = {"Cookie": f"inbox_session={person.cookie}"} if person else {}
    return await session.ws_connect(f"{inbox.url}/ws", headers=cookie, **options)


async def open_page(session: aiohttp.ClientSession, person: Person) -> Feed:
    ws = await connect(session, person.inbox, person)
    await ws.send_json({"type": "hello", "csrf": person.csrf})
    assert await ws.receive_json(timeout=5) == {"type": "ready"}
    return Feed(ws)


async def closed_after_hello(inbox: Inbox, person: Person, hello: Any) -> Optional[int]:
    """Send ``hello`` as the first message; the close code the server answers with."""
    async with aiohttp.ClientSession() as session:
        ws = await connect(session, inbox, person)
        if isinstance(hello, str):
            await ws.send_str(hello)
        else:
            await ws.send_json(hello)
        message = await ws.receive(timeout=5)
        assert message.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED), message
        return ws.close_code


# -- signing in ----------------------------------------------------------------------------------


def test_the_login_form_sets_a_csrf_cookie_that_its_hidden_field_repeats(inbox: Inbox) -> None:
    form = inbox.login_form()

    assert form.status_code == 200
    assert hidden_csrf(form.text) == form.cookies["inbox_login_csrf"]
    assert {"httponly", "samesite=strict"} <= cookie_flags(form, "inbox_login_csrf")


@pytest.mark.parametrize("csrf", [None, "not-the-forms-token", "é"], ids=["missing", "wrong", "not-ascii"])
def test_a_sign_in_without_the_forms_csrf_token_is_refused_and_opens_no_session(inbox: Inbox,
                                                                                 csrf: Optional[str]) -> None:
    answer = inbox.submit_login("ali", PASSWORDS["ali"], csrf=csrf)

    assert answer.status_code == 403
    assert login_error(answer.text) == "The form expired; please sign in again."
    assert "inbox_session" not in answer.cookies


def test_a_wrong_password_gets_the_same_answer_as_an_unknown_username(inbox: Inbox) -> None:
    wrong_password = inbox.submit_login("ali", "guessing-123")
    nobody = inbox.submit_login("no-such-person", "guessing-123")

    assert wrong_password.status_code == nobody.status_code == 401
    assert login_error(wrong_password.text) == login_error(nobody.text) == "Wrong username or password."
    assert "inbox_session" not in wrong_password.cookies


def test_the_right_password_opens_the_inbox_with_a_strict_http_only_session_cookie(inbox: Inbox) -> None:
    answer = inbox.submit_login("ali", PASSWORDS["ali"])

    assert answer.status_code == 302
    assert answer.headers["Location"] == "/"
    assert {"httponly", "samesite=strict", "path=/"} <= cookie_flags(answer, "inbox_session")
    assert "secure" not in cookie_flags(answer, "inbox_session")  # plain HTTP here: a Secure cookie would never come back
    me = requests.get(f"{inbox.url}/api/me", cookies={"inbox_session": answer.cookies["inbox_session"]}, timeout=10)
    assert me.json() == {"username": "ali", "name": "Ali Khan", "role": "agent"}


def test_behind_https_the_cookies_are_marked_secure(tmp_path: Path) -> None:
    with running_inbox(tmp_path, INBOX_SECURE_COOKIES="1") as inbox:
        assert "secure" in cookie_flags(inbox.login_form(), "inbox_login_csrf")
        answer = inbox.submit_login("maria", PASSWORDS["maria"])
        assert answer.status_code == 302
        assert {"secure", "httponly", "samesite=strict"} <= cookie_flags(answer, "inbox_session")


def test_the_database_keeps_only_a_hash_of_the_session_cookie(inbox: Inbox) -> None:
    ali = inbox.sign_in("ali")

    rows = inbox.session_rows()
    assert hashlib.sha256(ali.cookie.encode()).hexdigest() in {row["token_hash"] for row in rows}
    assert not [row for row in rows if any(ali.cookie in str(value) for value in row.values())]
    files = [path for path in inbox.data_dir.glob("hitl.db*") if path.is_file()]
    assert files and not [path.name for path in files if ali.cookie.encode() in path.read_bytes()]


def test_signing_out_ends_the_session_for_the_old_cookie_too(inbox: Inbox) -> None:
    ali = inbox.sign_in("ali")
    assert ali.get("/api/me").status_code == 200

    answer = requests.post(f"{inbox.url}/logout", data={"csrf": ali.csrf}, cookies={"inbox_session": ali.cookie},
                           allow_redirects=False, timeout=10)

    assert answer.status_code == 302
    assert answer.headers["Location"] == "/login"
    assert ali.get("/api/me").status_code == 401
    assert hashlib.sha256(ali.cookie.encode()).hexdigest() not in {row["token_hash"] for row in inbox.session_rows()}


# -- nothing without a session -------------------------------------------------------------------


def test_every_api_route_answers_401_json_without_a_session(inbox: Inbox) -> None:
    routes = {(route.method, route.resource.canonical.replace("{id}", "1")) for route in inbox.app.router.routes()
              if route.resource and route.resource.canonical.startswith("/api/") and route.method != "HEAD"}
    assert ("GET", "/api/me") in routes and ("POST", "/api/approvals/1/approve") in routes

    answers = {f"{method} {path}": requests.request(method, f"{inbox.url}{path}", json={}, timeout=10)
               for method, path in sorted(routes)}

    assert {route: (answer.status_code, answer.json()) for route, answer in answers.items()} == {
        route: (401, SIGN_IN_FIRST) for route in answers}


def test_the_inbox_page_without_a_session_sends_you_to_sign_in(inbox: Inbox) -> None:
    answer = requests.get(f"{inbox.url}/", allow_redirects=False, timeout=10)

    assert answer.status_code == 302
    assert answer.headers["Location"] == "/login"


# -- CSRF and cross-site requests ----------------------------------------------------------------


@pytest.mark.parametrize("headers", [{}, {"X-CSRF-Token": "a-guess"}, {"X-CSRF-Token": "é"}],
                         ids=["no-token", "wrong-token", "not-ascii-token"])
def test_a_claim_without_the_sessions_csrf_token_is_refused_and_changes_nothing(inbox: Inbox,
                                                                                 headers: Dict[str, str]) -> None:
    ali = inbox.sign_in("ali")
    ticket_id = inbox.new_ticket("agent")

    answer = ali.post(f"/api/tickets/{ticket_id}/claim", {"version": 1}, headers=headers)

    assert answer.status_code == 403
    assert answer.json() == {"error": "missing or wrong CSRF token; reload the page"}
    assert ali.ticket(ticket_id)["assignee"] is None
    assert ali.post(f"/api/tickets/{ticket_id}/claim", {"version": 1}).json()["assignee"] == "ali"


def test_a_claim_posted_from_another_site_is_refused_even_with_the_token(inbox: Inbox) -> None:
    ali = inbox.sign_in("ali")
    ticket_id = inbox.new_ticket("agent")

    answer = ali.post(f"/api/tickets/{ticket_id}/claim", {"version": 1},
                      headers={"X-CSRF-Token": ali.csrf, "Origin": "https://evil.example"})

    assert answer.status_code == 403
    assert answer.json() == {"error": "cross-site request refused"}
    assert ali.ticket(ticket_id)["version"] == 1
    same_site = ali.post(f"/api/tickets/{ticket_id}/claim", {"version": 1},
                         headers={"X-CSRF-Token": ali.csrf, "Origin": inbox.url})
    assert same_site.status_code == 200


# -- roles ---------------------------------------------------------------------------------------


def test_an_agent_sees_neither_the_approvals_nor_a_ticket_in_the_senior_queue(inbox: Inbox) -> None:
    ali = inbox.sign_in("ali")
    ticket_id = inbox.new_ticket("senior")

    approvals = ali.get("/api/approvals")
    ticket = ali.get(f"/api/tickets/{ticket_id}")

    assert approvals.status_code == 403
    assert approvals.json() == {"error": "approvals are for seniors and managers"}
    assert ticket.status_code == 403
    assert "in the senior queue, which an agent can't see" in ticket.json()["error"]
    assert ticket_id not in [t["id"] for t in ali.get("/api/tickets").json()]


def test_a_senior_cannot_assign_a_senior_queue_ticket_to_an_agent(inbox: Inbox) -> None:
    sofia = inbox.sign_in("sofia")
    ticket_id = inbox.new_ticket("senior")

    answer = sofia.post(f"/api/tickets/{ticket_id}/assign", {"version": 1, "username": "ali"})

    assert answer.status_code == 400
    assert answer.json() == {"error": "Ali Khan is an agent and can't work on the senior queue; transfer the ticket first"}
    assert sofia.ticket(ticket_id)["assignee"] is None


def test_an_admin_reads_approvals_but_approving_is_refused_with_the_reason(inbox: Inbox) -> None:
    admin = inbox.sign_in("admin")
    approval_id = inbox.new_approval("manager")
    seen = admin.get(f"/api/approvals/{approval_id}").json()
    why = "an admin approves nothing: a senior or a manager may approve $700.00"
    assert seen["can"]["approve"] is False and seen["cannot_because"] == why

    answer = admin.post(f"/api/approvals/{approval_id}/approve", {"version": seen["version"]})

    assert answer.status_code == 403
    assert answer.json()["error"].endswith(why)
    assert admin.get(f"/api/approvals/{approval_id}").json()["status"] == "pending"


def test_an_admin_handing_back_approved_is_a_403_that_says_who_may_and_nothing_runs(inbox: Inbox) -> None:
    admin, ali = inbox.sign_in("admin"), inbox.sign_in("ali")
    ticket_id, pending_id = inbox.new_ticket_holding_an_address_change()
    assert admin.post(f"/api/tickets/{ticket_id}/claim", {"version": 1}).status_code == 200
    seen = admin.ticket(ticket_id)
    why = ("an admin approves nothing: an agent, a senior or a manager may sign off an address change; "
           "use Request approval")
    assert (seen["can"]["handback"], seen["can"]["handback_approved"], seen["cannot_approve_because"]) == (True, False, why)

    answer = admin.post(f"/api/tickets/{ticket_id}/handback", {"version": seen["version"], "outcome": "approved", "note": ""})

    assert (answer.status_code, answer.json()) == (403, {"error": why})
    after = admin.ticket(ticket_id)
    assert (after["status"], after["assignee"], after["version"]) == ("assigned", "admin", seen["version"])
    services = inbox.app[DESK].s
    pending = services.pendings.get(pending_id)
    assert pending is not None and pending.stage is Stage.WITH_AGENT and pending.claimed_at is None
    with services.business.session() as session:  # the business ran nothing under its key
        assert session.get(ExecutionRow, pending.idempotency_key) is None
    [refused] = [e for e in services.audit.entries(after["conversation_id"]) if e.event == "sign_off_refused"]
    assert (refused.actor, refused.detail["why"]) == ("admin:admin", why)

    # handed to an agent the policy names, "approved" is on offer again
    assert admin.post(f"/api/tickets/{ticket_id}/assign", {"version": seen["version"], "username": "ali"}).status_code == 200
    offered = ali.ticket(ticket_id)
    assert (offered["can"]["handback_approved"], offered["cannot_approve_because"]) == (True, None)


# -- bad input is a 4xx with a message, never a 500 ----------------------------------------------


@pytest.mark.parametrize(
    ("body", "status", "error"),
    [
        (b"{'version': 1", 400, "the request body is not valid JSON"),
        (b"\xff\xfe not even text", 400, "the request body is not valid JSON"),
        (b"[1]", 400, "the request body must be a JSON object"),
        (b'{"version": "1"}', 400, "'version' must be a whole number"),
        (b'{"version": true}', 400, "'version' must be a whole number"),
        (b"{}", 400, "say which version of the ticket you are acting on ('version')"),
        (b"[" * 100_000, 400, "the request body is nested too deeply (at most 32 levels)"),
        (b'{"version": 1, "x": ' + b'{"a": ' * 100 + b"1" + b"}" * 100 + b"}", 400,
         "the request body is nested too deeply (at most 32 levels)"),
        (b'{"version": ' + b"9" * 5000 + b"}", 400, "the request body has a number with too many digits"),
        (b'{"version": NaN}', 400, "the request body is not valid JSON"),
        (b'{"version": 1, "x": "' + b"y" * 300_000 + b'"}', 413, "the request body is larger than 256 KB: send less"),
    ],
    ids=["broken-json", "not-utf8", "a-list", "version-as-text", "version-as-bool", "no-version",
         "nested-past-the-parser", "nested-deeper-than-anything-we-read", "a-5000-digit-number", "nan", "too-large"],
)
def test_a_malformed_claim_is_a_400_that_says_what_is_wrong(inbox: Inbox, body: bytes, status: int, error: str) -> None:
    ali = inbox.sign_in("ali")
    ticket_id = inbox.new_ticket("agent")

    answer = ali.post(f"/api/tickets/{ticket_id}/claim", raw=body,
                      headers={"X-CSRF-Token": ali.csrf, "Content-Type": "application/json"})

    assert (answer.status_code, answer.json()) == (status, {"error": error})


@pytest.mark.parametrize(
    ("amount", "error"),
    [
        ("0,0,1", 'I couldn\'t read "0,0,1": commas only separate thousands, as in 1,250.00. Write it like 12.50.'),
        ("$-5", '"$-5" is below zero: an amount must be more than $0.00. Write it like 12.50.'),
        (12.345, '"12.345" has more than two decimals: amounts are in dollars and cents. Write it like 12.50.'),
        (-5, '"-5" is below zero: an amount must be more than $0.00. Write it like 12.50.'),
    ],
    ids=["bad-thousands", "negative", "three-decimals-as-a-number", "negative-number"],
)
def test_a_modify_with_an_amount_that_cant_be_taken_is_a_400_that_says_what_to_write(inbox: Inbox, amount: Any,
                                                                                      error: str) -> None:
    maria = inbox.sign_in("maria")
    approval_id = inbox.new_approval("manager")
    seen = maria.get(f"/api/approvals/{approval_id}").json()

    answer = maria.post(f"/api/approvals/{approval_id}/modify",
                        {"version": seen["version"], "amount": amount, "reason": "box missing"})

    assert (answer.status_code, answer.json()) == (400, {"error": error})
    after = maria.get(f"/api/approvals/{approval_id}").json()
    assert (after["status"], after["version"], after["amount"]) == ("pending", seen["version"], "$700.00")


def test_an_unknown_ticket_is_a_404(inbox: Inbox) -> None:
    maria = inbox.sign_in("maria")

    assert maria.get("/api/tickets/no-such-ticket").status_code == 404
    claimed = maria.post("/api/tickets/no-such-ticket/claim", {"version": 1})
    assert (claimed.status_code, claimed.json()) == (404, {"error": "there is no ticket no-such-ticket"})


def test_claiming_with_a_stale_version_is_a_409_that_says_who_was_first(inbox: Inbox) -> None:
    ali, sofia = inbox.sign_in("ali"), inbox.sign_in("sofia")
    ticket_id = inbox.new_ticket("agent")
    seen_by_sofia = sofia.ticket(ticket_id)["version"]
    assert ali.post(f"/api/tickets/{ticket_id}/claim", {"version": 1}).status_code == 200

    answer = sofia.post(f"/api/tickets/{ticket_id}/claim", {"version": seen_by_sofia})

    assert answer.status_code == 409
    assert "changed since you opened it (now with ali)" in answer.json()["error"]
    assert sofia.ticket(ticket_id)["assignee"] == "ali"


@pytest.mark.parametrize(
    ("message_id", "status", "error"),
    [
        ("twelve", 400, "a message id is a number"),
        ("-1", 400, "a message id is a number"),
        ("١٢", 400, "a message id is a number"),  # Arabic-Indic digits: int() would take them
        ("99999999999999999999999", 404, "there is no message 99999999999999999999999"),  # beyond any SQL integer
        ("424242", 404, "there is no message 424242"),
    ],
)
def test_retrying_a_message_that_cannot_exist_is_a_4xx(inbox: Inbox, message_id: str, status: int, error: str) -> None:
    ali = inbox.sign_in("ali")

    answer = ali.post(f"/api/messages/{message_id}/retry")

    assert (answer.status_code, answer.json()) == (status, {"error": error})


# -- the websocket -------------------------------------------------------------------------------


def test_the_websocket_refuses_the_upgrade_without_a_session_or_from_another_site(inbox: Inbox) -> None:
    ali = inbox.sign_in("ali")

    async def handshake(person: Optional[Person], **options: Any) -> int:
        async with aiohttp.ClientSession() as session:
            with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
                await connect(session, inbox, person, **options)
            return refused.value.status

    assert asyncio.run(handshake(None)) == 401
    assert asyncio.run(handshake(ali, origin="https://evil.example")) == 403


@pytest.mark.parametrize(
    ("hello", "code"),
    [
        ({"type": "hello", "csrf": "a-guess"}, 4403),
        ({"type": "hello"}, 4403),
        ({"type": "hello", "csrf": 12345}, 4403),
        ({"type": "hello", "csrf": "é"}, 4403),
        ({"type": "ping"}, 4403),
        ("hello, it's me", 4401),
        ("[" * 100_000, 4401),
        ('{"type": "hello", "csrf": ' + "9" * 5000 + "}", 4401),
    ],
    ids=["wrong-csrf", "no-csrf", "csrf-a-number", "csrf-not-ascii", "no-hello", "not-json", "nested-deeply",
         "a-5000-digit-number"],
)
def test_the_websocket_closes_unless_the_first_message_is_a_hello_with_the_csrf_token(inbox: Inbox, hello: Any,
                                                                                       code: int) -> None:
    ali = inbox.sign_in("ali")

    assert asyncio.run(closed_after_hello(inbox, ali, hello)) == code


def test_after_the_hello_the_websocket_answers_ping_and_refuses_anything_else(inbox: Inbox) -> None:
    ali = inbox.sign_in("ali")

    async def scenario() -> List[Dict[str, Any]]:
        async with aiohttp.ClientSession() as session:
            page = await open_page(session, ali)
            await page.ws.send_json({"type": "ping"})
            pong = await page.next()
            await page.ws.send_json({"type": "claim", "id": "anything"})
            refused = await page.next()
            return [pong, refused]

    pong, refused = asyncio.run(scenario())
    assert pong == {"type": "pong"}
    assert refused["type"] == "error" and "changes go through the API" in refused["error"]


def test_a_deeply_nested_or_5000_digit_message_on_the_websocket_is_refused_and_the_page_stays_open(inbox: Inbox) -> None:
    ali = inbox.sign_in("ali")

    async def scenario() -> List[Dict[str, Any]]:
        async with aiohttp.ClientSession() as session:
            page = await open_page(session, ali)
            answers = []
            for message in ("[" * 100_000, '{"type": "ping", "n": ' + "9" * 5000 + "}", '{"type": "ping"}'):
                await page.ws.send_str(message)
                answers.append(await page.next())
            return answers

    assert asyncio.run(scenario()) == [
        {"type": "error", "error": "the message is nested too deeply (at most 32 levels)"},
        {"type": "error", "error": "the message has a number with too many digits"},
        {"type": "pong"},
    ]


def test_a_new_ticket_in_the_agent_queue_is_pushed_to_the_agents_open_page(inbox: Inbox) -> None:
    ali = inbox.sign_in("ali")

    async def scenario() -> tuple:
        async with aiohttp.ClientSession() as session:
            page = await open_page(session, ali)
            ticket_id = inbox.new_ticket("agent")
            return ticket_id, await page.about(ticket_id, within=5)

    ticket_id, pushed = asyncio.run(scenario())
    assert pushed == {"type": "ticket", "id": ticket_id, "change": "created"}


def test_a_ticket_in_the_manager_queue_reaches_the_manager_but_not_the_agent(inbox: Inbox) -> None:
    ali, maria = inbox.sign_in("ali"), inbox.sign_in("maria")

    async def scenario() -> tuple:
        async with aiohttp.ClientSession() as session:
            alis_page, marias_page = await open_page(session, ali), await open_page(session, maria)
            ticket_id = inbox.new_ticket("manager")
            to_maria = await marias_page.about(ticket_id, within=5)
            return ticket_id, to_maria, await alis_page.about(ticket_id, within=2)

    ticket_id, to_maria, to_ali = asyncio.run(scenario())
    assert to_maria == {"type": "ticket", "id": ticket_id, "change": "created"}
    assert to_ali is None


def test_a_new_approval_is_pushed_to_managers_only(inbox: Inbox) -> None:
    ali, sofia, maria = inbox.sign_in("ali"), inbox.sign_in("sofia"), inbox.sign_in("maria")

    async def scenario() -> tuple:
        async with aiohttp.ClientSession() as session:
            pages = {person.username: await open_page(session, person) for person in (ali, sofia, maria)}
            approval_id = inbox.new_approval("manager")
            to_maria = await pages["maria"].about(approval_id, within=5)
            others = {name: await pages[name].about(approval_id, within=1) for name in ("ali", "sofia")}
            return approval_id, to_maria, others

    approval_id, to_maria, others = asyncio.run(scenario())
    assert to_maria == {"type": "approval", "id": approval_id, "change": "created"}
    assert others == {"ali": None, "sofia": None}


# -- a page that stops reading, sessions that end -----------------------------------------------


class NeverReads:
    """A page's websocket whose reader is gone: pushes and the close frame wait forever."""

    closed = False

    async def send_json(self, data: Any) -> None:
        await asyncio.Event().wait()

    async def close(self, **_: Any) -> bool:
        await asyncio.Event().wait()
        return True


class Connection:
    aborted = False

    def abort(self) -> None:
        self.aborted = True


def test_a_page_that_stops_reading_is_dropped_and_holds_up_no_one_elses_pushes(inbox: Inbox) -> None:
    maria = inbox.sign_in("maria")
    connection = Connection()
    stuck = Page(NeverReads(), User("maria", "Maria Lopez", Role.MANAGER), "a-session", connection)  # type: ignore[arg-type]

    async def scenario() -> tuple:
        async with aiohttp.ClientSession() as session:
            page = await open_page(session, maria)
            inbox.app[SOCKETS].add(stuck)
            inbox.new_ticket("manager")  # the stuck page can't take this one
            second = inbox.new_ticket("manager")
            return second, await page.about(second, within=2 * PUSH_TIMEOUT + 3)

    try:
        second, pushed = asyncio.run(scenario())
        eventually(lambda: stuck not in inbox.app[SOCKETS], 2 * PUSH_TIMEOUT + 3, "the stuck page was dropped")
    finally:
        inbox.app[SOCKETS].discard(stuck)
    assert pushed == {"type": "ticket", "id": second, "change": "created"}
    assert connection.aborted  # cut off: a close frame would never be read


def close_code_within(ws: aiohttp.ClientWebSocketResponse, seconds: float) -> Callable[[], Awaitable[Optional[int]]]:
    """The code of the server's close frame (``ws.close_code`` may say 1006: its reply found the socket gone)."""
    async def wait() -> Optional[int]:
        while True:
            message = await ws.receive(timeout=seconds)
            if message.type == aiohttp.WSMsgType.CLOSE:
                return message.data
            if message.type in (aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.CLOSING):
                return ws.close_code
    return wait


def test_signing_out_closes_the_sessions_open_pages_and_no_others(inbox: Inbox) -> None:
    ali, sofia = inbox.sign_in("ali"), inbox.sign_in("sofia")

    async def scenario() -> tuple:
        async with aiohttp.ClientSession() as session:
            alis, sofias = await open_page(session, ali), await open_page(session, sofia)
            answer = await asyncio.to_thread(requests.post, f"{inbox.url}/logout", data={"csrf": ali.csrf},
                                             cookies={"inbox_session": ali.cookie}, allow_redirects=False, timeout=10)
            assert answer.status_code == 302
            code = await close_code_within(alis.ws, 5)()
            await sofias.ws.send_json({"type": "ping"})
            return code, await sofias.next()

    code, sofia_hears = asyncio.run(scenario())
    assert code == 4401
    assert sofia_hears == {"type": "pong"}


def expire(inbox: Inbox, person: Person) -> None:
    with Session(inbox.engine) as session:
        session.execute(update(InboxSessionRow).where(InboxSessionRow.token_hash == token_hash(person.cookie))
                        .values(expires_at=datetime(2000, 1, 1, tzinfo=timezone.utc)))
        session.commit()


def test_a_page_whose_session_expired_is_closed_at_its_next_message(inbox: Inbox) -> None:
    ali = inbox.sign_in("ali")

    async def scenario() -> Optional[int]:
        async with aiohttp.ClientSession() as session:
            page = await open_page(session, ali)
            expire(inbox, ali)
            await page.ws.send_json({"type": "ping"})
            return await close_code_within(page.ws, 5)()

    assert asyncio.run(scenario()) == 4401


def test_a_quiet_page_whose_session_ended_is_closed_by_the_periodic_check(inbox: Inbox,
                                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(websocket_hub, "SESSION_CHECK_EVERY", 0.2)
    ali = inbox.sign_in("ali")

    async def scenario() -> Optional[int]:
        async with aiohttp.ClientSession() as session:
            page = await open_page(session, ali)
            expire(inbox, ali)
            return await close_code_within(page.ws, 5)()  # the page says nothing

    assert asyncio.run(scenario()) == 4401


# -- who may read what, and what a field may hold -----------------------------------------------


def test_the_list_of_people_is_for_those_who_assign_work(inbox: Inbox) -> None:
    ali, sofia = inbox.sign_in("ali"), inbox.sign_in("sofia")

    refused = ali.get("/api/users")

    assert (refused.status_code, refused.json()) == (403, {"error": "the list of people is for seniors, managers and admins"})
    assert {"username": "ali", "name": "Ali Khan", "role": "agent"} in sofia.get("/api/users").json()


@pytest.mark.parametrize(("verb", "body", "field"), [
    ("notes", {"text": {"a": 1}}, "text"),
    ("reply", {"text": ["Hi"]}, "text"),
    ("reply", {"text": 42}, "text"),
    ("transfer", {"version": 2, "queue": True, "note": "over to seniors"}, "queue"),
    ("close", {"version": 2, "resolution": {"done": True}}, "resolution"),
])
def test_a_field_that_should_be_text_but_is_not_is_refused_with_its_name(inbox: Inbox, verb: str, body: Dict[str, Any],
                                                                         field: str) -> None:
    ali = inbox.sign_in("ali")
    ticket_id = inbox.new_ticket("agent")
    assert ali.post(f"/api/tickets/{ticket_id}/claim", {"version": 1}).status_code == 200

    answer = ali.post(f"/api/tickets/{ticket_id}/{verb}", body)

    assert (answer.status_code, answer.json()) == (400, {"error": f"'{field}' must be text"})
    assert [m for m in ali.ticket(ticket_id)["messages"] if m["kind"] in ("agent", "note")] == []


@pytest.mark.parametrize("body", [{"text": "a\x00b"}, {"text": "fine", "extra": [{"deep": "\x00"}]},
                                  {"te\x00xt": "fine"}], ids=["value", "nested", "key"])
def test_text_with_a_nul_character_is_a_400(inbox: Inbox, body: Dict[str, Any]) -> None:
    ali = inbox.sign_in("ali")
    ticket_id = inbox.new_ticket("agent")
    assert ali.post(f"/api/tickets/{ticket_id}/claim", {"version": 1}).status_code == 200

    answer = ali.post(f"/api/tickets/{ticket_id}/notes", body)

    assert (answer.status_code, answer.json()) == (400, {"error": "text must not contain NUL characters"})


def test_text_with_a_lone_surrogate_is_a_400_not_a_500(inbox: Inbox) -> None:
    ali = inbox.sign_in("ali")
    ticket_id = inbox.new_ticket("agent")
    assert ali.post(f"/api/tickets/{ticket_id}/claim", {"version": 1}).status_code == 200

    answer = ali.post(f"/api/tickets/{ticket_id}/notes", raw=b'{"text": "half an emoji \\ud83d"}',
                      headers={"X-CSRF-Token": ali.csrf, "Content-Type": "application/json"})

    assert answer.status_code == 400
    assert answer.json()["error"].startswith("text must be valid Unicode")


# -- start-up and what is read once --------------------------------------------------------------


def test_health_answers_ok(inbox: Inbox) -> None:
    answer = requests.get(f"{inbox.url}/health", timeout=10)

    assert (answer.status_code, answer.json()) == (200, {"status": "ok"})


def test_the_sign_in_is_audited_off_the_event_loop(inbox: Inbox, monkeypatch: pytest.MonkeyPatch) -> None:
    audit = inbox.app[DESK].s.audit
    threads: List[str] = []
    append = audit.append

    def recording(entry: Any) -> None:
        threads.append(threading.current_thread().name)
        append(entry)

    monkeypatch.setattr(audit, "append", recording)
    inbox.sign_in("sofia")

    assert len(threads) == 1
    assert threads[0] != SERVER_THREAD  # the event loop's thread: a slow database would stall every page


def test_pages_and_canned_replies_are_read_at_start_not_per_request(inbox: Inbox, monkeypatch: pytest.MonkeyPatch) -> None:
    ali = inbox.sign_in("ali")
    read: List[str] = []
    read_text = Path.read_text

    def recording(self: Path, *args: Any, **kwargs: Any) -> str:
        read.append(self.name)
        return read_text(self, *args, **kwargs)

    monkeypatch.setattr(Path, "read_text", recording)
    pages = [inbox.login_form(), ali.get("/"), ali.get("/api/canned")]

    assert [page.status_code for page in pages] == [200, 200, 200]
    assert pages[2].json() and read == []


def test_without_the_demo_there_is_no_chat_page_and_no_demo_login(tmp_path: Path) -> None:
    with running_inbox(tmp_path, HITL_DEMO="") as inbox:
        assert requests.get(f"{inbox.url}/chat", timeout=10).status_code == 404
        assert requests.get(f"{inbox.url}/chat?as=jane", timeout=10).status_code == 404
        assert inbox.submit_login("ali", PASSWORDS["ali"]).status_code == 401
        assert inbox.login_form().status_code == 200


def test_the_demo_serves_the_chat_page_where_every_demo_customer_can_be_picked(inbox: Inbox) -> None:
    page = requests.get(f"{inbox.url}/chat", timeout=10)
    assert page.status_code == 200
    for key, name in [("jane", "Jane Doe"), ("sam", "Sam Lee"), ("priya", "Priya Patel"), ("leo", "Leo Martin"),
                      ("bistro", "Harbor Bistro Ltd")]:
        assert f'<a href="/chat?as={key}">{name}</a>' in page.text


def test_an_agent_who_transfers_a_ticket_to_the_seniors_is_told_it_left_their_queue(inbox: Inbox) -> None:
    ali = inbox.sign_in("ali")
    ticket_id = inbox.new_ticket("agent")
    assert ali.post(f"/api/tickets/{ticket_id}/claim", {"version": 1}).status_code == 200

    moved = ali.post(f"/api/tickets/{ticket_id}/transfer", {"version": 2, "queue": "senior", "note": "refund dispute"})

    assert (moved.status_code, moved.json()) == (200, {"id": ticket_id, "gone": True, "queue": "senior", "status": "open"})
    assert ali.get(f"/api/tickets/{ticket_id}").status_code == 403
    assert inbox.sign_in("sofia").ticket(ticket_id)["messages"][-1]["text"] == "Transferred to the senior queue: refund dispute"


def test_after_five_wrong_passwords_a_username_waits_even_with_the_right_one(inbox: Inbox) -> None:
    for _ in range(5):
        assert inbox.submit_login("david", "guessing-123").status_code == 401

    blocked = inbox.submit_login("david", PASSWORDS["david"])

    assert blocked.status_code == 429
    assert login_error(blocked.text) == "Too many wrong passwords for this username: try again in 15 minutes."
    assert "inbox_session" not in blocked.cookies
    assert inbox.submit_login("maria", PASSWORDS["maria"]).status_code == 302  # other people are not held up
