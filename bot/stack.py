"""Start the whole assistant on one machine: ``python -m bot.stack`` (what ``make run`` does).

Trains the model if it is stale, starts the action server and the Rasa server (REST
channel), waits until both answer, prints the URLs and a sample request, and on Ctrl-C
stops everything. In demo mode without Twilio credentials it also starts the fake Twilio
(``devtools.fake_twilio``) and its demo phone page, and points the stack's Twilio settings at it. All state lives in SQLite files under one data folder (``var/``).
The same class starts the stack on free ports for the end-to-end tests.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Mapping, Optional, Sequence, Type, TypeVar

from actions.settings import Settings, SettingsError
from bot.model import ROOT, ensure_model
from handoff.demo_users import DEMO_USERS

BIN = Path(sys.executable).parent
#: The demo's Twilio numbers: Twilio's test number for SMS and its WhatsApp sandbox number.
DEMO_SMS_NUMBER = "+15005550006"
DEMO_WHATSAPP_NUMBER = "whatsapp:+14155238886"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass(frozen=True)
class Service:
    """One process of a stack: its name (and log file), its command, the URL that answers once it is ready,
    and what its environment adds to the stack's."""

    name: str
    command: List[str]
    health: str
    env: Mapping[str, str] = field(default_factory=dict)


@dataclass
class Stack:
    data_dir: Path
    model: Path
    rasa_port: int = 5005
    actions_port: int = 5055
    inbox_port: int = 8080
    env: Mapping[str, str] = field(default_factory=dict)
    quiet: bool = False
    processes: Dict[str, subprocess.Popen] = field(default_factory=dict)
    #: Rasa's HTTP API (trackers, model) answers only requests carrying this token.
    api_token: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    #: The REST channel speaks as any customer, so it answers only callers holding this token.
    rest_token: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    #: Rasa sends it with every action call (endpoints.yml); the action server refuses calls without it.
    actions_secret: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    #: Start the fake Twilio on this port and give the stack its credentials (the demo); None: don't.
    fake_twilio_port: Optional[int] = None
    fake_twilio_sid: str = field(default_factory=lambda: "AC" + secrets.token_hex(16))
    fake_twilio_token: str = field(default_factory=lambda: secrets.token_hex(16))
    #: Rasa's endpoints: the embedded default (SQLite tracker store, in-process locks, no event broker).
    endpoints: Path = ROOT / "endpoints.yml"

    @property
    def rasa_url(self) -> str:
        return f"http://127.0.0.1:{self.rasa_port}"

    @property
    def actions_url(self) -> str:
        return f"http://127.0.0.1:{self.actions_port}"

    @property
    def inbox_url(self) -> str:
        return f"http://127.0.0.1:{self.inbox_port}"

    @property
    def database_url(self) -> str:
        """The assistant's and the inbox's database (the processes' default, in the data folder)."""
        return f"sqlite:///{self.data_dir / 'hitl.db'}"

    @property
    def business_database_url(self) -> str:
        """The demo business's database (the processes' default, in the data folder)."""
        return f"sqlite:///{self.data_dir / 'acme.db'}"

    @property
    def fake_twilio_url(self) -> Optional[str]:
        return None if self.fake_twilio_port is None else f"http://127.0.0.1:{self.fake_twilio_port}"

    @property
    def public_url(self) -> str:
        """Where Twilio (here the fake) calls the Rasa server's webhooks, and the URL it signs."""
        return self.env.get("HITL_PUBLIC_URL") or os.environ.get("HITL_PUBLIC_URL") or self.rasa_url

    def start(self, timeout: float = 240.0) -> "Stack":
        self.data_dir.mkdir(parents=True, exist_ok=True)
        (self.data_dir / "logs").mkdir(exist_ok=True)
        env = self._env()
        services = self.services()
        for service in services:
            self._spawn(service.name, service.command, {**env, **service.env}, self.data_dir / "logs")
        try:
            self._wait_until_ready(timeout, services)
        except Exception:
            self.stop()
            raise
        return self

    def services(self) -> List[Service]:
        """The processes of the stack, in the order they start."""
        fake_twilio = ([Service("fake_twilio", self.fake_twilio_command(), f"{self.fake_twilio_url}/health")]
                       if self.fake_twilio_port is not None else [])
        return [*fake_twilio, self.actions_service("actions", self.actions_port),
                self.rasa_service("rasa", self.rasa_port), self.inbox_service("inbox", self.inbox_port)]

    def actions_service(self, name: str, port: int) -> Service:
        return Service(name, [str(BIN / "python"), "-m", "actions", "--port", str(port)],
                       f"http://127.0.0.1:{port}/health")

    def rasa_service(self, name: str, port: int) -> Service:
        return Service(name, [str(BIN / "rasa"), *self.rasa_arguments(port)],
                       f"http://127.0.0.1:{port}/status?token={self.api_token}")

    def inbox_service(self, name: str, port: int) -> Service:
        return Service(name, [str(BIN / "python"), "-m", "handoff"], f"http://127.0.0.1:{port}/health",
                       {"INBOX_PORT": str(port)})

    def rasa_arguments(self, port: int) -> List[str]:
        """The arguments of ``rasa run``. Values that may begin with "-" are joined to their option with "=",
        or argparse would take them for an option and refuse to start."""
        return [
            "run", "--enable-api", f"--auth-token={self.api_token}", "--model", str(self.model),
            "--endpoints", str(self.endpoints), "--credentials", str(ROOT / "bot" / "credentials.yml"),
            "--port", str(port), "--interface", "127.0.0.1",
            # the web chat page comes from the inbox's origin; only it may open Rasa's socket
            "--cors", f"http://127.0.0.1:{self.inbox_port}", f"http://localhost:{self.inbox_port}",
        ]

    def fake_twilio_command(self) -> List[str]:
        """``python -m devtools.fake_twilio``, with the numbers and URL the stack's processes are given."""
        twilio = self._twilio_env()
        return [str(BIN / "python"), "-m", "devtools.fake_twilio", "--port", str(self.fake_twilio_port),
                f"--sms-number={twilio['TWILIO_FROM_NUMBER']}", f"--whatsapp-number={twilio['TWILIO_WHATSAPP_FROM']}",
                f"--bot-url={self.public_url}"]

    def _twilio_env(self) -> Dict[str, str]:
        """The fake Twilio's credentials and numbers, for every process (an explicit ``env`` wins)."""
        if self.fake_twilio_url is None:
            return {}
        return {
            "TWILIO_ACCOUNT_SID": self.fake_twilio_sid,
            "TWILIO_AUTH_TOKEN": self.fake_twilio_token,
            "TWILIO_FROM_NUMBER": DEMO_SMS_NUMBER,
            "TWILIO_WHATSAPP_FROM": DEMO_WHATSAPP_NUMBER,
            "TWILIO_BASE_URL": self.fake_twilio_url,
            **{name: value for name, value in self.env.items() if name.startswith("TWILIO_")},
        }

    def _env(self) -> Dict[str, str]:
        return {
            **os.environ,
            "HITL_DATA_DIR": str(self.data_dir),
            "ACTION_ENDPOINT_URL": f"{self.actions_url}/webhook",
            "PYTHONUNBUFFERED": "1",
            "HITL_ACTIONS_SECRET": self.actions_secret,
            "INBOX_PORT": str(self.inbox_port),
            "RASA_URL": self.rasa_url,
            "RASA_TOKEN": self.api_token,
            "HITL_DEMO": "1",
            "HITL_REST_TOKEN": self.rest_token,
            "PYTHONPATH": str(ROOT),  # Rasa loads the project's own channels (channels/)
            "HITL_PUBLIC_URL": self.public_url,  # the URL Twilio's webhooks are signed for, and status callbacks go to
            **self.backend_env(),
            **self._twilio_env(),
            **self.env,
        }

    def backend_env(self) -> Dict[str, str]:
        """Where the processes keep their state: here SQLite files in the data folder (Rasa's
        conversations; the assistant's and the business's databases default to it too)."""
        return {"RASA_TRACKER_DB": str(self.data_dir / "rasa_tracker.db")}

    def kill(self, name: str) -> None:
        """Stop one server abruptly (SIGKILL), as a crash would: no clean shutdown, nothing flushed.
        For fault tests; ``restart(name)`` brings it back on the same port and data."""
        process = self.processes.pop(name)
        process.kill()
        process.wait()

    def restart(self, name: str, timeout: float = 240.0) -> None:
        """Start one server again (after ``kill``) and wait until it answers."""
        if name in self.processes:
            raise RuntimeError(f"the {name} server is still running: kill it first")
        service = next(service for service in self.services() if service.name == name)
        self._spawn(service.name, service.command, {**self._env(), **service.env}, self.data_dir / "logs")
        self._wait_until_ready(timeout, [service])

    def talk(self, sender: str, message: str, metadata: Optional[dict] = None) -> List[str]:
        """Send one message over the REST channel; return the bot's text replies."""
        body = json.dumps({"sender": sender, "message": message, "metadata": metadata or {}}).encode()
        request = urllib.request.Request(
            f"{self.rasa_url}/webhooks/rest/webhook", data=body,
            headers={"Content-Type": "application/json", "Authorization": f"Bearer {self.rest_token}"}
        )
        with urllib.request.urlopen(request, timeout=60) as response:
            return [m["text"] for m in json.loads(response.read()) if "text" in m]

    def stop(self) -> None:
        stop_all(self.processes)

    def _spawn(self, name: str, command: List[str], env: Mapping[str, str], logs: Path) -> None:
        output = None if not self.quiet else (logs / f"{name}.log").open("ab")
        self.processes[name] = subprocess.Popen(command, cwd=ROOT, env=dict(env), stdout=output, stderr=subprocess.STDOUT)

    def _wait_until_ready(self, timeout: float, services: Sequence[Service]) -> None:
        wait_until_ready(self.processes, services, timeout, self.data_dir / "logs" if self.quiet else None)


def wait_until_ready(processes: Mapping[str, subprocess.Popen], services: Sequence[Service], timeout: float,
                     logs: Optional[Path] = None) -> None:
    """Wait until each service's health check answers; a server that exits meanwhile is an error
    naming its log in ``logs``."""
    checks = {service.name: service.health for service in services}
    deadline = time.monotonic() + timeout
    while checks:
        for name, url in list(checks.items()):
            process = processes[name]
            if process.poll() is not None:
                hint = f" (see {logs / (name + '.log')})" if logs else ""
                raise RuntimeError(f"the {name} server exited with code {process.returncode} during start-up{hint}")
            if _answers(url):
                del checks[name]
        if time.monotonic() > deadline:
            raise TimeoutError(f"not ready after {timeout:.0f} s: {', '.join(checks)}")
        time.sleep(0.5)


def stop_all(processes: Dict[str, subprocess.Popen], grace: float = 15.0) -> None:
    """Ask every server to stop (SIGINT, as Ctrl-C would), kill those still running after ``grace`` s."""
    for process in processes.values():
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
    deadline = time.monotonic() + grace
    for process in processes.values():
        try:
            process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    processes.clear()


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            if "/status" in url:
                return bool(json.loads(response.read()).get("model_file"))
            # a health check says "ok" once the service is ready (the inbox says "starting" before)
            return response.status == 200 and json.loads(response.read() or b"{}").get("status", "ok") == "ok"
    except (urllib.error.URLError, ConnectionError, OSError, ValueError):
        return False


S = TypeVar("S", bound=Stack)


def settings_or_none() -> Optional[Settings]:
    """The environment's settings for a launcher; None (having said why) if they are unusable."""
    try:
        return Settings.from_env()
    except SettingsError as problem:
        print(f"not started: {problem}", file=sys.stderr)
        return None


def configured(kind: Type[S], settings: Settings, data_dir: Path) -> S:
    """The stack of ``kind`` as the settings say (ports, tokens, a fake Twilio for a demo without
    Twilio), on ``data_dir``, with a model trained if the one on disk is stale."""
    fake_twilio = settings.demo and settings.twilio is None
    return kind(
        data_dir=data_dir,
        model=ensure_model(log=data_dir / "logs" / "train.log"),
        rasa_port=settings.rasa_port,
        actions_port=settings.actions_port,
        inbox_port=settings.inbox_port,
        quiet=True,
        fake_twilio_port=settings.fake_twilio_port if fake_twilio else None,
        **({"rest_token": settings.rest_token} if settings.rest_token else {}),
        **({"actions_secret": settings.actions_secret} if settings.actions_secret_chosen else {}),
    )


def main() -> int:
    settings = settings_or_none()
    if settings is None:
        return 2
    data_dir = settings.data_dir
    fake_twilio = settings.demo and settings.twilio is None
    stack = configured(Stack, settings, data_dir)
    if fake_twilio:
        sms_line = f"Demo phone (SMS and WhatsApp through a fake Twilio): {stack.fake_twilio_url}/phone"
    elif settings.twilio:
        sms_line = "One-time codes are texted through Twilio."
    else:
        sms_line = f"One-time codes (DEVELOPMENT ONLY, no SMS is sent): {settings.dev_outbox}"
    servers = "the fake Twilio, " if fake_twilio else ""
    print(f"starting {servers}the action server, the Rasa server and the inbox ...", flush=True)
    stack.start()
    demo_logins = "\n".join(f"  {name:<8} {password:<16} {role.value}" for name, _, role, password in DEMO_USERS)
    print(f"""
Acme assistant is running (data in {data_dir}, logs in {data_dir / 'logs'}).
  Rasa server (REST channel): {stack.rasa_url}/webhooks/rest/webhook
  Rasa HTTP API:              {stack.rasa_url}/status?token={stack.api_token}
  Action server:              {stack.actions_url}/health
  Shared inbox (agents):      {stack.inbox_url}/
  Customer web chat:          {stack.inbox_url}/chat
  {sms_line}

Inbox demo logins (username / password, role):
{demo_logins}

Talk to it as Jane Doe (a demo customer):
  curl -s {stack.rasa_url}/webhooks/rest/webhook -H 'Content-Type: application/json' \\
       -H 'Authorization: Bearer {stack.rest_token}' \\
       -d '{{"sender": "+15550100001", "message": "where is my order 1002?"}}'

Start the demo again from its first data (logins kept): make reset-demo
Press Ctrl-C to stop.""", flush=True)
    return serve(stack)


def serve(stack: Stack) -> int:
    """Keep the started stack running until Ctrl-C (or a server stops by itself), then stop it all."""
    stopping = False

    def _stop(signum, frame) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    logs = stack.data_dir / "logs"
    try:
        while not stopping:
            for name, process in stack.processes.items():
                if process.poll() is not None:
                    print(f"the {name} server stopped unexpectedly (code {process.returncode}); see {logs / (name + '.log')}")
                    stopping = True
            time.sleep(0.5)
    finally:
        print("stopping ...", flush=True)
        stack.stop()
        print("stopped.", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
