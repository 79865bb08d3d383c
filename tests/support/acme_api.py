"""A real deployment's Acme API, faked: the contract of ``actions/acme/http_backend.py`` served over HTTP.

It runs on 127.0.0.1 port 0 in a background thread on top of a ``SqlBusiness``, records every
request, and can be made to misbehave: answer errors, answer slowly, or run a step of the
test's own between executing an action and answering (a crash of its caller meanwhile).
"""

from __future__ import annotations

import asyncio
import dataclasses
import threading
from datetime import date, datetime
from typing import Any, Callable, Dict, List, Optional

from aiohttp import web

from actions.acme.sqlite_backend import SqlBusiness
from actions.domain.business import ACTION_KINDS, ActionRequest

API_KEY = "test-key-123"


def _jsonable(value: Any) -> Any:
    if dataclasses.is_dataclass(value):
        return {k: _jsonable(v) for k, v in dataclasses.asdict(value).items()}
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return value


class FakeAcmeApi:
    """The retailer's API as the contract describes it, plus knobs to make it misbehave."""

    def __init__(self, business: SqlBusiness) -> None:
        self.business = business
        self.seen: List[Dict[str, Any]] = []
        self.fail_with: Optional[int] = None
        self.delay_seconds = 0.0
        #: Called with the request's record once an action has run, before the answer goes back.
        self.after_execute: Optional[Callable[[Dict[str, Any]], None]] = None
        self._loop = asyncio.new_event_loop()
        self._runner: Optional[web.AppRunner] = None
        self.base_url = ""

    def _app(self) -> web.Application:
        app = web.Application(middlewares=[self._record_and_misbehave])
        app.router.add_get("/customers", self._by_phone)
        app.router.add_get("/customers/{id}", self._customer)
        app.router.add_get("/customers/{id}/{what}", self._listing)
        app.router.add_post("/actions/{kind}", self._execute)
        return app

    @web.middleware
    async def _record_and_misbehave(self, request: web.Request, handler: Any) -> web.StreamResponse:
        body = await request.json() if request.can_read_body else None
        self.seen.append({"method": request.method, "path": request.path, "query": dict(request.query),
                          "headers": dict(request.headers), "body": body})
        if request.headers.get("Authorization") != f"Bearer {API_KEY}":
            return web.json_response({"ok": False, "message": "Unknown API key."}, status=401)
        if self.delay_seconds:
            await asyncio.sleep(self.delay_seconds)
        if self.fail_with:
            return web.Response(status=self.fail_with, text="upstream exploded")
        return await handler(request)

    async def _call(self, fn: Any, *args: Any) -> Any:
        return await asyncio.get_running_loop().run_in_executor(None, fn, *args)

    async def _by_phone(self, request: web.Request) -> web.Response:
        found = await self._call(self.business.find_customer_by_phone, request.query["phone"])
        return web.json_response(_jsonable(found)) if found else web.json_response({"message": "no"}, status=404)

    async def _customer(self, request: web.Request) -> web.Response:
        found = await self._call(self.business.get_customer, request.match_info["id"])
        return web.json_response(_jsonable(found)) if found else web.json_response({"message": "no"}, status=404)

    async def _listing(self, request: web.Request) -> web.Response:
        customer_id, what = request.match_info["id"], request.match_info["what"]
        if await self._call(self.business.get_customer, customer_id) is None:
            return web.json_response({"message": "no such customer"}, status=404)
        if what == "refunds":
            since = datetime.fromisoformat(request.query["since"])
            rows = await self._call(self.business.refunds_since, customer_id, since)
        else:
            method = {"orders": self.business.orders, "subscriptions": self.business.subscriptions,
                      "payment-methods": self.business.payment_methods}[what]
            rows = await self._call(method, customer_id)
        return web.json_response([_jsonable(row) for row in rows])

    async def _execute(self, request: web.Request) -> web.Response:
        key, kind = request.headers.get("Idempotency-Key"), request.match_info["kind"]
        if not key:
            return web.json_response({"ok": False, "message": "Idempotency-Key header is required."}, status=400)
        if kind not in ACTION_KINDS:
            return web.json_response({"ok": False, "message": f"No such action {kind}."}, status=404)
        body = await request.json()
        action = ActionRequest(kind, body["customer_id"], body["params"])
        try:
            result = await self._call(self.business.execute, action, key)
        except ValueError as exc:
            return web.json_response({"ok": False, "message": str(exc)}, status=422)
        if self.after_execute is not None:
            await self._call(self.after_execute, self.seen[-1])
        return web.json_response({"ok": result.ok, "message": result.message,
                                  "details": dict(result.details), "replayed": result.replayed})

    def start(self) -> None:
        ready = threading.Event()

        async def boot() -> None:
            self._runner = web.AppRunner(self._app())
            await self._runner.setup()
            site = web.TCPSite(self._runner, "127.0.0.1", 0)
            await site.start()
            port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
            self.base_url = f"http://127.0.0.1:{port}"
            ready.set()

        def run() -> None:
            asyncio.set_event_loop(self._loop)
            self._loop.run_until_complete(boot())
            self._loop.run_forever()

        self._thread = threading.Thread(target=run, daemon=True)
        self._thread.start()
        assert ready.wait(10), "the fake Acme API did not start"

    def stop(self) -> None:
        assert self._runner is not None
        asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()

    def executions(self) -> List[Dict[str, Any]]:
        return [r for r in self.seen if r["method"] == "POST"]
