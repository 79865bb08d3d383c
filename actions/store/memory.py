"""In-memory stores: the reference behaviour of every store contract, used by unit tests.

A lock makes each compare-and-set atomic, mirroring the conditional UPDATEs of the SQL stores.
"""

from __future__ import annotations

import asyncio

import secrets
import threading
from dataclasses import replace
from datetime import datetime
from typing import Dict, List, Optional, Sequence, Set, Tuple

from actions.domain.approval import Approval
from actions.domain.audit import AuditEntry
from actions.domain.links import IdentityLink, LinkRequest, LinkStatus
from actions.domain.messaging import DeliveryFailed, SmsSender
from actions.domain.outbound import CodeText, UndeliveredCode
from actions.domain.pending import AWAITING_CUSTOMER, PendingAction, Stage
from actions.domain.policy import PRIORITIES
from actions.domain.sealed import SEALED_FOR
from actions.domain.voice_calls import ENDED, VoiceCall
from actions.domain.step_up import OtpChallenge
from actions.domain.stores import Draft, Stores
from actions.domain.ticket import ACTIVE_STATUSES, OPEN, WITHDRAWN, Ticket


class MemoryPendingStore:
    def __init__(self) -> None:
        self._rows: Dict[str, PendingAction] = {}
        self._lock = threading.Lock()

    def add(self, pending: PendingAction) -> None:
        with self._lock:
            self._rows[pending.id] = pending

    def get(self, pending_id: str) -> Optional[PendingAction]:
        return self._rows.get(pending_id)

    def awaiting_customer(self, conversation_id: str) -> Optional[PendingAction]:
        with self._lock:
            rows = [p for p in self._rows.values() if p.conversation_id == conversation_id and p.stage in AWAITING_CUSTOMER]
        return max(rows, key=lambda p: p.created_at, default=None)

    def move(self, pending_id: str, from_stages: Sequence[Stage], to: Stage, result_message: Optional[str] = None,
             claimed_at: Optional[datetime] = None) -> bool:
        with self._lock:
            row = self._rows.get(pending_id)
            if row is None or row.stage not in from_stages:
                return False
            self._rows[pending_id] = replace(row, stage=to, result_message=result_message or row.result_message,
                                             claimed_at=claimed_at or row.claimed_at)
            return True

    def stuck_executing(self, conversation_id: str, claimed_before: datetime) -> Sequence[PendingAction]:
        with self._lock:
            return [p for p in self._rows.values() if p.conversation_id == conversation_id
                    and p.stage is Stage.EXECUTING and p.claimed_at is not None and p.claimed_at < claimed_before]

    def finished_since(self, conversation_id: str, since: datetime) -> Optional[PendingAction]:
        with self._lock:
            rows = [p for p in self._rows.values() if p.conversation_id == conversation_id
                    and p.stage in (Stage.DONE, Stage.FAILED) and p.claimed_at is not None and p.claimed_at >= since]
        return max(rows, key=lambda p: p.claimed_at, default=None)  # type: ignore[arg-type, return-value]

    def code_prompt_live_since(self, conversation_id: str, since: datetime) -> bool:
        with self._lock:
            return any(p.conversation_id == conversation_id and p.outcome == "otp" and p.expires_at >= since
                       for p in self._rows.values())

    def add_unclear_reply(self, pending_id: str) -> int:
        with self._lock:
            row = self._rows[pending_id]
            self._rows[pending_id] = replace(row, unclear_replies=row.unclear_replies + 1)
            return row.unclear_replies + 1


class MemoryChallengeStore:
    def __init__(self) -> None:
        self._rows: Dict[str, OtpChallenge] = {}
        self._lock = threading.Lock()

    def add(self, challenge: OtpChallenge) -> None:
        with self._lock:
            self._rows[challenge.id] = challenge

    def current(self, pending_id: str) -> Optional[OtpChallenge]:
        with self._lock:
            rows = [c for c in self._rows.values() if c.pending_id == pending_id]
        return max(rows, key=lambda c: (c.send_number, c.issued_at), default=None)

    def update(self, before: OtpChallenge, after: OtpChallenge) -> bool:
        with self._lock:
            row = self._rows.get(before.id)
            if row is None or row.status != before.status or row.attempts != before.attempts:
                return False
            self._rows[before.id] = after
            return True


class MemoryDraftStore:
    def __init__(self) -> None:
        self._rows: Dict[str, Draft] = {}

    def get(self, conversation_id: str) -> Optional[Draft]:
        return self._rows.get(conversation_id)

    def put(self, conversation_id: str, draft: Draft) -> None:
        self._rows[conversation_id] = draft

    def clear(self, conversation_id: str) -> None:
        self._rows.pop(conversation_id, None)


class MemoryAuditLog:
    def __init__(self) -> None:
        self._rows: List[AuditEntry] = []

    def append(self, entry: AuditEntry) -> None:
        self._rows.append(entry)

    def entries(self, conversation_id: Optional[str] = None) -> Sequence[AuditEntry]:
        return [e for e in self._rows if conversation_id is None or e.conversation_id == conversation_id]


class MemoryHandoffQueue:
    def __init__(self) -> None:
        self.requests: List[Ticket] = []
        self.messages: List[Tuple[str, str, datetime]] = []  # (ticket id, text, at) passed to people
        self.told: Set[str] = set()

    def add(self, ticket: Ticket) -> None:
        self.requests.append(ticket)

    def open_for(self, conversation_id: str) -> Optional[Ticket]:
        return next((r for r in self.requests
                     if r.conversation_id == conversation_id and r.status in ACTIVE_STATUSES), None)

    def take_untold(self, conversation_id: str) -> Optional[Ticket]:
        found = next((r for r in reversed(self.requests) if r.conversation_id == conversation_id
                      and r.status == "closed" and r.id not in self.told), None)
        if found:
            self.told.add(found.id)
        return found

    def customer_said(self, ticket_id: str, text: str, at: datetime, channel: Optional[str] = None) -> bool:
        if not any(r.id == ticket_id and r.status in ACTIVE_STATUSES for r in self.requests):
            return False
        self.messages.append((ticket_id, text, at))
        return True

    def waiting_ahead(self, ticket: Ticket) -> int:
        return sum(1 for r in self.requests if r.queue == ticket.queue and r.status == OPEN
                   and r.created_at < ticket.created_at)

    def withdraw(self, ticket_id: str, at: datetime) -> bool:
        if not any(r.id == ticket_id and r.status == OPEN for r in self.requests):
            return False
        self.requests = [replace(r, status="closed", outcome=WITHDRAWN) if r.id == ticket_id else r
                         for r in self.requests]
        self.told.add(ticket_id)
        return True

    def raise_priority(self, ticket_id: str, priority: str, why: str, at: datetime) -> bool:
        found = next((r for r in self.requests if r.id == ticket_id and r.status in ACTIVE_STATUSES), None)
        if found is None or PRIORITIES.index(found.priority) <= PRIORITIES.index(priority):
            return False
        self.requests = [replace(r, priority=priority) if r.id == ticket_id else r for r in self.requests]
        return True

    def for_customer(self, customer_id: str) -> Sequence[Ticket]:
        return sorted((r for r in self.requests if r.customer_id == customer_id), key=lambda r: r.created_at)


class MemoryApprovalQueue:
    def __init__(self) -> None:
        self.requests: List[Approval] = []
        self.told: Set[str] = set()

    def add(self, approval: Approval) -> None:
        self.requests.append(approval)

    def for_pending(self, pending_id: str) -> Optional[Approval]:
        return next((r for r in self.requests if r.pending_id == pending_id), None)

    def open_for_customer(self, customer_id: str) -> Sequence[Approval]:
        mine = [r for r in self.requests if r.customer_id == customer_id and r.status == "pending"]
        return sorted(mine, key=lambda r: r.requested_at)

    def take_untold(self, conversation_id: str) -> Sequence[Approval]:
        taken = [r for r in self.requests if r.conversation_id == conversation_id and r.status != "pending"
                 and r.id not in self.told and not (r.status == "approved" and r.result is None)]
        self.told.update(r.id for r in taken)
        return taken


class MemoryIdentityLinks:
    def __init__(self) -> None:
        self._requests: Dict[str, LinkRequest] = {}
        self._links: Dict[str, IdentityLink] = {}  # by the visitor's conversation id
        self._lock = threading.Lock()

    def add_request(self, request: LinkRequest) -> None:
        with self._lock:
            self._requests[request.id] = request

    def open_request(self, conversation_id: str) -> Optional[LinkRequest]:
        with self._lock:
            rows = [r for r in self._requests.values()
                    if r.conversation_id == conversation_id and r.status is LinkStatus.REQUESTED]
        return max(rows, key=lambda r: r.requested_at, default=None)

    def move_request(self, request_id: str, from_statuses: Sequence[LinkStatus], to: LinkStatus) -> bool:
        with self._lock:
            row = self._requests.get(request_id)
            if row is None or row.status not in from_statuses:
                return False
            self._requests[request_id] = replace(row, status=to)
            return True

    def requested_since(self, since: datetime, *, conversation_id: Optional[str] = None,
                        customer_id: Optional[str] = None, client: Optional[str] = None) -> int:
        with self._lock:
            return sum(1 for r in self._requests.values() if r.requested_at >= since
                       and (conversation_id is None or r.conversation_id == conversation_id)
                       and (customer_id is None or r.customer_id == customer_id)
                       and (client is None or r.client == client))

    def code_prompt_live_since(self, conversation_id: str, since: datetime) -> bool:
        with self._lock:
            return any(r.conversation_id == conversation_id and r.expires_at >= since for r in self._requests.values())

    def link(self, request_id: str, verified_at: datetime, proof: str) -> Optional[IdentityLink]:
        with self._lock:
            row = self._requests.get(request_id)
            if row is None or row.status is not LinkStatus.REQUESTED or row.customer_id is None \
                    or row.conversation_id in self._links:
                return None
            self._requests[request_id] = replace(row, status=LinkStatus.LINKED)
            link = IdentityLink(row.conversation_id, row.customer_id, verified_at, proof, request_id)
            self._links[row.conversation_id] = link
            return link

    def linked(self, conversation_id: str) -> Optional[IdentityLink]:
        return self._links.get(conversation_id)


class MemoryOutbound:
    """Codes queued in memory. Nothing sends them by itself: ``deliver`` does, once each, as the
    delivery worker would, with any failure final (as when the code's time ran out)."""

    def __init__(self) -> None:
        self.queued: List[CodeText] = []
        self._failed: List[Tuple[str, UndeliveredCode]] = []
        self._lock = threading.Lock()

    def queue_code(self, code: CodeText, now: datetime) -> None:
        with self._lock:
            self.queued.append(code)

    def undelivered(self, conversation_id: str) -> List[UndeliveredCode]:
        with self._lock:
            return [failed for conversation, failed in self._failed if conversation == conversation_id]

    def deliver(self, sender: SmsSender) -> List[CodeText]:
        """Send every queued code through ``sender`` (on an event loop of its own); the ones that failed."""
        with self._lock:
            due, self.queued = self.queued, []
        failed = []
        for code in due:
            try:
                asyncio.run(sender.send_sms(code.to, code.text))
            except DeliveryFailed as exc:
                failed.append(code)
                with self._lock:
                    self._failed.append((code.conversation_id, UndeliveredCode(code.challenge_id, code.subject_id, code.to[-4:], str(exc))))
        return failed


class MemorySealedInputs:
    def __init__(self) -> None:
        self._sealed: Dict[str, Tuple[str, str, datetime]] = {}
        self._lock = threading.Lock()

    def seal(self, conversation_id: str, value: str, at: datetime) -> str:
        ref = secrets.token_urlsafe(18)
        with self._lock:
            self._sealed = {k: v for k, v in self._sealed.items() if v[2] >= at - SEALED_FOR}
            self._sealed[ref] = (conversation_id, value, at)
        return ref

    def take(self, ref: str, conversation_id: str, now: datetime) -> Optional[str]:
        with self._lock:
            found = self._sealed.get(ref)
            if found is None or found[0] != conversation_id:
                return None
            del self._sealed[ref]
        return found[1] if found[2] >= now - SEALED_FOR else None


class MemoryVoiceCalls:
    """Calls, their turns and what waits to be said on them, in memory (``actions.domain.voice_calls``)."""

    def __init__(self) -> None:
        self._calls: Dict[str, VoiceCall] = {}
        self._turns: Dict[Tuple[str, int], Tuple[Optional[str], Optional[str]]] = {}  # (twiml, heard)
        self._speech: List[Tuple[str, str, bool]] = []  # (call, text, spoken)
        self._lock = threading.Lock()

    def start(self, call: VoiceCall) -> bool:
        with self._lock:
            if call.call_sid in self._calls:
                return False
            self._calls[call.call_sid] = call
            return True

    def get(self, call_sid: str) -> Optional[VoiceCall]:
        return self._calls.get(call_sid)

    def live_for(self, conversation_id: str) -> Optional[VoiceCall]:
        live = [c for c in self._calls.values() if c.conversation_id == conversation_id and c.live]
        return max(live, key=lambda c: c.started_at) if live else None

    def begin_turn(self, call_sid: str, turn: int, at: datetime, heard: Optional[str] = None) -> bool:
        with self._lock:
            if (call_sid, turn) in self._turns:
                return False
            self._turns[(call_sid, turn)] = (None, heard)
            return True

    def heard(self, call_sid: str) -> Sequence[str]:
        return [said for (sid, _), (_, said) in sorted(self._turns.items()) if sid == call_sid and said is not None]

    def expect(self, call_sid: str, expecting: Optional[str]) -> None:
        with self._lock:
            if call_sid in self._calls:
                self._calls[call_sid] = replace(self._calls[call_sid], expecting=expecting)

    def answer_of(self, call_sid: str, turn: int) -> Optional[str]:
        return self._turns.get((call_sid, turn), (None, None))[0]

    def finish_turn(self, call_sid: str, turn: int, twiml: str, *, misses: int, expecting: Optional[str]) -> None:
        with self._lock:
            if (call_sid, turn) in self._turns:
                self._turns[(call_sid, turn)] = (twiml, self._turns[(call_sid, turn)][1])
            call = self._calls.get(call_sid)
            if call is not None and call.turn <= turn:
                self._calls[call_sid] = replace(call, turn=turn, misses=misses, expecting=expecting)

    def move(self, call_sid: str, from_stages: Sequence[str], to: str) -> bool:
        with self._lock:
            call = self._calls.get(call_sid)
            if call is None or call.stage not in from_stages:
                return False
            self._calls[call_sid] = replace(call, stage=to)
            return True

    def ended(self, call_sid: str, status: str, at: datetime) -> bool:
        with self._lock:
            call = self._calls.get(call_sid)
            if call is None or not call.live:
                return False
            self._calls[call_sid] = replace(call, stage=ENDED, status=status, ended_at=at)
            return True

    def queue_speech(self, call_sid: str, text: str, at: datetime) -> None:
        with self._lock:
            self._speech.append((call_sid, text, False))

    def speech_waiting(self, call_sid: str) -> bool:
        return any(sid == call_sid and not spoken for sid, _, spoken in self._speech)

    def take_speech(self, call_sid: str, at: datetime) -> Sequence[str]:
        with self._lock:
            taken = [text for sid, text, spoken in self._speech if sid == call_sid and not spoken]
            self._speech = [(sid, text, spoken or sid == call_sid) for sid, text, spoken in self._speech]
            return taken


def memory_stores() -> Stores:
    return Stores(MemoryPendingStore(), MemoryChallengeStore(), MemoryDraftStore(), MemoryAuditLog(),
                  MemoryHandoffQueue(), MemoryApprovalQueue(), MemoryIdentityLinks(), MemoryOutbound(),
                  MemorySealedInputs())
