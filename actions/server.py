"""The action server's web app: rasa_sdk's own app, answering only the Rasa server.

An action call carries the whole tracker, and the tracker names the customer. Whoever can
reach the port could post a made-up tracker for Jane and read her balance, or confirm the
refund she is being asked about. So every call must carry the secret that Rasa sends from
``endpoints.yml`` (``Authorization: Bearer <HITL_ACTIONS_SECRET>``); anything else gets a 401
and runs nothing. The server listens on loopback unless told to listen elsewhere.
"""

from __future__ import annotations

import hmac
import logging
import types
from typing import Optional

from rasa_sdk.endpoint import create_app
from rasa_sdk.plugin import plugin_manager
from rasa_sdk.utils import number_of_sanic_workers
from sanic import Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse

from actions.settings import SettingsError

logger = logging.getLogger(__name__)

#: Open to anyone: the health check answers "ok" and nothing else, and the launcher polls it.
#: Every other path (``/webhook`` runs actions, ``/actions`` lists them) needs the secret.
OPEN_PATHS = frozenset({"/health"})


def holds_the_secret(authorization: Optional[str], secret: str) -> bool:
    """True when the ``Authorization`` header is ``Bearer <secret>``; compared in constant time."""
    scheme, _, presented = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not presented:
        return False
    return hmac.compare_digest(presented.strip().encode(), secret.encode())


def create_action_app(actions: types.ModuleType, secret: str) -> Sanic:
    """rasa_sdk's app for the ``actions`` module, refusing every call that lacks ``secret``."""
    if not secret:
        raise SettingsError(
            "the action server needs a secret shared with the Rasa server: set HITL_ACTIONS_SECRET "
            "(32+ characters) for both, as endpoints.yml sends it"
        )
    # Only the Rasa server calls it, never a browser, so no origin is allowed to read its answers.
    app = create_app(actions, cors_origins="")

    @app.on_request
    async def only_the_rasa_server(request: Request) -> Optional[HTTPResponse]:
        if request.path in OPEN_PATHS:
            return None
        authorization = request.headers.get("Authorization")
        if holds_the_secret(authorization, secret):
            return None
        logger.warning(
            "refused a call to %s from %s: %s (only the Rasa server, holding HITL_ACTIONS_SECRET, may call)",
            request.path, request.ip, "wrong secret" if authorization else "no secret",
        )
        return response.json({"error": "Only the Rasa server may call the action server: the secret is missing or wrong."},
                             status=401)

    return app


def serve(app: Sanic, host: str, port: int) -> None:
    """Run ``app`` as rasa_sdk's ``run`` would, but on ``host`` (rasa_sdk listens on every interface)."""
    plugin_manager().hook.attach_sanic_app_extensions(app=app)
    logger.info("Action server listening on http://%s:%s", host, port)
    app.run(host, port, workers=number_of_sanic_workers())
