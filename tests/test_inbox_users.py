"""Logins beyond the demo: ``python -m handoff.users`` adds, lists and disables the people who sign in.

The command runs as an operator runs it, in its own process on a temporary data directory
(no demo), then the inbox starts on the same directory and the new person signs in through
the login form. The store's part (disable, end sessions) runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Dict, Iterator, List

import pytest
import requests
from sqlalchemy.engine import Engine

from actions.settings import PROJECT_ROOT
from actions.store.database import make_engine
from handoff import users
from handoff.domain.people import Role, User
from handoff.store import InboxStore
from tests.support.databases import migrated_engine
from tests.support.inbox import running_inbox

PASSWORD = "carol-long-passphrase"
NOW = datetime(2026, 11, 21, 12, 0, tzinfo=timezone.utc)
CAROL = User("carol", "Carol Diaz", Role.SENIOR)


def command_env(data_dir: Path, **extra: str) -> Dict[str, str]:
    """This process's environment without any database or demo settings, on ``data_dir``."""
    env = {key: value for key, value in os.environ.items()
           if key not in ("DATABASE_URL", "HITL_DATABASE_URL", "HITL_DEMO", users.PASSWORD_VARIABLE)}
    return {**env, "HITL_DATA_DIR": str(data_dir), **extra}


def run(data_dir: Path, *args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "handoff.users", *args], cwd=PROJECT_ROOT, env=command_env(data_dir, **env),
                          capture_output=True, text=True, timeout=120)


def test_a_person_added_with_the_command_signs_in_and_once_disabled_is_out(tmp_path: Path) -> None:
    added = run(tmp_path, "add", "Carol", "--name", "Carol Diaz", "--role", "senior", INBOX_NEW_PASSWORD=PASSWORD)
    assert added.returncode == 0, added.stderr
    assert added.stdout.strip() == "added carol (Carol Diaz, senior)"
    listed = run(tmp_path, "list")
    assert listed.stdout.split() == ["carol", "senior", "Carol", "Diaz"]

    with running_inbox(tmp_path, HITL_DEMO="") as inbox:  # no demo: Carol is the only login
        assert inbox.submit_login("ali", "agent-demo-1").status_code == 401
        answer = inbox.submit_login("carol", PASSWORD)
        assert answer.status_code == 302, answer.text
        cookie = {"inbox_session": answer.cookies["inbox_session"]}
        assert requests.get(f"{inbox.url}/api/me", cookies=cookie, timeout=10).json() == {
            "username": "carol", "name": "Carol Diaz", "role": "senior"}

        disabled = run(tmp_path, "disable", "carol")

        assert disabled.returncode == 0, disabled.stderr
        assert disabled.stdout.strip() == "disabled carol; 1 session ended"
        assert requests.get(f"{inbox.url}/api/me", cookies=cookie, timeout=10).status_code == 401
        assert inbox.submit_login("carol", PASSWORD).status_code == 401
    assert run(tmp_path, "list").stdout == ""


def command(data_dir: Path, *args: str, password: str = PASSWORD) -> int:
    """The command in this process (its refusals don't need a process each)."""
    return users.main(list(args), command_env(data_dir, INBOX_NEW_PASSWORD=password))


@pytest.mark.parametrize(("args", "password", "error"), [
    (["add", "dan", "--name", "Dan Ng", "--role", "agent"], "short-pass", "the password needs at least 12 characters"),
    (["add", "dan smith", "--name", "Dan Ng", "--role", "agent"], PASSWORD, "a username is up to 64 lower-case letters"),
    (["add", "dan", "--name", "  ", "--role", "agent"], PASSWORD, "give the person's full name with --name"),
    (["disable", "nobody"], PASSWORD, "there is no user nobody"),
], ids=["short-password", "username-with-a-space", "no-name", "disable-nobody"])
def test_the_command_refuses_what_it_cannot_do_and_says_why(tmp_path: Path, capsys: pytest.CaptureFixture,
                                                            args: List[str], password: str, error: str) -> None:
    assert command(tmp_path, *args, password=password) == 1

    assert capsys.readouterr().err.startswith(error)
    assert command(tmp_path, "list") == 0
    assert capsys.readouterr().out == ""


def test_a_username_is_taken_even_by_a_disabled_login(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    assert command(tmp_path, "add", "erin", "--name", "Erin Park", "--role", "agent") == 0
    assert command(tmp_path, "disable", "erin") == 0
    capsys.readouterr()

    assert command(tmp_path, "add", "erin", "--name", "Someone Else", "--role", "admin") == 1

    assert capsys.readouterr().err.strip() == "the username erin is taken (a disabled login keeps its name)"


def test_an_unknown_role_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    with pytest.raises(SystemExit) as exited:
        command(tmp_path, "add", "dan", "--name", "Dan Ng", "--role", "boss")

    assert exited.value.code == 2
    assert "invalid choice: 'boss'" in capsys.readouterr().err


# -- the password asked for at the terminal ----------------------------------------------------------


def ask_with(monkeypatch: pytest.MonkeyPatch, answers: List[str]) -> List[str]:
    prompts: List[str] = []

    def getpass(prompt: str = "") -> str:
        prompts.append(prompt)
        return answers.pop(0)

    monkeypatch.setattr(users.getpass, "getpass", getpass)
    return prompts


def test_without_the_variable_the_password_is_asked_for_twice(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    prompts = ask_with(monkeypatch, [PASSWORD, PASSWORD])

    assert users.main(["add", "frank", "--name", "Frank Ode", "--role", "manager"], command_env(tmp_path)) == 0

    assert prompts == ["Password for frank (at least 12 characters): ", "The same password again: "]
    store = InboxStore(make_engine(f"sqlite:///{tmp_path / 'hitl.db'}"))
    try:
        assert [u.username for u in store.users()] == ["frank"]
    finally:
        store.engine.dispose()


def test_two_different_passwords_add_no_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                            capsys: pytest.CaptureFixture) -> None:
    ask_with(monkeypatch, [PASSWORD, PASSWORD + "!"])

    assert users.main(["add", "frank", "--name", "Frank Ode", "--role", "manager"], command_env(tmp_path)) == 1

    assert capsys.readouterr().err.strip() == "the two passwords differ; nothing was added"
    assert users.main(["list"], command_env(tmp_path)) == 0
    assert capsys.readouterr().out == ""


# -- the store's part, on both databases -----------------------------------------------------------


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    with migrated_engine(request.param, tmp_path, "inbox_users") as engine:
        yield engine


def test_a_disabled_person_is_no_longer_found_and_their_sessions_end(engine: Engine) -> None:
    store = InboxStore(engine)
    store.add_user(CAROL, "a-hash", NOW)
    store.add_user(User("ali", "Ali Khan", Role.AGENT), "a-hash", NOW)
    for token, username in (("c1", "carol"), ("c2", "carol"), ("a1", "ali")):
        store.open_session(token, username, "csrf", NOW, NOW + timedelta(hours=12))

    assert store.set_active("carol", False) is True
    assert store.close_sessions_of("carol") == 2

    assert store.user("carol") is None and [u.username for u in store.users()] == ["ali"]
    assert store.session("c1", NOW) is None and store.session("c2", NOW) is None
    assert store.session("a1", NOW) is not None
    assert store.set_active("nobody", False) is False and store.close_sessions_of("nobody") == 0
    assert store.set_active("carol", True) is True and store.user("carol") is not None
