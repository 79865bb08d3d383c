"""Serve an aiohttp application from a background thread, for tests that drive it over real sockets.

A synchronous test (Playwright's sync API, or plain ``requests``) owns its thread, so the
server runs its own event loop in a daemon thread, on a free port of 127.0.0.1, for as long
as the ``with`` block lasts.
"""

from __future__ import annotations

import asyncio
import threading
from contextlib import contextmanager
from typing import Iterator, List

from aiohttp import web


@contextmanager
def serve_in_thread(app: web.Application, timeout: float = 10.0) -> Iterator[str]:
    """Run ``app`` until the block ends; yield its base URL (``http://127.0.0.1:<port>``)."""
    loop = asyncio.new_event_loop()
    runner = web.AppRunner(app)
    started = threading.Event()
    urls: List[str] = []
    failures: List[BaseException] = []

    async def start() -> None:
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        host, port = runner.addresses[0][:2]
        urls.append(f"http://{host}:{port}")

    def run() -> None:
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(start())
        except BaseException as exc:  # reported to the test thread below
            failures.append(exc)
            started.set()
            return
        started.set()
        loop.run_forever()
        loop.run_until_complete(runner.cleanup())
        loop.close()

    thread = threading.Thread(target=run, name="aiohttp-test-server", daemon=True)
    thread.start()
    if not started.wait(timeout):
        raise TimeoutError(f"the test web server did not start within {timeout:.0f} s")
    if failures:
        raise RuntimeError("the test web server failed to start") from failures[0]
    try:
        yield urls[0]
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout)
