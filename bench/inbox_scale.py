"""The inbox at scale: the queue list, a claim and the closed-ticket search at 10k and 100k tickets.

For each backend (SQLite, PostgreSQL) and each history size, a fresh database is seeded
(``bench.inbox_seed``: ~95% closed, several queues, messages), the inbox is started on it as a
process, and each operation is timed many times, through the store (``handoff.store.InboxStore``,
in this process) and through the inbox's HTTP API (as Maria the manager, who sees every queue):

- ``queue_list``: the active tickets (``GET /api/tickets``)
- ``claim``: claiming a waiting ticket (``POST /api/tickets/{id}/claim``)
- ``closed_first_page``: the newest closed tickets (``GET /api/closed-tickets``)
- ``search_customer``: by a customer's name, id or phone, in turn
- ``search_reference``: by a ticket's ref or an order number, in turn
- ``search_text``: by one or two words of the conversation
- ``search_date``: closed within a 7-day window somewhere in the history
- ``page_deep``: the page after a random point of the whole history ("older" many times over)

It prints the median and p99 of each, and the growth of each from the smallest size to the
largest; the targets are p99 <= 20 ms and growth <= 1.5x. It reports, it does not assert.

    .venv/bin/python -m bench.inbox_scale                       # 10k and 100k, both backends
    .venv/bin/python -m bench.inbox_scale --sizes 1000,2000     # a quick run
    .venv/bin/python -m bench.inbox_scale --backends sqlite --samples 50

``measure(...)`` returns the same figures as data (``Row``), for the main benchmark command.
"""

from __future__ import annotations

import argparse
import gc
import random
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import requests

from actions.domain.audit import AuditEntry
from actions.domain.closed_search import ClosedQuery, Cursor
from actions.domain.search_terms import customer_terms, reference_terms, word_terms
from actions.store.database import make_engine
from bench.inbox_seed import ITEMS, Seeded, seed
from bench.inbox_stack import database_url, running_inbox, signed_in
from handoff.demo_users import DEMO_USERS
from handoff.domain import tickets as ticket_rules
from handoff.domain.people import Role, User
from handoff.store import InboxStore

SIZES = (10_000, 100_000)
BACKENDS = ("sqlite", "postgresql")
SAMPLES = 200
WARM_UP = 5
TARGET_P99_MS, TARGET_GROWTH = 20.0, 1.5
MARIA = User("maria", "Maria Lopez", Role.MANAGER)
PASSWORD = {username: password for username, _, _, password in DEMO_USERS}
WORDS = ("broken", "charged", "refund", "late", "cancel", "courier", "declined", "replacement")


@dataclass(frozen=True)
class Row:
    backend: str
    size: int
    layer: str  # store | http
    operation: str
    p50_ms: float
    p99_ms: float
    samples: int


@dataclass(frozen=True)
class Growth:
    backend: str
    layer: str
    operation: str
    p50_ratio: float
    p99_ratio: float


def measure(sizes: Sequence[int] = SIZES, backends: Sequence[str] = BACKENDS, samples: int = SAMPLES,
            progress: Callable[[str], None] = lambda line: None) -> List[Row]:
    """Seed, start and time every operation on every backend and size; the figures, in that order."""
    rows: List[Row] = []
    for backend in backends:
        for size in sizes:
            progress(f"{backend}, {size} tickets: seeding")
            done = _one_run(backend, size, samples, progress)
            progress(report(done))  # each run's figures as soon as they are in: a long run shows its way
            rows += done
    return rows


def growth(rows: Sequence[Row]) -> List[Growth]:
    """Each operation's figures at the largest size over those at the smallest."""
    by_key: Dict[Tuple[str, str, str], Dict[int, Row]] = {}
    for row in rows:
        by_key.setdefault((row.backend, row.layer, row.operation), {})[row.size] = row
    found = []
    for (backend, layer, operation), sized in by_key.items():
        if len(sized) > 1:
            small, large = sized[min(sized)], sized[max(sized)]
            found.append(Growth(backend, layer, operation, large.p50_ms / small.p50_ms, large.p99_ms / small.p99_ms))
    return found


def _one_run(backend: str, size: int, samples: int, progress: Callable[[str], None]) -> List[Row]:
    with tempfile.TemporaryDirectory(prefix="inbox-bench-") as folder, database_url(backend, Path(folder)) as url:
        engine = make_engine(url)
        try:
            started = time.perf_counter()
            seeded = seed(engine, size, datetime.now(timezone.utc))
            progress(f"{backend}, {size} tickets: seeded in {time.perf_counter() - started:.0f} s; starting the inbox")
            # the harness's own record of the history (100k tickets' ids, refs and times) is not what is
            # timed: frozen, no full collection in the timing loops walks it (``actions.heap`` says why)
            gc.collect()
            gc.freeze()
            with running_inbox(url, Path(folder)) as base:
                store, rng = InboxStore(engine), random.Random(size)
                http = signed_in(base, "maria", PASSWORD["maria"])
                for_store, for_http = _claims(seeded, samples)
                counts = {"claim": len(for_store) - WARM_UP}
                rows = [Row(backend, size, "store", name, *_timed(call, counts.get(name, samples)))
                        for name, call in _store_operations(store, seeded, rng, for_store).items()]
                progress(f"{backend}, {size} tickets: store timed; timing the HTTP API")
                rows += [Row(backend, size, "http", name, *_timed(call, counts.get(name, samples)))
                         for name, call in _http_operations(http, base, seeded, rng, for_http).items()]
                return rows
        finally:
            gc.unfreeze()
            engine.dispose()


def _claims(seeded: Seeded, samples: int) -> Tuple[List[str], List[str]]:
    """Waiting tickets to claim, for the store and for the API: each one claimed once, warm-ups included."""
    each = min(samples + WARM_UP, len(seeded.open_ids) // 2)
    if each <= WARM_UP:
        raise ValueError(f"{seeded.size} tickets leave too few waiting to time a claim: seed at least 1000")
    return seeded.open_ids[:each], seeded.open_ids[each:2 * each]


def _store_operations(store: InboxStore, seeded: Seeded, rng: random.Random,
                      to_claim: List[str]) -> Dict[str, Callable[[], object]]:
    queues = MARIA.queues

    def closed(terms: frozenset = frozenset(), **window: object) -> object:
        return store.closed_tickets(queues, ClosedQuery(terms=terms, **window))  # type: ignore[arg-type]

    def claim() -> object:
        ticket = store.ticket(to_claim.pop())
        assert ticket is not None
        change = ticket_rules.claim(ticket, MARIA, datetime.now(timezone.utc))
        return store.apply(change, AuditEntry(at=datetime.now(timezone.utc), actor="manager:maria", event=change.event,
                                              conversation_id=ticket.conversation_id), feed="claimed")

    return {
        "queue_list": lambda: store.tickets(True, queues),
        "claim": claim,
        "closed_first_page": closed,
        "search_customer": lambda: closed(customer_terms(_customer(seeded, rng))),
        "search_reference": lambda: closed(reference_terms(_reference(seeded, rng))),
        "search_text": lambda: closed(word_terms(_text(rng))),
        "search_date": lambda: closed(**dict(zip(("closed_from", "closed_before"), _week(seeded, rng)))),
        "page_deep": lambda: closed(after=Cursor(*rng.choice(seeded.closed_positions))),
    }


def _http_operations(http: requests.Session, base: str, seeded: Seeded, rng: random.Random,
                     to_claim: List[str]) -> Dict[str, Callable[[], object]]:
    def get(path: str, **params: str) -> object:
        return _ok(http.get(f"{base}{path}", params=params, timeout=30))

    def week() -> Dict[str, str]:
        start, end = _week(seeded, rng)
        return {"closed_from": start.date().isoformat(), "closed_to": (end - timedelta(days=1)).date().isoformat()}

    return {
        "queue_list": lambda: get("/api/tickets"),
        "claim": lambda: _ok(http.post(f"{base}/api/tickets/{to_claim.pop()}/claim", json={"version": 1}, timeout=30)),
        "closed_first_page": lambda: get("/api/closed-tickets"),
        "search_customer": lambda: get("/api/closed-tickets", customer=_customer(seeded, rng)),
        "search_reference": lambda: get("/api/closed-tickets", ref=_reference(seeded, rng)),
        "search_text": lambda: get("/api/closed-tickets", text=_text(rng)),
        "search_date": lambda: get("/api/closed-tickets", **week()),
        "page_deep": lambda: get("/api/closed-tickets", after=Cursor(*rng.choice(seeded.closed_positions)).encode()),
    }


def _ok(answer: requests.Response) -> object:
    if answer.status_code != 200:
        raise RuntimeError(f"{answer.request.method} {answer.url} answered {answer.status_code}: {answer.text[:300]}")
    return answer.content


def _customer(seeded: Seeded, rng: random.Random) -> str:
    customer = rng.choice(seeded.customers)
    return rng.choice((customer.name, customer.id, customer.phone))


def _reference(seeded: Seeded, rng: random.Random) -> str:
    return rng.choice(seeded.refs) if rng.random() < 0.5 else f"#{rng.choice(seeded.orders)}"


def _text(rng: random.Random) -> str:
    return rng.choice(ITEMS) if rng.random() < 0.5 else f"{rng.choice(ITEMS)} {rng.choice(WORDS)}"


def _week(seeded: Seeded, rng: random.Random) -> Tuple[datetime, datetime]:
    first, last = seeded.closed_positions[0][0], seeded.closed_positions[-1][0]
    start = (first + (last - first) * rng.random()).replace(hour=0, minute=0, second=0, microsecond=0)
    return start, start + timedelta(days=7)


def _timed(call: Callable[[], object], samples: int) -> Tuple[float, float, int]:
    """(p50 ms, p99 ms, samples) of ``call``, after a few untimed warm-up calls."""
    for _ in range(WARM_UP):
        call()
    times = []
    for _ in range(samples):
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return times[len(times) // 2], times[min(len(times) - 1, int(len(times) * 0.99))], samples


def report(rows: Sequence[Row]) -> str:
    """The figures as text: one line per operation, then the growth from the smallest size to the largest."""
    lines = [f"{'backend':<11}{'size':>8}  {'layer':<6}{'operation':<20}{'p50 ms':>9}{'p99 ms':>9}  target p99 <= "
             f"{TARGET_P99_MS:.0f} ms"]
    for row in rows:
        mark = "ok" if row.p99_ms <= TARGET_P99_MS else "over"
        lines.append(f"{row.backend:<11}{row.size:>8}  {row.layer:<6}{row.operation:<20}{row.p50_ms:>9.2f}"
                     f"{row.p99_ms:>9.2f}  {mark}")
    grown = growth(rows)
    if grown:
        sizes = sorted({row.size for row in rows})
        lines += ["", f"growth {sizes[0]} -> {sizes[-1]} (target <= {TARGET_GROWTH}x)",
                  f"{'backend':<11}{'layer':<6}{'operation':<20}{'p50':>7}{'p99':>7}"]
        for item in grown:
            mark = "ok" if max(item.p50_ratio, item.p99_ratio) <= TARGET_GROWTH else "over"
            lines.append(f"{item.backend:<11}{item.layer:<6}{item.operation:<20}{item.p50_ratio:>6.2f}x"
                         f"{item.p99_ratio:>6.2f}x  {mark}")
    return "\n".join(lines)


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.inbox_scale", description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default=",".join(str(size) for size in SIZES),
                        help="history sizes in tickets, comma-separated (default: %(default)s)")
    parser.add_argument("--backends", default=",".join(BACKENDS), help="sqlite, postgresql or both (default: %(default)s)")
    parser.add_argument("--samples", type=int, default=SAMPLES, help="timed calls per operation (default: %(default)s)")
    args = parser.parse_args(argv)
    try:
        sizes = [int(size) for size in args.sizes.split(",")]
    except ValueError:
        parser.error("--sizes takes whole numbers separated by commas, e.g. 1000,2000")
    backends = [backend.strip() for backend in args.backends.split(",")]
    if any(size < 100 for size in sizes) or any(backend not in BACKENDS for backend in backends) or args.samples < 1:
        parser.error(f"sizes of at least 100 tickets, backends among {', '.join(BACKENDS)}, and at least one sample")
    rows = measure(sizes, backends, args.samples, progress=lambda line: print(line, file=sys.stderr, flush=True))
    print(report(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
