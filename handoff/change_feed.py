"""The change feed: what the action server and the inbox changed, followed in order, so that
timers are rescheduled and open pages are told."""

from __future__ import annotations

import asyncio
import logging
from typing import Callable, List, Optional

from aiohttp import web

from actions.domain.wakeup import Listener, Wakeup

from handoff.app_state import DESK, TIMERS
from handoff.desk import Desk
from handoff.domain.people import User
from handoff.store import FeedEvent
from handoff.timers import Timers
from handoff.websocket_hub import Push, push_to_pages

logger = logging.getLogger(__name__)


#: Seconds the follower waits at most between two looks when no wake-up comes (one was lost).
SAFETY_NET = 2.0
#: How many changes one round reads.
FEED_PAGE = 500


async def follow_feed(app: web.Application, last_seen: int, listener: Optional[Listener] = None,
                      safety_net: float = SAFETY_NET) -> None:
    """Follow the change feed (written by this service and the action server alike).

    Each round first reschedules the timers of everything that changed, then pushes the
    changes to the open pages, all pages at once: a page that stops reading holds up no one.
    Between rounds it waits for a writer's wake-up (``listener``), or at most ``safety_net`` seconds.
    """
    desk, timers = app[DESK], app[TIMERS]
    wakeup = listener or Wakeup()
    while True:
        pushes: List[Push] = []
        events: List[FeedEvent] = []
        try:
            events = await asyncio.to_thread(desk.store.events_after, last_seen, FEED_PAGE)
            for event in events:
                last_seen = event.id
                push = await _on_change(desk, timers, event)
                if push is not None:
                    pushes.append(push)
        except asyncio.CancelledError:
            raise
        except Exception:  # noqa: BLE001 - keep following the feed
            logger.exception("inbox feed round failed; trying again")
        if pushes:
            await push_to_pages(app, pushes)
        if len(events) < FEED_PAGE:  # a full page: more are waiting, read on at once
            await wakeup.wait(safety_net)


async def _on_change(desk: Desk, timers: Timers, event: FeedEvent) -> Optional[Push]:
    """Reschedule the timer of what changed; the push that tells the pages about it."""
    if event.subject == "ticket":
        ticket = await asyncio.to_thread(desk.store.ticket, event.subject_id)
        if ticket is None:
            return None
        await asyncio.to_thread(timers.schedule_ticket, ticket)
        visible: Callable[[User], bool] = lambda user: user.sees(ticket.queue)  # noqa: E731
    else:
        approval = await asyncio.to_thread(desk.store.approval, event.subject_id)
        if approval is None:
            return None
        await asyncio.to_thread(timers.schedule_approval, approval)
        visible = lambda user: user.sees_approvals and user.sees(approval.queue)  # noqa: E731
    return {"type": event.subject, "id": event.subject_id, "change": event.change}, visible

