"""A loopback proxy between a Rasa server and its action server that makes every action take longer.

The webhook benchmark needs a turn whose action takes 20 s, on both sides, without a test-only
switch in either system: Rasa's action endpoint (``ACTION_ENDPOINT_URL`` for ours, the stock
project's ``endpoints.yml``) points here, at ``/<side>/webhook``; each call waits ``delay``
seconds, then goes on unchanged (headers, body) to that side's action server, whose answer goes back.
"""

from __future__ import annotations

import asyncio
from typing import Dict, Optional

import aiohttp
from aiohttp import web

FORWARDED_HEADERS = ("Authorization", "Content-Type")


class SlowActions:
    def __init__(self, port: int, delay: float) -> None:
        self.port, self.delay = port, delay
        #: side name -> that side's action server webhook URL (set once the stacks have ports)
        self.targets: Dict[str, str] = {}
        self.calls = 0
        self._runner: Optional[web.AppRunner] = None
        self._session: Optional[aiohttp.ClientSession] = None

    def url(self, side: str) -> str:
        return f"http://127.0.0.1:{self.port}/{side}/webhook"

    async def start(self) -> "SlowActions":
        app = web.Application()
        app.router.add_post("/{side}/webhook", self._forward)
        self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self.delay + 120))
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()
        return self

    async def _forward(self, request: web.Request) -> web.Response:
        target = self.targets.get(request.match_info["side"])
        if target is None:
            return web.json_response({"error": f"no action server known for {request.match_info['side']!r}"},
                                     status=404)
        self.calls += 1
        body = await request.read()
        await asyncio.sleep(self.delay)
        assert self._session is not None
        headers = {name: request.headers[name] for name in FORWARDED_HEADERS if name in request.headers}
        async with self._session.post(target, data=body, headers=headers) as answer:
            return web.Response(status=answer.status, body=await answer.read(),
                                content_type=answer.content_type)

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
        if self._session is not None:
            await self._session.close()
