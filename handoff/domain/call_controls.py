"""What the person on a customer's call may do to it from the inbox: put the caller on hold, take
them off it, and (with the ticket's hand-back) send them back to the assistant at once.

The person on the call is the ticket's assignee (pressing 1 on their phone gave them the ticket),
so only they may hold the caller; a supervisor reading along sees the call but does not work it.
Nothing here talks to the phones: the inbox steps the transfer (``warm_transfer.HoldCaller``,
``HandBack``) and the voice side's executor carries out what the step says.
"""

from __future__ import annotations

from typing import Dict, Optional

from actions.domain.ticket import Ticket
from handoff.domain.errors import Conflict, Forbidden, InboxError
from handoff.domain.people import User
from handoff.domain.transfer_records import CONNECTED, ON_HOLD, WITH_A_PERSON, Transfer


def may_hold(ticket: Ticket, transfer: Optional[Transfer], user: User) -> Dict[str, bool]:
    """Which of the hold buttons the user gets now (the page shows only these)."""
    mine = ticket.active and ticket.assignee == user.username and transfer is not None
    return {"hold": bool(mine and transfer and transfer.state == CONNECTED),
            "resume": bool(mine and transfer and transfer.state == ON_HOLD)}


def hold_refusal(ticket: Ticket, transfer: Optional[Transfer], user: User, on: bool, words: str = "") -> Optional[InboxError]:
    """Why the user may not put the caller on hold (``on``) or take them off it now; None if they may.
    ``words``: the call's state as the page says it, for the message."""
    doing = "put the caller on hold" if on else "take the caller off hold"
    if not ticket.active or ticket.assignee != user.username:
        who = f" ({ticket.assignee})" if ticket.assignee and ticket.active else ""
        return Forbidden(f"only the person on the call, the assignee of ticket {ticket.ref}{who}, can {doing}")
    if transfer is None:
        return Conflict(f"ticket {ticket.ref} has no phone call to {'hold' if on else 'resume'}")
    if transfer.state not in WITH_A_PERSON:
        return Conflict(f"the call is not connected with you, so you can't {doing}"
                        f"{f' (now: {words})' if words else ''}; reload the ticket")
    if on and transfer.state == ON_HOLD:
        return Conflict("the caller is already on hold")
    if not on and transfer.state == CONNECTED:
        return Conflict("the caller is not on hold")
    return None


def live(transfer: Optional[Transfer]) -> bool:
    """Whether a hand-back of the ticket must also bring the caller back from the room now."""
    return transfer is not None and not transfer.finished
