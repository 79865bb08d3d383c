"""Where the inbox benchmark runs: a throwaway database, and the inbox started on it as a process.

The database is a SQLite file in a temporary folder, or a schema of its own on PostgreSQL
(reached through the URL's search_path, dropped afterwards, so nothing is left in ``test``).
The inbox is started as ``python -m handoff`` starts it (``HITL_DEMO=1`` for its people) on a
free port, with Rasa's address on a port nobody listens on, and stopped by its own process id.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import requests
from sqlalchemy import create_engine, text

from actions.settings import PROJECT_ROOT
from bot.stack import free_port

POSTGRES_URL = os.environ.get("BENCH_POSTGRES_URL", "postgresql://127.0.0.1:5432/test")
STARTUP_SECONDS = 600  # it schedules every waiting ticket's SLA timer before it answers


@contextmanager
def database_url(backend: str, folder: Path) -> Iterator[str]:
    """A URL for an empty database on ``backend`` (sqlite | postgresql), removed afterwards."""
    if backend == "sqlite":
        yield f"sqlite:///{folder / 'inbox.db'}"
        return
    admin = create_engine(POSTGRES_URL, connect_args={"connect_timeout": 3})
    schema = f"bench_inbox_{uuid.uuid4().hex[:10]}"
    try:
        with admin.begin() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        yield f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()


@contextmanager
def running_inbox(url: str, folder: Path) -> Iterator[str]:
    """The inbox serving ``url``'s database; yields its base URL once ``/health`` answers."""
    port = free_port()
    env = {key: value for key, value in os.environ.items() if key != "HITL_DATABASE_URL"}
    env.update({"HITL_DATA_DIR": str(folder), "HITL_DEMO": "1", "DATABASE_URL": url, "INBOX_PORT": str(port),
                "RASA_URL": f"http://127.0.0.1:{free_port()}"})
    with open(folder / "inbox.log", "wb") as log:
        process = subprocess.Popen([sys.executable, "-m", "handoff"], cwd=PROJECT_ROOT, env=env, stdout=log,
                                   stderr=subprocess.STDOUT)
        base = f"http://127.0.0.1:{port}"
        try:
            _wait_until_healthy(base, process, folder / "inbox.log")
            yield base
        finally:
            process.terminate()
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(5)


def signed_in(base: str, username: str, password: str) -> requests.Session:
    """A browser-like session of ``username``: its cookie, and its CSRF token on every request."""
    session = requests.Session()
    form = session.get(f"{base}/login", timeout=10)
    token = re.search(r'name="csrf" value="([^"]*)"', form.text)
    if token is None:
        raise RuntimeError("the inbox's login form carries no CSRF token")
    answer = requests.post(f"{base}/login", data={"username": username, "password": password, "csrf": token.group(1)},
                           cookies={"inbox_login_csrf": form.cookies["inbox_login_csrf"]}, allow_redirects=False,
                           timeout=30)
    if answer.status_code != 302:
        raise RuntimeError(f"signing in as {username} failed: {answer.status_code} {answer.text[:200]}")
    session.cookies.clear()
    session.cookies.set("inbox_session", answer.cookies["inbox_session"])
    page = session.get(f"{base}/", timeout=10)
    csrf = re.search(r'<meta name="csrf-token" content="([^"]+)">', page.text)
    if csrf is None:
        raise RuntimeError("the inbox page carries no CSRF token")
    session.headers["X-CSRF-Token"] = csrf.group(1)
    return session


def _wait_until_healthy(base: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the inbox exited with {process.returncode}: see {log}")
        try:
            if requests.get(f"{base}/health", timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.25)
    raise RuntimeError(f"the inbox did not answer /health within {STARTUP_SECONDS} s: see {log}")
