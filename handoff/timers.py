"""SLA timers on APScheduler with a persistent job store, so they survive a restart.

Each ticket and approval has at most one job, keyed by its id and carrying the version it
was scheduled for; every inbox process schedules on the same table, and a due job is claimed
by one of them before it fires (``handoff.timer_claims``). When it fires, it acts only if the ticket or approval is still at that
version (a compare-and-set in the store), so a timer that fires after someone acted, or
fires twice, changes nothing. Every change reschedules the job from the new state.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Optional

from apscheduler.jobstores.base import JobLookupError
from apscheduler.schedulers.asyncio import AsyncIOScheduler

from actions.domain.approval import PENDING, Approval
from actions.domain.policy import describe_duration
from actions.domain.ticket import Ticket
from handoff.desk import Desk
from handoff.domain.sla import deadline, next_approval_step, next_ticket_step
from handoff.domain.tickets import Change
from handoff.timer_claims import ClaimingJobStore

logger = logging.getLogger(__name__)

JOBS_TABLE = "apscheduler_jobs"
#: The timers the jobs act through. APScheduler stores a job as a function name and arguments,
#: so the function finds the live service here; each inbox process runs one scheduler.
_timers: Optional["Timers"] = None


def make_scheduler(database_url: str) -> AsyncIOScheduler:
    return AsyncIOScheduler(
        jobstores={"default": ClaimingJobStore(url=database_url, tablename=JOBS_TABLE)},
        job_defaults={"coalesce": True, "misfire_grace_time": None, "max_instances": 1},
        timezone="UTC",
    )


class Timers:
    def __init__(self, scheduler: AsyncIOScheduler, desk: Desk) -> None:
        global _timers
        self.scheduler = scheduler
        self.desk = desk
        _timers = self

    def schedule_ticket(self, ticket: Ticket) -> Optional[datetime]:
        step = next_ticket_step(ticket, self.desk.s.policy.inbox) if ticket.active else None
        return self._put(f"ticket:{ticket.id}", fire_ticket, step.at if step else None,
                         [ticket.id, ticket.version, step.action if step else ""])

    def schedule_approval(self, approval: Approval) -> Optional[datetime]:
        if approval.status != PENDING:
            return self._put(f"approval:{approval.id}", fire_approval, None, [])
        step = next_approval_step(approval.requested_at, approval.escalated, self.desk.s.policy.approvals)
        return self._put(f"approval:{approval.id}", fire_approval, step.at, [approval.id, approval.version, step.action])

    def reconcile(self) -> None:
        """Make sure every live ticket and approval has its timer (e.g. after the first start),
        and that interrupted sign-offs are finished (every minute, from a minute after start)."""
        self.scheduler.add_job(resume_unfinished, "interval", minutes=1, id="resume-unfinished", replace_existing=True)
        for ticket in self.desk.store.active_tickets():
            self.schedule_ticket(ticket)
        for approval in self.desk.store.approvals(pending=True):
            self.schedule_approval(approval)

    def _put(self, job_id: str, func, at: Optional[datetime], args: list) -> Optional[datetime]:
        if at is None:
            try:
                self.scheduler.remove_job(job_id)
            except JobLookupError:
                pass
            return None
        self.scheduler.add_job(func, "date", run_date=at, id=job_id, args=args, replace_existing=True)
        return at


def _live() -> "Timers":
    assert _timers is not None, "the inbox's timers fired before the service started"
    return _timers


def fire_ticket(ticket_id: str, version: int, action: str) -> bool:
    """A ticket's deadline came: escalate, remind or flag it, if nobody changed it meanwhile.

    A timer that finds the ticket moved on does nothing but put a note on the change feed, so
    the ticket's current timer is scheduled again (by the feed, outside this job: the scheduler
    removes a fired one-off job while it runs) and a stale job never leaves a ticket without one.
    """
    timers = _live()
    if ticket_step(timers.desk, ticket_id, version, action):
        return True
    timers.desk.store.touch("ticket", ticket_id, timers.desk.now)
    return False


def fire_approval(approval_id: str, version: int, action: str) -> bool:
    timers = _live()
    done = (timers.desk.expire if action == "expire" else timers.desk.escalate_approval)(approval_id, version)
    if not done:
        timers.desk.store.touch("approval", approval_id, timers.desk.now)
    return done


def resume_unfinished() -> int:
    return _live().desk.resume()


def ticket_step(desk: Desk, ticket_id: str, version: int, action: str) -> bool:
    ticket = desk.store.ticket(ticket_id)
    if ticket is None or ticket.version != version or not ticket.active:
        logger.info("timer for ticket %s skipped: it moved on", ticket_id)
        return False
    rules = desk.s.policy.inbox
    due = deadline(ticket, rules)
    if due is None:
        return False
    now = desk.now
    times = rules.sla.get(ticket.priority, rules.sla["normal"])
    missed = (f"Not claimed within {describe_duration(times.claim)}" if due.kind == "claim"
              else f"The customer waited over {describe_duration(times.reply)} for a reply from {ticket.assignee}")
    if action == "escalate":
        backup = rules.escalate[ticket.queue]
        after = ticket._next(queue=backup, status="open", assignee=None, claimed_at=None, queued_at=now, reminded_for=None)
        text = f"{missed}: moved from the {ticket.queue} queue to the {backup} queue for someone to pick up."
        change = Change(ticket, after, "ticket_escalated", {"from_queue": ticket.queue, "to_queue": backup,
                                                            "missed": due.kind, "assignee": ticket.assignee})
    elif action == "remind":
        after = ticket._next(reminded_for=due.due_at)
        text = f"Reminder for {ticket.assignee}: the customer is waiting; reply due by {due.due_at:%H:%M} UTC."
        change = Change(ticket, after, "sla_reminder", {"assignee": ticket.assignee, "due_at": due.due_at.isoformat()})
    else:  # overdue at the top of the escalation chain: say so once
        after = ticket._next(overdue_for=due.due_at)
        text = f"Overdue: {missed[0].lower()}{missed[1:]} (due {due.due_at:%H:%M} UTC), and there is no queue above {ticket.queue}."
        change = Change(ticket, after, "sla_overdue", {"due_at": due.due_at.isoformat(), "missed": due.kind})
    audit = desk.s.ticket_entry(change.event, ticket, actor="timer", **change.detail)
    return desk.store.apply(change, audit, message=("system", None, text))
