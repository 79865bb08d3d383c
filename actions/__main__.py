"""Run the action server: ``python -m actions [--port 5055]``.

Settings and the risk policy are validated before the server starts, so a bad policy file
or a missing variable stops start-up with a message naming it instead of failing mid-chat.
"""

from __future__ import annotations

import argparse
import logging
import sys

from actions.domain.policy import PolicyError
from actions.settings import SettingsError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m actions", description=__doc__)
    parser.add_argument("--port", type=int, default=5055)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")

    from actions import rasa_actions

    try:
        rasa_actions.get_assistant()
    except (PolicyError, SettingsError, ValueError) as exc:
        print(f"action server not started: {exc}", file=sys.stderr)
        return 2

    from rasa_sdk.endpoint import run

    run(rasa_actions, port=args.port)
    return 0


if __name__ == "__main__":
    sys.exit(main())
