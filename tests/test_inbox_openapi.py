"""The inbox's API against its OpenAPI description (``handoff/openapi.yaml``).

The description names every route the application registers and no other, and the inbox
serves it to people signed in. Then schemathesis generates requests from it against the running inbox (in this
process, on a free port, with tickets and approvals waiting), signed in as a manager with the
session's CSRF token as the page sends it: no answer is a 500, every answer's status, content
type and body are ones the description gives, a request the description calls invalid (or one
without the session) is refused, and a refused request (4xx) changes nothing people work with.
Whatever an open page sends on the websocket, it gets a pong or words, and the socket stays open.
A request the description allows may still be refused by the inbox's rules (going on duty
without a phone, text a database can't store): that is a 400 with words, so schemathesis's
"positive data is accepted" check is the one left out.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any, Dict, Iterator, Set, Tuple

import aiohttp
import pytest
import requests
import schemathesis
from schemathesis.checks import positive_data_acceptance
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from actions.settings import Settings
from bot.stack import free_port
from handoff.app import create_app
from tests.support.inbox import Inbox, Person, running_inbox

SPEC = yaml.safe_load((Path(__file__).parents[1] / "handoff" / "openapi.yaml").read_text(encoding="utf-8"))
#: What people work with, as (table, columns): a refused request must leave each as it was. The
#: delivery worker and the timers write other columns (a delivery's state) in the background.
WATCHED = (
    ("handoff_requests", "id, status, assignee, queue, version, outcome, resolution"),
    ("ticket_messages", "id, ticket_id, kind, author, text, channel"),
    ("approval_requests", "id, status, version, decided_by, amount_cents"),
    ("pending_actions", "id, stage"),
    ("inbox_users", "username, role"),
    ("inbox_sessions", "token_hash"),
)
#: Left alone: the pages and the websocket (HTML and redirects, tested with the pages) and signing
#: out (it would end the session the run signs in with).
NOT_FUZZED = "^/(|logout|ws|chat)$"


def registered_routes(app: Any) -> Set[Tuple[str, str]]:
    """(method, path) of every route, without aiohttp's automatic HEAD and the static files' prefix."""
    found = set()
    for route in app.router.routes():
        info = route.resource.get_info() if route.resource is not None else {}
        if "prefix" in info or route.method == "HEAD":
            continue
        found.add((route.method.lower(), route.resource.canonical))
    return found


def described_routes() -> Set[Tuple[str, str]]:
    return {(method, path) for path, item in SPEC["paths"].items() for method in item}


def test_every_route_the_inbox_registers_is_described_and_nothing_else(tmp_path: Path) -> None:
    settings = Settings.from_env({"HITL_DATA_DIR": str(tmp_path), "HITL_DEMO": "1",
                                  "RASA_URL": f"http://127.0.0.1:{free_port()}"})

    registered = registered_routes(create_app(settings))

    assert registered - described_routes() == set(), "routes missing from handoff/openapi.yaml"
    assert described_routes() - registered == set(), "handoff/openapi.yaml describes routes the inbox has not"


@pytest.fixture(scope="module")
def inbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Inbox]:
    with running_inbox(tmp_path_factory.mktemp("inbox-openapi")) as started:
        for _ in range(3):
            started.new_ticket()
            started.new_approval()
        started.new_ticket_holding_an_address_change()
        yield started


@pytest.fixture(scope="module")
def maria(inbox: Inbox) -> Person:
    return inbox.sign_in("maria")


def test_the_inbox_serves_its_description_to_people_signed_in(inbox: Inbox, maria: Person) -> None:
    answer = maria.get("/api/openapi.json")

    assert answer.status_code == 200 and answer.json() == SPEC
    assert requests.get(f"{inbox.url}/api/openapi.json", timeout=10).status_code == 401


def snapshot(inbox: Inbox) -> Dict[str, Any]:
    with inbox.engine.connect() as db:
        return {table: sorted(tuple(row) for row in db.execute(text(f"SELECT {columns} FROM {table}")))
                for table, columns in WATCHED}


#: Who the run is signed in as: schemathesis asks for it for each request it sends, and leaves it
#: out (or spoils it) to check that the inbox then refuses the request.
SIGNED_IN: Dict[str, Person] = {}


@schemathesis.auth(refresh_interval=None, retry_on=[])
class SignedIn:
    """The session cookie and the CSRF token, as the inbox page sends them."""

    def get(self, case: Any, context: Any) -> Person:
        return SIGNED_IN["person"]

    def set(self, case: Any, data: Person, context: Any) -> None:
        case.cookies = {**(case.cookies or {}), "inbox_session": data.cookie}
        case.headers = {**(case.headers or {}), "X-CSRF-Token": data.csrf}


@pytest.fixture(scope="module")
def api_schema(inbox: Inbox, maria: Person) -> Any:
    SIGNED_IN["person"] = maria
    schema = schemathesis.openapi.from_dict(SPEC)
    schema.config.update(base_url=inbox.url)
    return schema


schema = schemathesis.pytest.from_fixture("api_schema").exclude(path_regex=NOT_FUZZED)


@schema.parametrize()
@settings(max_examples=max(5, settings.default.max_examples // 3), suppress_health_check=list(HealthCheck))
def test_no_request_gets_a_500_or_an_answer_the_description_does_not_give(case: Any, inbox: Inbox) -> None:
    before = snapshot(inbox)

    response = case.call_and_validate(allow_redirects=False, excluded_checks=[positive_data_acceptance])

    if 400 <= response.status_code < 500:
        assert snapshot(inbox) == before, f"a refused {case.method} {case.formatted_path} changed what people work with"


# -- the websocket, which an OpenAPI description can't drive -------------------------------------

#: What a page might send once it is ready: any JSON, broken JSON, deep nesting, huge numbers.
frames = st.one_of(
    st.text(max_size=200),
    st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=20),
                 lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
                 max_leaves=8).map(json.dumps),
    st.sampled_from(["[" * 5000, '{"type": "ping", "n": ' + "9" * 5000 + "}", '{"type": NaN}', '{"type": "ping"}']),
)


@given(sent=frames)
@settings(max_examples=max(5, settings.default.max_examples // 2), suppress_health_check=list(HealthCheck))
def test_whatever_an_open_page_sends_it_gets_a_pong_or_words_and_stays_open(inbox: Inbox, maria: Person,
                                                                          sent: str) -> None:
    async def exchange() -> Dict[str, Any]:
        async with aiohttp.ClientSession() as client:
            ws = await client.ws_connect(f"{inbox.url}/ws", headers={"Cookie": f"inbox_session={maria.cookie}"})
            await ws.send_json({"type": "hello", "csrf": maria.csrf})
            assert await ws.receive_json(timeout=10) == {"type": "ready"}
            await ws.send_str(sent)
            answer = await ws.receive_json(timeout=10)
            await ws.send_json({"type": "ping"})  # still open, still answering
            assert await ws.receive_json(timeout=10) == {"type": "pong"}
            await ws.close()
            return answer

    answer = asyncio.run(exchange())

    assert answer == {"type": "pong"} or (answer["type"] == "error" and answer["error"])


# -- what schemathesis found, each answered with words now ----------------------------------------


def test_a_login_form_sent_as_multipart_without_its_boundary_is_a_400(inbox: Inbox) -> None:
    answer = requests.post(f"{inbox.url}/login", data=b"username=maria&password=x&csrf=y", timeout=10,
                           headers={"Content-Type": "multipart/form-data"}, allow_redirects=False)

    assert answer.status_code == 400
    assert "send it as application/x-www-form-urlencoded" in answer.json()["error"]


def test_a_cookie_header_that_cannot_be_read_is_a_400_not_a_500(inbox: Inbox, maria: Person) -> None:
    before = snapshot(inbox)

    answer = requests.post(f"{inbox.url}/api/tickets/any/claim", json={"version": 1}, timeout=10,
                           headers={"Cookie": f"inbox_session={maria.cookie}; $=broken", "X-CSRF-Token": maria.csrf})

    assert answer.status_code == 400 and "clear this site's cookies" in answer.json()["error"]
    assert snapshot(inbox) == before
