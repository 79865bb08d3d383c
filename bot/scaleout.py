"""The scaled-out stack: ``python -m bot.scaleout`` (what ``make scale-out`` does).

Two Rasa servers, two action servers and two inbox processes behind one nginx (Debian's
package, run in the foreground on a configuration generated into the data folder, never the
system's), with their state in PostgreSQL, Rasa's conversation locks in Redis and Rasa's events
in RabbitMQ (``deploy/endpoints.scale-out.yml``). nginx listens on the ports ``make run`` uses,
so the URLs are the same; each server listens on a port of its own behind it. What runs where,
and which traffic is sticky and why: docs/SCALE_OUT.md and ``bot/nginx_conf.py``.

The same class starts it on free ports for the tests (``HITL_TEST_STACK=scale-out``), with
databases of its own that are dropped afterwards.
"""

from __future__ import annotations

import shutil
import sys
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Dict, List

from actions.settings import Settings
from bot.model import ROOT
from bot.nginx_conf import TEMP_KINDS, Fronts, nginx_conf
from bot.scale_backends import Backends
from bot.stack import Service, Stack, configured, free_port, serve, settings_or_none

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
ROLES = ("actions", "rasa", "inbox")


@dataclass
class ScaledStack(Stack):
    replicas: int = 2
    #: Drop the databases, queue and locks on stop (the tests); False keeps the data for the next start.
    drop_on_stop: bool = False
    #: Each role's servers behind nginx: role -> their ports.
    ports: Dict[str, List[int]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.endpoints = ROOT / "deploy" / "endpoints.scale-out.yml"
        for role in ROLES:
            self.ports.setdefault(role, [free_port() for _ in range(self.replicas)])
        self.backends = Backends(f"hitl_scale_{self.rasa_port}")

    @property
    def database_url(self) -> str:
        return self.backends.database_url("hitl")

    @property
    def business_database_url(self) -> str:
        return self.backends.database_url("acme")

    def names(self, role: str) -> List[str]:
        return [f"{role}-{n}" for n in range(1, self.replicas + 1)]

    def replica_url(self, role: str, n: int) -> str:
        """The URL of one server itself (``n`` from 1), bypassing nginx."""
        return f"http://127.0.0.1:{self.ports[role][n - 1]}"

    def start(self, timeout: float = 600.0) -> "ScaledStack":
        """Start it all; two Rasa servers loading the model at once on a busy machine take minutes."""
        if not shutil.which(NGINX):
            raise RuntimeError(f"nginx is not installed ({NGINX}): run 'make nginx' (apt-get install -y nginx)")
        self.backends.create()
        try:
            self._prepare_shared_state()
        except Exception:
            self._drop()
            raise
        prefix = self.data_dir / "nginx"
        for kind in TEMP_KINDS:
            (prefix / "temp" / kind).mkdir(parents=True, exist_ok=True)
        fronts = Fronts(self.rasa_port, self.ports["rasa"], self.actions_port, self.ports["actions"],
                        self.inbox_port, self.ports["inbox"])
        (prefix / "nginx.conf").write_text(nginx_conf(fronts, prefix), encoding="utf-8")
        super().start(timeout)  # stops (and drops) what started if any server does not come up
        return self

    def services(self) -> List[Service]:
        [*fake_twilio, _, _, _] = super().services()
        prefix = self.data_dir / "nginx"
        nginx = Service("nginx", [NGINX, "-p", str(prefix), "-c", str(prefix / "nginx.conf"),
                                  "-e", str(prefix / "error.log"), "-g", "daemon off;"], f"{self.inbox_url}/health")
        build = {"actions": self.actions_service, "rasa": self.rasa_service, "inbox": self.inbox_service}
        return [*fake_twilio, nginx, *(build[role](name, port) for role in ROLES
                                       for name, port in zip(self.names(role), self.ports[role]))]

    def backend_env(self) -> Dict[str, str]:
        return {**self.backends.env(),
                "RASA_REPLICA_URLS": ",".join(self.replica_url("rasa", n) for n in range(1, self.replicas + 1))}

    def stop(self) -> None:
        super().stop()  # nginx takes SIGINT as a fast shutdown, like the servers
        self._drop()

    def _drop(self) -> None:
        if self.drop_on_stop:
            self.backends.drop()

    def _prepare_shared_state(self) -> None:
        """Migrate the assistant's database, seed the demo business and add the demo people once, before
        the servers start: servers starting together would race to do it (the secrets in the data folder too)."""
        from actions.store.database import make_engine
        from bot.composition import build_business
        from handoff.demo_users import create_demo_users
        from handoff.store import InboxStore

        settings = Settings.from_env(self._env())
        engine = make_engine(settings.database_url)
        try:
            if settings.demo:
                create_demo_users(InboxStore(engine), datetime.now(timezone.utc))
        finally:
            engine.dispose()
        build_business(settings)

def main() -> int:
    settings = settings_or_none()
    if settings is None:
        return 2
    data_dir = settings.data_dir / "scale-out"
    fake_twilio = settings.demo and settings.twilio is None
    stack = configured(ScaledStack, settings, data_dir)
    print("starting nginx, 2 action servers, 2 Rasa servers and 2 inbox processes on PostgreSQL, Redis and RabbitMQ ...",
          flush=True)
    stack.start()
    backends = stack.backends
    servers = "\n".join(f"  {name:<10} {stack.replica_url(role, n)}" for role in ROLES
                        for n, name in enumerate(stack.names(role), start=1))
    demo = f"\n  Demo phone (fake Twilio):   {stack.fake_twilio_url}/phone" if fake_twilio else ""
    print(f"""
Acme assistant, scaled out (data in {data_dir}, logs in {data_dir / 'logs'}):
  Rasa (REST, web chat, Twilio): {stack.rasa_url}/webhooks/rest/webhook   (nginx)
  Rasa HTTP API:              {stack.rasa_url}/status?token={stack.api_token}
  Action servers:             {stack.actions_url}/health   (nginx; Rasa calls them here)
  Shared inbox (agents):      {stack.inbox_url}/   (nginx)
  Customer web chat:          {stack.inbox_url}/chat{demo}
Behind nginx:
{servers}
State: PostgreSQL databases {', '.join(backends.databases.values())}; Redis db {backends.env()['RASA_LOCK_REDIS_DB']} \
(locks '{backends.lock_prefix}:*', web chat channel '{backends.env()['WEBCHAT_REDIS_CHANNEL']}'); \
RabbitMQ queue '{backends.env()['RASA_EVENTS_QUEUE']}'.

Talk to it as Jane Doe (a demo customer):
  curl -s {stack.rasa_url}/webhooks/rest/webhook -H 'Content-Type: application/json' \\
       -H 'Authorization: Bearer {stack.rest_token}' \\
       -d '{{"sender": "+15550100001", "message": "where is my order 1002?"}}'
Press Ctrl-C to stop.""", flush=True)
    return serve(stack)


if __name__ == "__main__":
    sys.exit(main())
