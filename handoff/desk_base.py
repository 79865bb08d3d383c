"""What the desk's services share: the inbox's store, the assistant's services and clock, who
acts, and running a signed-off action exactly once (an unconfirmed run goes to a person).
"""

from __future__ import annotations

from actions.domain.evidence import RECOMMENDATIONS
from actions.domain.pending import PendingAction
from actions.domain.services import Services
from actions.domain.signoff import OutcomeUnknown, SignOff
from actions.domain.ticket import new_ticket
from handoff.domain.people import User
from handoff.store import InboxStore, Outgoing

#: What the bot runs when people hand a conversation back, or a manager decides.
HANDBACK_ACTION = "action_handback"
APPROVAL_ACTION = "action_approval_decided"


def actor(user: User) -> str:
    return f"{user.role.value}:{user.username}"


def bot_runs(action: str) -> Outgoing:
    return Outgoing("trigger", {"action": action})


class DeskBase:
    def __init__(self, store: InboxStore, services: Services) -> None:
        self.store = store
        self.s = services
        self.signoff = SignOff(services)

    @property
    def now(self):  # noqa: ANN201 - a datetime; the clock is the assistant's
        return self.s.clock.now()

    def _run(self, pending: PendingAction, who: str) -> str:
        """Execute once through the assistant's executor; an unconfirmed outcome goes to a person."""
        try:
            return " ".join(self.signoff.commit(pending.id, pending.digest, actor=who))
        except OutcomeUnknown as unknown:
            self._check_by_a_person(unknown)
            return ("Our account system didn't confirm whether it went through, so a specialist is checking it now. "
                    "It will not be done twice, and you don't need to ask again.")

    def _check_by_a_person(self, unknown: OutcomeUnknown) -> None:
        """An urgent ticket under the same idempotency key, as the assistant raises for its own runs.

        If people already have the conversation it is noted on their ticket too; the customer
        keeps talking to them (their ticket is the conversation's oldest open one).
        """
        pending = self.s.pendings.get(unknown.pending.id) or unknown.pending
        detail = f"the business did not confirm '{pending.headline}' ({unknown.detail})"
        reason = f"execution_unconfirmed: {detail}"
        talking = self.s.handoffs.open_for(pending.conversation_id)
        ticket = self.store.ticket(talking.id) if talking else None
        if ticket is not None:
            self.store.add_note(ticket, "system", None, f"URGENT: {detail}. A separate urgent ticket checks it.",
                                self.s.ticket_entry("execution_unconfirmed_noted", ticket, actor="system",
                                                    pending_id=pending.id))
        topic = "execution_unconfirmed"
        request = new_ticket(
            self.s.policy.inbox, id=self.s.make_id(), conversation_id=pending.conversation_id,
            customer_id=pending.customer_id, topic=topic, priority="urgent", reasons=(reason,),
            pending_id=pending.id, at=self.now,
            evidence={"summary": f"Signed off in the inbox, but the business did not confirm it ran: {pending.headline}.\n"
                                 f"Check the order system; retry only by approving this ticket (same idempotency key "
                                 f"{pending.idempotency_key}).",
                      "reasons": [reason], "recommendation": RECOMMENDATIONS[topic]},
        )
        self.s.handoffs.add(request)
        self.s.record("handoff_requested", pending.conversation_id, actor="system", pending=pending,
                      handoff_id=request.id, priority="urgent", topic=topic)
