"""Run the shared inbox: ``python -m handoff`` (``make run`` starts it beside Rasa)."""

from __future__ import annotations

import logging
import sys

from aiohttp import web

from actions.domain.policy import PolicyError
from actions.settings import Settings, SettingsError
from handoff.app import create_app


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)
    logging.getLogger("twilio.http_client").setLevel(logging.WARNING)  # every request's headers, at INFO
    try:
        settings = Settings.from_env()
    except (SettingsError, PolicyError) as problem:
        print(f"the inbox cannot start: {problem}", file=sys.stderr)
        return 2
    web.run_app(create_app(settings), host=settings.inbox_host, port=settings.inbox_port, print=None)
    return 0


if __name__ == "__main__":
    sys.exit(main())
