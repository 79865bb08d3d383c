"""Run the action server: ``python -m actions [--host 127.0.0.1] [--port 5055]``.

Settings and the risk policy are validated before the server starts, so a bad policy file
or a missing variable stops start-up with a message naming it instead of failing mid-chat.
It listens on loopback (``ACTIONS_HOST`` or ``--host`` to change it) and answers only
callers holding ``HITL_ACTIONS_SECRET`` (see ``actions/server.py``).
"""

from __future__ import annotations

import argparse
import logging
import sys

from actions.domain.policy import PolicyError
from actions.settings import Settings, SettingsError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m actions", description=__doc__)
    parser.add_argument("--host", help="the address to listen on (default: ACTIONS_HOST, else 127.0.0.1)")
    parser.add_argument("--port", type=int, default=5055)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")

    from actions import rasa_actions
    from actions.heap import settle_startup_heap
    from actions.server import create_action_app, serve

    try:
        settings = Settings.from_env()
        rasa_actions.get_assistant(settings)
        app = create_action_app(rasa_actions, settings.actions_secret)
    except (PolicyError, SettingsError, ValueError) as exc:
        print(f"action server not started: {exc}", file=sys.stderr)
        return 2

    settle_startup_heap()
    serve(app, args.host or settings.actions_host, args.port)
    return 0


if __name__ == "__main__":
    sys.exit(main())
