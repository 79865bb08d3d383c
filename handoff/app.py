"""The shared inbox service: an aiohttp application.

``create_app`` wires the parts; a cleanup context owns the database engine, the scheduler,
the HTTP client for Rasa and the background loops (the feed that pushes changes to open
pages and reschedules timers, the delivery worker, and approvals by phone: notices out,
replies in), and closes them in reverse order.
The blocking work (SQL, the business backend) runs in worker threads.

The parts: ``handlers`` (pages and the JSON API), ``websocket_hub`` (open pages and what they
are pushed), ``change_feed`` (following what changed), ``app_state`` (the typed keys).
"""

from __future__ import annotations

import asyncio
import logging
import mimetypes
from pathlib import Path
from string import Template
from typing import AsyncIterator

import aiohttp
import yaml
from aiohttp import web

from actions.acme.seed import DEMO_CUSTOMERS
from actions.domain.outbound import SMS
from actions.domain.sessions import customer_key
from actions.heap import settle_startup_heap
from actions.settings import Settings
from bot.composition import build_inbox, build_phone_channels, build_sms, call_transfers, session_tokens
from channels.webchat.page import add_webchat_routes
from handoff.app_state import (
    CALLS, CANNED, DESK, MAX_BODY_BYTES, MY_PHONE, OPENAPI, PHONE_CODES, SETTINGS, SOCKETS, TEMPLATES, THROTTLE, TIMERS,
)
from handoff.change_feed import follow_feed
from actions.store.channel_addresses import SqlChannelAddresses
from actions.store.commit_signals import DELIVERY, FEED, INBOUND, listen
from actions.store.inbound import SqlInboundQueue
from actions.store.voice import SqlVoiceCalls
from handoff.call_controls import CallControls
from handoff.customer_channels import CustomerChannels
from handoff.delivery import DeliveryWorker
from handoff.demo_users import create_demo_users
from handoff.forwarded import scheme_from_trusted_proxies
from handoff.handlers import (
    approval,
    approval_action,
    approvals,
    call_hold,
    canned,
    closed_tickets,
    errors_middleware,
    health,
    inbox_page,
    login,
    login_page,
    logout,
    me,
    my_phone,
    my_phone_calls,
    my_phone_confirm,
    openapi,
    retry_message,
    session_middleware,
    ticket,
    ticket_action,
    tickets,
    users,
)
from handoff.page_headers import page_headers
from handoff.phone_approvals import PhoneApprovals
from handoff.my_phone import MyPhone
from handoff.phone_codes import SqlPhoneCodes
from handoff.phone_proofs import SqlPhoneProofs
from handoff.rasa_client import RasaConversations
from handoff.timers import Timers, make_scheduler
from handoff.websocket_hub import close_page, websocket

logger = logging.getLogger(__name__)

HERE = Path(__file__).parent


def create_app(settings: Settings) -> web.Application:
    serve_scripts_as_javascript()
    app = web.Application(middlewares=[scheme_from_trusted_proxies(settings.trusted_proxies), page_headers,
                                       errors_middleware, session_middleware], client_max_size=MAX_BODY_BYTES)
    app[SETTINGS] = settings
    app[SOCKETS] = set()
    app[TEMPLATES] = {name: Template((HERE / "templates" / name).read_text(encoding="utf-8"))
                      for name in ("login.html", "inbox.html")}
    app[CANNED] = yaml.safe_load((HERE / "canned_replies.yml").read_text(encoding="utf-8")) or []
    app[OPENAPI] = yaml.safe_load((HERE / "openapi.yaml").read_text(encoding="utf-8"))
    app.cleanup_ctx.append(_resources)
    app.router.add_get("/health", health)
    app.router.add_get("/login", login_page)
    app.router.add_post("/login", login)
    app.router.add_post("/logout", logout)
    app.router.add_get("/", inbox_page)
    app.router.add_get("/ws", websocket)
    app.router.add_get("/api/openapi.json", openapi)
    app.router.add_get("/api/me", me)
    app.router.add_get("/api/me/phone", my_phone)
    app.router.add_post("/api/me/phone", my_phone)
    app.router.add_post("/api/me/phone/confirm", my_phone_confirm)
    app.router.add_post("/api/me/phone/calls", my_phone_calls)
    app.router.add_get("/api/tickets", tickets)
    app.router.add_get("/api/closed-tickets", closed_tickets)
    app.router.add_get("/api/tickets/{id}", ticket)
    for verb in ("claim", "assign", "transfer", "notes", "reply", "request-approval", "handback", "close"):
        app.router.add_post(f"/api/tickets/{{id}}/{verb}", ticket_action)
    app.router.add_post("/api/tickets/{id}/call/hold", call_hold)
    app.router.add_post("/api/messages/{id}/retry", retry_message)
    app.router.add_get("/api/canned", canned)
    app.router.add_get("/api/users", users)
    app.router.add_get("/api/approvals", approvals)
    app.router.add_get("/api/approvals/{id}", approval)
    for verb in ("approve", "reject", "modify"):
        app.router.add_post(f"/api/approvals/{{id}}/{verb}", approval_action)
    app.router.add_static("/static/", HERE / "static")
    if settings.demo:  # the page signs anyone in as a demo customer: never outside the demo
        tokens = session_tokens(settings)
        add_webchat_routes(
            app, socket_url=settings.public_rasa_url,
            customers={c.key: c for c in DEMO_CUSTOMERS},
            issue_token=lambda customer_id, browser: tokens.issue(customer_key(customer_id), _now(app), browser),
            secure_cookies=settings.secure_cookies,
        )
    return app


def serve_scripts_as_javascript() -> None:
    """Send ``.js`` files as ``text/javascript`` (RFC 9239), whatever this machine's MIME table says.

    The pages' scripts are ES modules, and a browser refuses to run a module served with any
    other type. aiohttp types a static file from Python's ``mimetypes``, which reads the
    machine's tables (``/etc/mime.types``, the Windows registry), and some say ``text/plain``.
    """
    mimetypes.add_type("text/javascript", ".js")


def _now(app: web.Application):  # noqa: ANN202
    return app[DESK].now


async def _resources(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    parts = await asyncio.to_thread(build_inbox, settings)  # the database is migrated first
    engine, desk = parts.engine, parts.desk
    store, services = desk.store, desk.s
    app[DESK] = desk
    app[THROTTLE] = parts.throttle
    app[PHONE_CODES] = SqlPhoneCodes(engine)
    app[MY_PHONE] = MyPhone(desk, app[PHONE_CODES], SqlPhoneProofs(engine))
    # the customer's call is stepped and the phones told from here too (hold, hand-back), as the voice channel does
    app[CALLS] = CallControls(desk, call_transfers(settings, engine, SqlVoiceCalls(engine), desk)
                              if settings.twilio else None)
    if settings.demo:
        added = await asyncio.to_thread(create_demo_users, store, desk.now)
        if added:
            logger.info("demo users created: %s", ", ".join(added))
    # read the feed position first: a timer missed while the service was down fires as soon
    # as the scheduler starts, and the change it makes must still reach the feed
    last_seen = await asyncio.to_thread(store.last_event_id)
    scheduler = make_scheduler(settings.database_url)
    timers = Timers(scheduler, desk)
    app[TIMERS] = timers
    scheduler.start()
    await asyncio.to_thread(timers.reconcile)
    client = aiohttp.ClientSession()
    rasa = RasaConversations(client, settings.rasa_url, settings.rasa_token, replica_urls=settings.rasa_replica_urls)
    phones = build_phone_channels(settings, store, services.business, services.clock)
    worker = DeliveryWorker(store, rasa, services.clock, channels=CustomerChannels.for_rasa(rasa, phones),
                            texts={SMS: build_sms(settings)}, addresses=SqlChannelAddresses(engine))
    phone_approvals = PhoneApprovals(desk, app[PHONE_CODES], SqlInboundQueue(engine))
    # each loop wakes when a writer (any process) commits what it follows; polling is only its safety net
    # (approvals by phone: a person's text came in, or a new request may need its notices)
    listeners = [listen(engine, DELIVERY), listen(engine, FEED), listen(engine, INBOUND, FEED)]
    loops = [asyncio.create_task(worker.run(listeners[0])),
             asyncio.create_task(follow_feed(app, last_seen, listeners[1])),
             asyncio.create_task(phone_approvals.run(listeners[2]))]
    settle_startup_heap()
    try:
        yield
    finally:
        for task in loops:
            task.cancel()
        await asyncio.gather(*loops, return_exceptions=True)
        await asyncio.gather(*(listener.close() for listener in listeners))
        await asyncio.gather(*(close_page(app, page, 1001, b"inbox shutting down") for page in list(app[SOCKETS])))
        await client.close()
        scheduler.shutdown(wait=False)
        engine.dispose()

