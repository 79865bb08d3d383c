"""The inbox's use cases: what a person's click does, start to finish (``Desk``).

Each method checks the rules (``handoff.domain``), stores the change as a compare-and-set
together with its audit record, feed event and deliveries (``handoff.store``), and, for a
sign-off, runs the action through the assistant's one executor (``SignOff.commit``) under the
idempotency key minted when the action was proposed, so it runs once however many people
click and whatever timer fires at the same moment.

The parts: ``ticket_service`` (working a ticket), ``approval_service`` (deciding a request),
``desk_views`` (the JSON the API answers with), on ``desk_base``; here, picking up what a
crash interrupted.
"""

from __future__ import annotations

from datetime import timedelta

from actions.domain.pending import Stage
from handoff.desk_base import HANDBACK_ACTION, bot_runs
from handoff.desk_views import DeskViews


class Desk(DeskViews):
    """Tickets, approvals and their views, for the inbox's handlers and timers."""

    def resume(self, settle_for: timedelta = timedelta(minutes=1)) -> int:
        """Finish sign-offs a crash or an error interrupted; returns how many were picked up.

        An approval recorded as approved with no result, and a ticket handed back as approved
        whose customer was never told, are older than ``settle_for`` only if the click that
        made them did not finish. Running them again is safe: the executor claims the action by
        compare-and-set and the business runs it under its idempotency key.
        """
        before = self.now - settle_for
        picked = 0
        for approval in self.store.approved_without_result(before):
            pending = self.s.pendings.get(approval.pending_id)
            if pending is not None:
                self._execute_as("system", approval, pending)
                picked += 1
        for ticket in self.store.approved_handbacks_untold(before):
            pending = self.s.pendings.get(ticket.pending_id) if ticket.pending_id else None
            if pending is not None and pending.stage is Stage.WITH_AGENT:
                self._run(pending, "system")
            if not self.store.delivery_waiting(ticket.conversation_id):
                self.store.enqueue(ticket.conversation_id, bot_runs(HANDBACK_ACTION), self.now)
            picked += 1
        return picked
