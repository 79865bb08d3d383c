"""The change feed: what the action server and the inbox changed, followed in order, so that
timers are rescheduled and open pages are told."""

from __future__ import annotations

import asyncio
import logging
from typing import Callable, List, Optional, Tuple, Union

from aiohttp import web

from actions.domain.approval import Approval
from actions.domain.ticket import Ticket
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

    Each round reads what changed, pushes it to the open pages (all pages at once: a page that
    stops reading holds up no one), then reschedules the timers of what changed; the pages are
    told first because a person is waiting for them, and a timer is minutes away.
    Between rounds it waits for a writer's wake-up (``listener``), or at most ``safety_net`` seconds.
    """
    desk, timers = app[DESK], app[TIMERS]
    wakeup = listener or Wakeup()
    while True:
        changed: List[Changed] = []
        try:
            changed = await asyncio.to_thread(_read_changes, desk, last_seen)
            if changed:
                last_seen = changed[-1][0].id
            pushes = [push for event, subject in changed if (push := _push_of(event, subject)) is not None]
            try:
                if pushes:
                    await push_to_pages(app, pushes)
            finally:
                await asyncio.to_thread(_reschedule, timers, [subject for _, subject in changed])
        except asyncio.CancelledError:
            raise
        except Exception:  # noqa: BLE001 - keep following the feed
            logger.exception("inbox feed round failed; trying again")
        if len(changed) < FEED_PAGE:  # a full page: more are waiting, read on at once
            await wakeup.wait(safety_net)


Changed = Tuple[FeedEvent, Union[Ticket, Approval, None]]  # a change, and what it changed as it is now


def _read_changes(desk: Desk, last_seen: int) -> List[Changed]:
    """The changes after ``last_seen``, each with its ticket or approval (None: gone since)."""
    return [(event, desk.store.ticket(event.subject_id) if event.subject == "ticket"
             else desk.store.approval(event.subject_id))
            for event in desk.store.events_after(last_seen, FEED_PAGE)]


def _push_of(event: FeedEvent, subject: Union[Ticket, Approval, None]) -> Optional[Push]:
    """The push that tells the pages about a change, and who may see it."""
    if isinstance(subject, Ticket):
        ticket = subject
        visible: Callable[[User], bool] = lambda user: user.sees(ticket.queue)  # noqa: E731
    elif isinstance(subject, Approval):
        approval = subject
        visible = lambda user: user.sees_approvals and user.sees(approval.queue)  # noqa: E731
    else:
        return None
    return {"type": event.subject, "id": event.subject_id, "change": event.change}, visible


def _reschedule(timers: Timers, subjects: List[Union[Ticket, Approval, None]]) -> None:
    """Each changed ticket's or approval's timer, once, as it is now."""
    latest = {(type(subject), subject.id): subject for subject in subjects if subject is not None}
    for subject in latest.values():
        if isinstance(subject, Ticket):
            timers.schedule_ticket(subject)
        else:
            timers.schedule_approval(subject)
