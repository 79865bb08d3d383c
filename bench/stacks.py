"""The two systems under test, started on free loopback ports: ours and the stock baseline.

Ours is exactly what ``make run`` starts (``bot.stack.Stack``: Rasa with our channels, our action
server, the inbox), with its Twilio settings pointing at the benchmark's in-process fake Twilio.
The stock baseline is ``rasa run`` and ``rasa run actions`` on the project of
``bench.baseline_project``, its twilio channel sent to the same fake. Either side's action calls
can be routed through a proxy (``action_url``; ``restart_*`` starts only the Rasa server again
with it), which the webhook benchmark uses to make the action take 20 s.
"""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, Iterator, List, Optional

from bot.model import ROOT
from bot.stack import BIN, Service, Stack, free_port, stop_all, wait_until_ready
from devtools.fake_twilio import FakeTwilio

#: The shop's number on the fake Twilio; both sides text from it.
SHOP_NUMBER = "+15005550006"


def restart_our_rasa(stack: Stack, action_url: str, timeout: float = 240.0) -> None:
    """Start our Rasa server again (the action server and inbox keep running) with its action calls
    going to ``action_url``; conversations stay in the tracker store."""
    stack.kill("rasa")
    stack.env = {**stack.env, "ACTION_ENDPOINT_URL": action_url}
    stack.restart("rasa", timeout)


@contextmanager
def our_stack(fake: FakeTwilio, data_dir: Path, model: Path) -> Iterator[Stack]:
    """Our whole stack on a fresh ``data_dir``."""
    shutil.rmtree(data_dir, ignore_errors=True)
    env = {"TWILIO_ACCOUNT_SID": fake.account_sid, "TWILIO_AUTH_TOKEN": fake.auth_token,
           "TWILIO_FROM_NUMBER": SHOP_NUMBER, "TWILIO_BASE_URL": fake.base_url}
    stack = Stack(data_dir=data_dir, model=model, rasa_port=free_port(), actions_port=free_port(),
                  inbox_port=free_port(), env=env, quiet=True)
    stack.start()
    try:
        yield stack
    finally:
        stack.stop()


@dataclass
class StockStack:
    """Stock ``rasa run`` (REST, socketio, twilio) and ``rasa run actions`` on the baseline project."""

    project: Path
    data_dir: Path
    fake: FakeTwilio
    action_url: Optional[str] = None
    #: The labelled variant: stock Rasa with our check of action responses (``bench.baseline_project``).
    our_response_check: bool = False
    rasa_port: int = field(default_factory=free_port)
    actions_port: int = field(default_factory=free_port)
    api_token: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    processes: Dict[str, subprocess.Popen] = field(default_factory=dict)

    @property
    def rasa_url(self) -> str:
        return f"http://127.0.0.1:{self.rasa_port}"

    @property
    def actions_url(self) -> str:
        return f"http://127.0.0.1:{self.actions_port}"

    def env(self) -> Dict[str, str]:
        return {
            **os.environ, "PYTHONUNBUFFERED": "1",
            "BENCH_ACTION_URL": self.action_url or f"{self.actions_url}/webhook",
            "BENCH_TRACKER_DB": str(self.data_dir / "rasa_tracker.db"),
            "BENCH_TWILIO_SID": self.fake.account_sid, "BENCH_TWILIO_TOKEN": self.fake.auth_token,
            "BENCH_TWILIO_NUMBER": SHOP_NUMBER, "BENCH_TWILIO_BASE_URL": self.fake.base_url,
            "BENCH_OUR_RESPONSE_CHECK": "1" if self.our_response_check else "0",
        }

    def rasa_command(self) -> List[str]:
        return [str(BIN / "rasa"), "run", "--model", "models/stock.tar.gz", "--endpoints", "endpoints.yml",
                "--credentials", "credentials.yml", "--port", str(self.rasa_port), "--interface", "127.0.0.1",
                "--enable-api", f"--auth-token={self.api_token}", "--cors", "*"]

    def start(self, timeout: float = 240.0) -> "StockStack":
        shutil.rmtree(self.data_dir, ignore_errors=True)
        (self.data_dir / "logs").mkdir(parents=True)
        actions = [str(BIN / "rasa"), "run", "actions", "--actions", "stock_actions", "--port", str(self.actions_port)]
        self._spawn("actions", actions, {**self.env(), "PYTHONPATH": str(self.project)})
        self._spawn_rasa()
        try:
            self._wait(timeout, ("actions", "rasa"))
        except Exception:
            self.stop()
            raise
        return self

    def restart_rasa(self, action_url: str, timeout: float = 240.0) -> None:
        """Start ``rasa run`` again (the action server keeps running) with its action calls going to ``action_url``."""
        stop_all({"rasa": self.processes.pop("rasa")})
        self.action_url = action_url
        self._spawn_rasa()
        self._wait(timeout, ("rasa",))

    def _spawn_rasa(self) -> None:
        # sitecustomize (the twilio redirect) and the project's own twilio_http helper
        self._spawn("rasa", self.rasa_command(), {**self.env(), "PYTHONPATH": f"{self.project / 'site'}:{ROOT}"})

    def _wait(self, timeout: float, names: tuple) -> None:
        health = {"actions": f"{self.actions_url}/health", "rasa": f"{self.rasa_url}/status?token={self.api_token}"}
        wait_until_ready(self.processes, [Service(name, [], health[name]) for name in names], timeout,
                         self.data_dir / "logs")

    def stop(self) -> None:
        stop_all(self.processes)

    def _spawn(self, name: str, command: List[str], env: Dict[str, str]) -> None:
        output = (self.data_dir / "logs" / f"{name}.log").open("ab")
        self.processes[name] = subprocess.Popen(command, cwd=self.project, env=env, stdout=output,
                                                stderr=subprocess.STDOUT)


@contextmanager
def stock_stack(project: Path, fake: FakeTwilio, data_dir: Path, our_response_check: bool = False
                ) -> Iterator[StockStack]:
    stack = StockStack(project, data_dir, fake, our_response_check=our_response_check).start()
    try:
        yield stack
    finally:
        stack.stop()
