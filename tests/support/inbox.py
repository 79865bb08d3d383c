"""The shared inbox started for real on a free port, and the people who sign in to it.

``running_inbox`` starts it as ``python -m handoff`` does (``HITL_DEMO=1``, so the demo people
exist), with Rasa's address on a port nobody listens on; extra environment variables (such as
``DATABASE_URL``) go to its settings. Tickets and approvals are raised the way the action server
raises them, through its SQL stores on the same database. A ``Person`` signs in through the
login form and keeps their cookie and CSRF token, exactly as a browser would.
"""

from __future__ import annotations

import re
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List, Optional, Tuple

import requests
from aiohttp import web
from sqlalchemy import text
from sqlalchemy.engine import Engine

from actions.domain.approval import Approval
from actions.domain.business import ActionRequest
from actions.domain.pending import PendingAction, Stage, action_digest
from actions.domain.ticket import Ticket
from actions.settings import Settings
from actions.store.database import make_engine
from actions.store.sql import SqlApprovalQueue, SqlHandoffQueue, SqlPendingStore
from bot.stack import free_port
from handoff.app import create_app
from handoff.demo_users import DEMO_USERS
from tests.support.serve import serve_in_thread

PASSWORDS = {username: password for username, _, _, password in DEMO_USERS}
THE_FORMS_TOKEN = "<the token the login form carries>"


@dataclass
class Inbox:
    url: str
    app: web.Application
    engine: Engine
    data_dir: Path

    def login_form(self) -> requests.Response:
        return requests.get(f"{self.url}/login", timeout=10)

    def submit_login(self, username: str, password: str, csrf: Optional[str] = THE_FORMS_TOKEN) -> requests.Response:
        """Post the login form as a browser would: the form's hidden csrf field and its cookie."""
        return self.filled_login(username, password, csrf)()

    def filled_login(self, username: str, password: str,
                     csrf: Optional[str] = THE_FORMS_TOKEN) -> Callable[[], requests.Response]:
        """A login form fetched and filled in; calling the result submits it (so many can be sent at once)."""
        form = self.login_form()
        fields = {"username": username, "password": password}
        if csrf is not None:
            fields["csrf"] = hidden_csrf(form.text) if csrf == THE_FORMS_TOKEN else csrf
        cookie = {"inbox_login_csrf": form.cookies["inbox_login_csrf"]}  # sent even when marked Secure (TLS ends in front)
        return lambda: requests.post(f"{self.url}/login", data=fields, cookies=cookie, allow_redirects=False, timeout=30)

    def sign_in(self, username: str) -> "Person":
        answer = self.submit_login(username, PASSWORDS[username])
        assert answer.status_code == 302, answer.text
        cookie = answer.cookies["inbox_session"]
        page = requests.get(f"{self.url}/", cookies={"inbox_session": cookie}, timeout=10)
        csrf = re.search(r'<meta name="csrf-token" content="([^"]+)">', page.text)
        assert csrf, "the inbox page carries no CSRF token"
        return Person(self, username, cookie, csrf.group(1))

    def new_ticket(self, queue: str = "agent") -> str:
        """The bot hands a conversation to people, as the action server does."""
        ticket_id = str(uuid.uuid4())
        now = datetime.now(timezone.utc)
        SqlHandoffQueue(self.engine).add(Ticket(
            id=ticket_id, conversation_id=f"+1555{uuid.uuid4().int % 10**7:07d}", customer_id="C001",
            topic="complaint", priority="normal", reasons=("customer_asked_for_a_person",), pending_id=None,
            created_at=now, queued_at=now, status="open", queue=queue,
            evidence={"summary": "Jane wants to talk to a person."},
        ))
        return ticket_id

    def new_ticket_holding_an_address_change(self) -> Tuple[str, str]:
        """Jane asked for a person while her address change waited for her YES: it waits on the
        ticket for the person who takes it. Returns the ticket's and the action's ids."""
        now = datetime.now(timezone.utc)
        request = ActionRequest("change_address", "C001", {"order_id": "1002", "address": "5 Pine Road, Springfield"})
        pending = PendingAction(
            id=str(uuid.uuid4()), conversation_id=f"+1555{uuid.uuid4().int % 10**7:07d}", customer_id="C001",
            request=request, headline="Send order 1002 to 5 Pine Road, Springfield",
            summary="Send order 1002 to 5 Pine Road, Springfield instead of 12 High Street.", outcome="confirm",
            tier="medium", reasons=(), policy_version="test", idempotency_key=str(uuid.uuid4()),
            digest=action_digest(request), stage=Stage.WITH_AGENT, created_at=now, expires_at=now + timedelta(minutes=10))
        SqlPendingStore(self.engine).add(pending)
        ticket_id = str(uuid.uuid4())
        SqlHandoffQueue(self.engine).add(Ticket(
            id=ticket_id, conversation_id=pending.conversation_id, customer_id="C001", topic="customer_asked_for_human",
            priority="normal", reasons=("customer_asked_for_a_person",), pending_id=pending.id, created_at=now,
            queued_at=now, status="open", queue="agent", evidence={"summary": "Jane wants a person to check her new address first."},
        ))
        return ticket_id, pending.id

    def new_approval(self, queue: str = "manager", dollars: int = 700) -> str:
        """The bot asks for a sign-off on a refund above its limit."""
        approval_id = str(uuid.uuid4())
        SqlApprovalQueue(self.engine).add(Approval(
            id=approval_id, pending_id=str(uuid.uuid4()), conversation_id="+15550100001", customer_id="C001",
            kind="refund", amount_cents=dollars * 100, summary=f"Refund ${dollars} for order 1003",
            reasons=("amount_above_approval_limit: above the $500.00 limit",),
            requested_at=datetime.now(timezone.utc), queue=queue,
        ))
        return approval_id

    def session_rows(self) -> List[Dict[str, Any]]:
        with self.engine.connect() as connection:
            return [dict(row._mapping) for row in connection.execute(text("SELECT * FROM inbox_sessions"))]


@dataclass
class Person:
    inbox: Inbox
    username: str
    cookie: str
    csrf: str

    def get(self, path: str) -> requests.Response:
        return requests.get(f"{self.inbox.url}{path}", cookies={"inbox_session": self.cookie},
                            allow_redirects=False, timeout=10)

    def post(self, path: str, body: Any = None, *, raw: Optional[bytes] = None,
             headers: Optional[Dict[str, str]] = None) -> requests.Response:
        """A JSON call from the inbox page: the CSRF header unless ``headers`` says otherwise."""
        sent = {"X-CSRF-Token": self.csrf} if headers is None else headers
        return requests.post(f"{self.inbox.url}{path}", json=body if raw is None else None, data=raw,
                             cookies={"inbox_session": self.cookie}, headers=sent, allow_redirects=False, timeout=10)

    def ticket(self, ticket_id: str) -> Dict[str, Any]:
        answer = self.get(f"/api/tickets/{ticket_id}")
        assert answer.status_code == 200, answer.text
        return answer.json()


def hidden_csrf(login_page: str) -> str:
    found = re.search(r'<input type="hidden" name="csrf" value="([^"]*)">', login_page)
    assert found, "the login form has no csrf field"
    return found.group(1)


@contextmanager
def running_inbox(data_dir: Path, **env: str) -> Iterator[Inbox]:
    """The inbox as ``python -m handoff`` starts it, with Rasa's address on a port nobody listens on."""
    settings = Settings.from_env({"HITL_DATA_DIR": str(data_dir), "HITL_DEMO": "1",
                                  "RASA_URL": f"http://127.0.0.1:{free_port()}", **env})
    app = create_app(settings)
    with serve_in_thread(app, timeout=60) as url:
        engine = make_engine(settings.database_url)
        try:
            yield Inbox(url, app, engine, data_dir)
        finally:
            engine.dispose()
