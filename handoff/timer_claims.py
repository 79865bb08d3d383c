"""The SLA timers' job store, shared by several inbox processes: each due timer is claimed before it fires.

Every inbox process runs a scheduler on the same table, and every one of them reschedules the
timers of what changed (each follows the change feed). APScheduler's own SQL store was written
for one scheduler: two would both find a timer due and both fire it, and the second one's
removal of the fired job would fail and stop its scheduler. Here finding a job due is a
compare-and-set in the database that moves the job's next run past a lease: one process gets
it, the others no longer see it due. The process that fired it then removes it (or, for a
repeating job, writes its next run) only if nobody rescheduled it meanwhile; a process that dies
after its claim leaves the timer to fire elsewhere once the lease is over. The timers' own
compare-and-set on the ticket's version still guards the action itself.
"""

from __future__ import annotations

import pickle
from datetime import datetime, timedelta
from typing import Any, Dict, List

from apscheduler.job import Job
from apscheduler.jobstores.base import ConflictingIdError, JobLookupError
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.util import datetime_to_utc_timestamp
from sqlalchemy import inspect
from sqlalchemy.exc import DBAPIError

#: How long a claimed timer is held by the process firing it; firing takes milliseconds.
CLAIM_LEASE = timedelta(minutes=2)


class ClaimingJobStore(SQLAlchemyJobStore):
    def __init__(self, *args: Any, lease: timedelta = CLAIM_LEASE, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lease = lease
        #: The jobs this process claimed and has not finished with: job id -> the claim's next-run mark.
        self._claims: Dict[str, float] = {}

    def start(self, scheduler: Any, alias: str) -> None:
        """Create the table if it is missing; two processes starting at once both try, one wins."""
        try:
            super().start(scheduler, alias)
        except DBAPIError:
            if not inspect(self.engine).has_table(self.jobs_t.name):
                raise
            super().start(scheduler, alias)  # the other process made it meanwhile

    def get_due_jobs(self, now: datetime) -> List[Job]:
        now_ts = datetime_to_utc_timestamp(now)
        until = now_ts + self.lease.total_seconds()
        return [job for job in super().get_due_jobs(now) if self._claim(job.id, now_ts, until)]

    def update_job(self, job: Job) -> None:
        until = self._claims.pop(job.id, None)
        if until is not None:  # a repeating job that fired here: its next run, unless rescheduled meanwhile
            self.engine.execute(self.jobs_t.update().values(**self._columns(job))
                                .where(self.jobs_t.c.id == job.id).where(self.jobs_t.c.next_run_time == until))
            return
        try:
            super().update_job(job)
        except JobLookupError:  # another process removed it just now; this one was told it is still wanted
            try:
                super().add_job(job)
            except ConflictingIdError:  # and another added it back: theirs is as recent
                pass

    def remove_job(self, job_id: str) -> None:
        """Remove the job; nothing to do when another process already did. A job fired here is
        removed only if it still carries this process's claim (not a newer schedule)."""
        until = self._claims.pop(job_id, None)
        delete = self.jobs_t.delete().where(self.jobs_t.c.id == job_id)
        if until is not None:
            delete = delete.where(self.jobs_t.c.next_run_time == until)
        self.engine.execute(delete)

    def _claim(self, job_id: str, now_ts: float, until: float) -> bool:
        claim = (self.jobs_t.update().values(next_run_time=until)
                 .where(self.jobs_t.c.id == job_id).where(self.jobs_t.c.next_run_time <= now_ts))
        if self.engine.execute(claim).rowcount != 1:
            return False  # another process claimed it, or it was rescheduled for later
        self._claims[job_id] = until
        return True

    def _columns(self, job: Job) -> Dict[str, Any]:
        return {"next_run_time": datetime_to_utc_timestamp(job.next_run_time),
                "job_state": pickle.dumps(job.__getstate__(), self.pickle_protocol)}
