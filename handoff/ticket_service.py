"""Working a ticket: what a person's click on a ticket does, start to finish.

Each method checks the rules (``handoff.domain.tickets``) and stores the change as a
compare-and-set together with its audit record, feed event and deliveries; a hand-back as
approved runs the waiting action through the assistant's one executor.
"""

from __future__ import annotations

from typing import Any, Optional, Tuple

from actions.domain.approval import new_approval
from actions.domain.audit import AuditEntry
from actions.domain.pending import PendingAction, Stage
from actions.domain.policy import QUEUES
from actions.domain.ticket import Ticket
from actions.domain.waiting import joined_line
from actions.store.channel_addresses import SqlChannelAddresses
from handoff.desk_base import HANDBACK_ACTION, DeskBase, actor, bot_runs
from handoff.domain import sign_off
from handoff.domain import tickets as ticket_rules
from handoff.domain.errors import Conflict, Forbidden, InboxError, NotFound
from handoff.domain.people import User
from handoff.domain.tickets import Change
from handoff.store import Outgoing


class TicketService(DeskBase):
    def ticket(self, user: User, ticket_id: str) -> Ticket:
        ticket = self.store.ticket(ticket_id)
        if ticket is None:
            raise NotFound(f"there is no ticket {ticket_id}")
        if not user.sees(ticket.queue):
            raise Forbidden(f"ticket {ticket.ref} is in the {ticket.queue} queue, which {user.role.with_article} can't see")
        return ticket

    def claim(self, user: User, ticket_id: str, version: Optional[int]) -> None:
        ticket = self.ticket(user, ticket_id)
        ticket_rules.expect_version(ticket, version)
        self._apply(user, ticket_rules.claim(ticket, user, self.now), feed="claimed", outgoing=[_joined(user.name)])

    def assign(self, user: User, ticket_id: str, version: Optional[int], username: str) -> None:
        ticket = self.ticket(user, ticket_id)
        ticket_rules.expect_version(ticket, version)
        found = self.store.user(username or "")
        if found is None:
            raise InboxError(f"there is no active user {username!r}")
        self._apply(user, ticket_rules.assign(ticket, user, found[0], self.now), feed="claimed",
                    outgoing=[_joined(found[0].name)])

    def take_call(self, user: User, ticket_id: str) -> None:
        """The person pressed 1 on the customer's call: the ticket is theirs (whatever its version now)."""
        for _ in range(3):
            change = ticket_rules.took_call(self.ticket(user, ticket_id), user, self.now)
            if change is None:
                return
            audit = self._audit(user, change.event, change.before, **change.detail)
            if self.store.apply(change, audit, feed="claimed"):
                return
        raise Conflict("the ticket keeps changing; the call is connected, claim the ticket in the inbox")

    def transfer(self, user: User, ticket_id: str, version: Optional[int], queue: str, note: str) -> None:
        ticket = self.ticket(user, ticket_id)
        ticket_rules.expect_version(ticket, version)
        change = ticket_rules.transfer(ticket, user, queue, note, self.now, QUEUES)
        self._apply(user, change, message=("system", user.username, f"Transferred to the {queue} queue" + (f": {note}" if note else "")))

    def note(self, user: User, ticket_id: str, text: str) -> None:
        ticket = self.ticket(user, ticket_id)
        text = ticket_rules.check_note(ticket, user, text)
        self.store.add_note(ticket, "note", user.username, text, self._audit(user, "note_added", ticket))

    def reply(self, user: User, ticket_id: str, text: str, channel: str = "") -> None:
        """Send the customer a person's words, where the customer is now or by the ``channel`` picked."""
        by = ticket_rules.check_reply_channel(channel)
        for _ in range(3):  # a reply does not depend on the version: retry if a timer moved it meanwhile
            ticket = self.ticket(user, ticket_id)
            text = ticket_rules.check_reply(ticket, user, text)
            reachable = self.reply_channels(ticket) if by is not None else ()
            if by is not None and by not in reachable:
                raise InboxError(f"this customer can't be reached by {by} here (never wrote from it, and no number "
                                 f"on file for it); pick one of: {', '.join(reachable)}")
            change = ticket_rules.replied(ticket, self.now)
            audit = self._audit(user, "agent_replied", ticket, chars=len(text))
            payload = {"text": text, "agent": user.username, "agent_name": user.name}
            if self.store.apply(change, audit, message=("agent", user.username, text),
                                outgoing=[Outgoing("say", payload, channel=by)], feed="message"):
                return
        raise Conflict("the ticket keeps changing; reload it and send the reply again")

    def reply_channels(self, ticket: Ticket) -> Tuple[str, ...]:
        """The channels a person may pick for one reply on this ticket (``ticket_rules.reachable_by``)."""
        wrote_from = SqlChannelAddresses(self.store.engine).channels_of(ticket.conversation_id)
        return ticket_rules.reachable_by(ticket.conversation_id, wrote_from)

    def retry(self, user: User, message_id: int) -> None:
        message = self.store.message(message_id)
        if message is None:
            raise NotFound(f"there is no message {message_id}")
        ticket = self.ticket(user, message.ticket_id)
        if message.kind != "agent" or message.author != user.username:
            raise Forbidden("only the person who wrote a reply can send it again")
        if not ticket.active:
            raise InboxError(f"ticket {ticket.ref} is closed and the bot has the conversation again; "
                             "the reply is not sent any more")
        if not self.store.retry_message(message_id, self.now):
            raise InboxError("only a reply that failed to deliver can be sent again")
        self.s.audit.append(self._audit(user, "reply_retried", ticket, message_id=message_id))

    def request_approval(self, user: User, ticket_id: str, version: Optional[int], note: str) -> None:
        """The person holding the case asks a senior or manager to sign off the waiting action."""
        ticket = self.ticket(user, ticket_id)
        ticket_rules.expect_version(ticket, version)
        if ticket.assignee != user.username or not ticket.active:
            raise Forbidden(f"only the person who has ticket {ticket.ref} can send its action for approval")
        pending = self._waiting_action(ticket)
        if not self.s.pendings.move(pending.id, (Stage.WITH_AGENT,), Stage.APPROVAL):
            raise Conflict("the waiting action changed in the meantime; reload the ticket")
        request = new_approval(self.s.policy.approvals, pending, id=self.s.make_id(), at=self.now,
                               evidence=ticket.evidence, raised_by=user.username,
                               reasons=(f"raised_by_agent: {note.strip()}",) if note.strip() else ())
        self.s.approvals.add(request)
        self.store.add_note(ticket, "system", user.username, f"Sent for approval ({request.queue} queue): {pending.headline}",
                            self._audit(user, "approval_requested", ticket, pending=pending, approval_id=request.id))

    def hand_back(self, user: User, ticket_id: str, version: Optional[int], outcome: str, note: str) -> None:
        ticket = self.ticket(user, ticket_id)
        ticket_rules.expect_version(ticket, version)
        change = ticket_rules.hand_back(ticket, user, outcome, note, self.now)
        pending = self.s.pendings.get(ticket.pending_id) if ticket.pending_id else None
        if outcome == "approved":
            self._may_sign_off(user, self._waiting_action(ticket))
        else:
            _not_while_unconfirmed(pending, outcome)
        if outcome != "approved":
            self._apply(user, change, outgoing=[bot_runs(HANDBACK_ACTION)])
        else:
            # the bot's news is queued only once the action has run, so it can say how it went
            self._apply(user, change)
            try:
                if pending and pending.stage is Stage.WITH_AGENT:
                    self._run(pending, actor(user))
            finally:
                self.store.enqueue(ticket.conversation_id, bot_runs(HANDBACK_ACTION), self.now)
        if pending and pending.stage is Stage.WITH_AGENT:
            if outcome in ("rejected", "resolved"):
                if self.s.pendings.move(pending.id, (Stage.WITH_AGENT,), Stage.CANCELLED):
                    self.s.record(f"pending_{outcome}_by_person", pending.conversation_id, actor=actor(user),
                                  pending=pending, note=note or None)

    def close(self, user: User, ticket_id: str, version: Optional[int], resolution: str) -> None:
        ticket = self.ticket(user, ticket_id)
        ticket_rules.expect_version(ticket, version)
        pending = self.s.pendings.get(ticket.pending_id) if ticket.pending_id else None
        _not_while_unconfirmed(pending, "close")
        self._apply(user, ticket_rules.close(ticket, user, resolution, self.now))
        if pending and self.s.pendings.move(pending.id, (Stage.WITH_AGENT,), Stage.CANCELLED):
            self.s.record("pending_closed_by_person", pending.conversation_id, actor=actor(user), pending=pending)

    def _waiting_action(self, ticket: Ticket) -> PendingAction:
        pending = self.s.pendings.get(ticket.pending_id) if ticket.pending_id else None
        if pending is None or pending.stage is not Stage.WITH_AGENT:
            raise InboxError(f"ticket {ticket.ref} has no action waiting for a person")
        return pending

    def _may_sign_off(self, user: User, pending: PendingAction) -> None:
        """A person handling the case may sign off what the customer could have confirmed, if the
        policy lets their role sign off that action (see ``sign_off``); a refusal is on record."""
        refused = sign_off.hand_back_refusal(user, pending, self.s.policy)
        if isinstance(refused, Forbidden):
            self.s.record("sign_off_refused", pending.conversation_id, actor=actor(user), pending=pending,
                          why=refused.message)
        if refused:
            raise refused

    def _apply(self, user: User, change: Change, message: Optional[tuple] = None,
               outgoing: tuple | list = (), feed: str = "updated") -> None:
        audit = self._audit(user, change.event, change.before, **change.detail)
        if not self.store.apply(change, audit, message=message, outgoing=outgoing, feed=feed):
            current = self.store.ticket(change.before.id)
            raise Conflict(f"ticket {change.before.ref} changed while you were acting on it"
                           f"{f' (now with {current.assignee})' if current and current.assignee else ''}; reload and look again")

    def _audit(self, user: User, event: str, ticket: Ticket, pending: Optional[PendingAction] = None,
               **detail: Any) -> AuditEntry:
        return self.s.ticket_entry(event, ticket, actor=actor(user), pending=pending, **detail)


def _not_while_unconfirmed(pending: Optional[PendingAction], doing: str) -> None:
    """An action whose run the business did not confirm may have happened: only a re-run under
    its own key (approve) tells, so nothing may cancel it or hand it back to the customer."""
    if pending is not None and pending.stage is Stage.WITH_AGENT and pending.claimed_at is not None:
        what = {"resolved": "mark it resolved", "rejected": "reject it", "continue": "hand it back to continue",
                "close": "close the ticket"}.get(doing, doing)
        raise InboxError(f"can't {what} while the waiting action may already have run (its outcome was never "
                         "confirmed): hand back with 'approved', which re-runs it safely under the same key "
                         "and says whether it had gone through")


def _joined(name: str) -> Outgoing:
    """The customer sees who has their conversation now."""
    line = joined_line(name)
    return Outgoing("status", {"line": str(line), "status": line.status})
