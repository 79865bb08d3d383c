"""Only the Rasa server may call the action server: a takeover attempt runs nothing.

An action call carries a whole tracker, and the tracker names the customer. Someone who
reaches the action server's port posts a made-up tracker for Jane: "what's my balance?", then
"yes" to the refund she is being asked about. The real action server process runs here on a
free port with its own data folder; the checks look at what would have changed (pending
actions, the business, tickets, the audit log), not only at the status code.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Set, Tuple

import pytest

from actions.acme.sqlite_backend import SqlBusiness
from actions.settings import PROJECT_ROOT
from actions.store.database import make_engine
from actions.store.sql import SqlAuditLog, SqlHandoffQueue, SqlPendingStore
from bot.stack import free_port
from tests.support.action_calls import action_call
from tests.support.waiting import eventually

JANE = "customer-C001"  # her conversation, as the channels key it
SECRET = "rasa-and-the-action-server-share-this-0123456789"


class ActionServer:
    def __init__(self, process: subprocess.Popen, port: int, data_dir: Path, log: Path) -> None:
        self.process, self.port, self.data_dir, self.log = process, port, data_dir, log
        engine = make_engine(f"sqlite:///{data_dir / 'hitl.db'}")
        self.audit, self.pending, self.handoffs = SqlAuditLog(engine), SqlPendingStore(engine), SqlHandoffQueue(engine)
        self.business = SqlBusiness(f"sqlite:///{data_dir / 'acme.db'}")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def call(self, method: str, path: str, body: Optional[dict] = None,
             authorization: Optional[str] = None) -> Tuple[int, Any]:
        headers = {"Content-Type": "application/json", **({"Authorization": authorization} if authorization else {})}
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.url + path, data=data, headers=headers, method=method)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as refused:
            return refused.code, json.loads(refused.read() or b"null")

    def run_action(self, action: str, text: str, intent: str, authorization: Optional[str]) -> Tuple[int, Any]:
        return self.call("POST", "/webhook", action_call(action, JANE, text, intent), authorization)

    def what_jane_has(self) -> Dict[str, Any]:
        """Everything a call on Jane's behalf could change or leave behind."""
        pending = self.pending.awaiting_customer(JANE)
        order = next(o for o in self.business.orders("C001") if o.id == "1001")
        return {
            "audit": [(e.event, e.outcome) for e in self.audit.entries(JANE)],
            "pending": (pending.id, pending.stage) if pending else None,
            "refunded": order.refunded_cents,
            "balance": self.business.get_customer("C001").balance_cents,
            "ticket": self.handoffs.open_for(JANE),
        }


def listening_addresses(port: int) -> Set[str]:
    """The IPv4 addresses a socket listens on at ``port``, read from the kernel's table."""
    addresses = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        local, state = line.split()[1], line.split()[3]
        hex_address, hex_port = local.split(":")
        if state == "0A" and int(hex_port, 16) == port:  # 0A: LISTEN
            addresses.add(".".join(str(b) for b in reversed(bytes.fromhex(hex_address))))
    return addresses


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(url + "/health", timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ActionServer]:
    data_dir = tmp_path_factory.mktemp("actions")
    port, log = free_port(), data_dir / "actions.log"
    env = {k: v for k, v in os.environ.items() if k not in ("ACTIONS_HOST", "HITL_ACTIONS_SECRET")}
    with log.open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "actions", "--port", str(port)], cwd=PROJECT_ROOT, stdout=output,
            stderr=subprocess.STDOUT, env={**env, "HITL_DATA_DIR": str(data_dir), "HITL_ACTIONS_SECRET": SECRET},
        )
    running = ActionServer(process, port, data_dir, log)
    try:
        eventually(lambda: process.poll() is not None or _healthy(running.url), 90, "the action server answers /health")
        assert process.poll() is None, log.read_text()[-3000:]
        yield running
    finally:
        process.terminate()
        process.wait(timeout=15)


def test_a_made_up_tracker_for_jane_without_the_secret_runs_nothing(server: ActionServer) -> None:
    # Jane (through Rasa, holding the secret) is asked to confirm a $20 refund
    status, proposed = server.run_action("action_refund", "refund $20 for order 1001", "request_refund", f"Bearer {SECRET}")
    assert status == 200 and "Reply YES" in proposed["responses"][0]["text"]
    before = server.what_jane_has()
    assert before["pending"] is not None and before["refunded"] == 0

    attempts: List[Tuple[int, Any]] = []
    for authorization in (None, "Bearer not-the-secret-0123456789-0123456789-0123", SECRET, f"Basic {SECRET}"):
        attempts.append(server.run_action("action_account_balance", "what's my balance?", "ask_balance", authorization))
        attempts.append(server.run_action("action_pending_reply", "yes", "affirm", authorization))
        attempts.append(server.run_action("action_handoff", "I want to talk to a person", "request_human", authorization))

    assert {status for status, _ in attempts} == {401}
    assert all(set(body) == {"error"} and "secret" in body["error"] for _, body in attempts)  # no balance, no reply
    assert server.what_jane_has() == before  # nothing confirmed, refunded, ticketed or audited

    status, done = server.run_action("action_pending_reply", "yes", "affirm", f"Bearer {SECRET}")
    assert status == 200 and "Refunded $20.00" in done["responses"][0]["text"]
    assert server.what_jane_has()["refunded"] == 2000  # the same call with the secret really runs


def test_the_list_of_actions_is_shown_only_to_the_secret_holder(server: ActionServer) -> None:
    assert server.call("GET", "/actions")[0] == 401
    assert server.call("GET", "/actions", authorization="Bearer wrong")[0] == 401
    status, actions = server.call("GET", "/actions", authorization=f"Bearer {SECRET}")
    assert status == 200 and {"name": "action_refund"} in actions


def test_the_health_check_stays_open_and_says_nothing_else(server: ActionServer) -> None:
    assert server.call("GET", "/health") == (200, {"status": "ok"})


def test_a_refused_call_is_logged_without_the_secret(server: ActionServer) -> None:
    server.run_action("action_account_balance", "what's my balance?", "ask_balance", "Bearer a-guess")
    server.run_action("action_account_balance", "what's my balance?", "ask_balance", None)

    log = server.log.read_text()
    assert "refused a call to /webhook from 127.0.0.1: wrong secret" in log
    assert "refused a call to /webhook from 127.0.0.1: no secret" in log
    assert SECRET not in log and "a-guess" not in log


def test_the_action_server_listens_on_loopback_only_by_default(server: ActionServer) -> None:
    assert listening_addresses(server.port) == {"127.0.0.1"}
