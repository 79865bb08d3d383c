"""``python -m bench`` (what ``make bench`` runs): every benchmark against stock Rasa, into docs/BENCHMARKS.md.

Order: train what is missing (our model, the stock baseline); start both stacks and the fake
Twilio; turn latency, the utter-only comparison, conversation length, the hops to and from people
and the sustained load; then both Rasa servers are started again with their action calls going
through a 20 s delay for the webhook acknowledgement. A measurement that fails is named in the
report's "Errors" and the others still run. ``--quick`` takes few samples and a short load.
``--only latency,hops`` runs just those measurements (while tuning one path) and writes their
figures to ``var/bench/PARTIAL.md``, never over the full report.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
import traceback
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from typing import Awaitable, Callable, List, Optional, TypeVar

import aiohttp

from bench import hitl, inbox_scale, latency, load, webhook_ack
from bench.baseline_project import BENCH_DIR, ensure_baseline
from bench.baseline_project import __doc__ as BASELINE
from bench.customers import BenchCustomer, add_to_business, bench_customers
from bench.report import REPORT, Results, write
from bench.sides import Side, our_side, stock_side
from bench.slow_actions import SlowActions
from bench.stacks import our_stack, restart_our_rasa, stock_stack
from bench.twilio_arrivals import Arrivals
from bot.model import ROOT, ensure_model
from bot.stack import Stack, free_port
from devtools.fake_twilio import FakeTwilio

T = TypeVar("T")
#: The measurements ``--only`` can choose, in the order a full run takes them.
MEASUREMENTS = ("latency", "utter", "lengths", "hops", "load", "ack", "inbox")
PARTIAL_REPORT = BENCH_DIR / "PARTIAL.md"


@dataclass(frozen=True)
class Plan:
    samples: int  # turn latency, per channel and side
    lengths: tuple
    hitl_samples: int
    load_customers: int
    load_seconds: float
    ack_samples: int
    ack_stock_samples: int
    ack_delay: float
    inbox_sizes: tuple
    inbox_samples: int
    only: frozenset = frozenset(MEASUREMENTS)

    def runs(self, measurement: str) -> bool:
        return measurement in self.only

    @classmethod
    def full(cls, load_seconds: float) -> "Plan":
        return cls(100, latency.LENGTHS, 50, 50, load_seconds, 100, 3, 20.0, inbox_scale.SIZES, inbox_scale.SAMPLES)

    @classmethod
    def quick(cls) -> "Plan":
        return cls(4, (1, 5), 1, 6, 8.0, 3, 1, 5.0, (1000, 2000), 10)


class Customers:
    """Hands out fresh customers (never used by an earlier measurement) to each measurement."""

    def __init__(self, total: int) -> None:
        self.ours, self.stock, self.next = bench_customers(total), bench_customers(total, stock=True), 0

    def take(self, count: int) -> tuple[List[BenchCustomer], List[BenchCustomer]]:
        start, self.next = self.next, self.next + count
        if self.next > len(self.ours):
            raise ValueError("the plan needs more bench customers than were added")
        return self.ours[start:self.next], self.stock[start:self.next]


async def guarded(results: Results, section: str, measure: Callable[[], Awaitable[T]],
                  wanted: bool = True) -> Optional[T]:
    """Run one measurement (if ``wanted``); a failure is written to the report instead of ending the run."""
    if not wanted:
        return None
    print(f"measuring: {section} ...", flush=True)
    started = time.monotonic()
    try:
        value = await measure()
    except Exception as problem:  # noqa: BLE001 - reported, and the other measurements still run
        traceback.print_exc()
        results.errors[section] = f"{type(problem).__name__}: {problem}"
        return None
    print(f"  done in {time.monotonic() - started:.0f} s", flush=True)
    return value


def with_customers(side: Side, customers: List[BenchCustomer]) -> Side:
    return replace(side, customers=customers)


async def main_measurements(plan: Plan, results: Results, ours_stack: Stack, stock, stock_same_check,
                            fake: FakeTwilio, arrivals: Arrivals, pool: Customers) -> None:
    async with aiohttp.ClientSession() as session:
        ours, theirs = our_side(ours_stack, session, fake, arrivals, []), stock_side(stock, session, fake, arrivals, [])
        same_check = stock_side(stock_same_check, session, fake, arrivals, [])

        def sides(count: int) -> tuple[Side, Side]:
            mine, others = pool.take(count)
            return with_customers(ours, mine), with_customers(theirs, others)

        conversations = plan.samples // latency.TURNS_PER_CONVERSATION + 2
        results.latency = await guarded(results, "Turn latency", lambda: latency.turn_latency(
            *sides(conversations), plan.samples), plan.runs("latency"))
        results.utter = await guarded(results, "Against an utter-only turn", lambda: latency.utter_only(
            *sides(conversations), with_customers(same_check, pool.take(conversations)[1]), plan.samples),
            plan.runs("utter"))
        results.lengths = await guarded(results, "Conversation length", lambda: latency.by_length(
            *sides(2), plan.lengths), plan.runs("lengths"))
        hops_side, _ = sides(3 * plan.hitl_samples)
        results.hitl = await guarded(results, "Hand-offs, replies and approvals", lambda: hitl.measure_hops(
            hops_side, session, ours_stack.inbox_url, hops_side.customers, plan.hitl_samples), plan.runs("hops"))
        load_ours, load_stock = sides(plan.load_customers)

        async def both_loads() -> tuple:
            first = await load.run_load(load_ours, session, load_ours.customers, plan.load_seconds)
            return first, await load.run_load(load_stock, session, load_stock.customers, plan.load_seconds)

        results.load = await guarded(results, "Sustained load", both_loads, plan.runs("load"))


async def ack_measurement(plan: Plan, results: Results, ours_stack: Stack, stock, fake: FakeTwilio,
                          arrivals: Arrivals, pool: Customers) -> None:
    """Both Rasa servers started again with their action calls through the slow proxy, then measured."""
    proxy = await SlowActions(free_port(), plan.ack_delay).start()
    proxy.targets.update({"ours": f"{ours_stack.actions_url}/webhook", "stock": f"{stock.actions_url}/webhook"})
    try:
        async def measure() -> webhook_ack.AckSamples:
            await asyncio.gather(asyncio.to_thread(restart_our_rasa, ours_stack, proxy.url("ours")),
                                 asyncio.to_thread(stock.restart_rasa, proxy.url("stock")))
            async with aiohttp.ClientSession() as session:
                mine, others = pool.take(max(webhook_ack.WARMUP + plan.ack_samples, plan.ack_stock_samples))
                return await webhook_ack.measure_ack(our_side(ours_stack, session, fake, arrivals, mine),
                                                     stock_side(stock, session, fake, arrivals, others),
                                                     plan.ack_samples, plan.ack_stock_samples, plan.ack_delay)

        results.ack = await guarded(results, "Webhook acknowledgement", measure, plan.runs("ack"))
    finally:
        await proxy.stop()


def run(plan: Plan, quick: bool) -> Results:
    results = Results(quick=quick, started=datetime.now(timezone.utc), baseline=(BASELINE or "").strip())
    began = time.monotonic()
    logs = BENCH_DIR / "logs"
    project = ensure_baseline(logs / "stock-train.log")
    model = ensure_model(log=logs / "train.log")
    pool = Customers(3 * (plan.samples // latency.TURNS_PER_CONVERSATION + 2) + 2 + 3 * plan.hitl_samples
                     + plan.load_customers + max(webhook_ack.WARMUP + plan.ack_samples, plan.ack_stock_samples))
    with FakeTwilio() as fake:
        arrivals = Arrivals(fake)
        if plan.only - {"inbox"}:
            print("starting our stack and the stock baseline ...", flush=True)
            with our_stack(fake, BENCH_DIR / "run" / "ours", model) as ours, \
                    stock_stack(project, fake, BENCH_DIR / "run" / "stock") as stock, \
                    stock_stack(project, fake, BENCH_DIR / "run" / "stock-same-check", our_response_check=True
                                ) as stock_same_check:
                add_to_business(ours.data_dir, pool.ours)
                asyncio.run(main_measurements(plan, results, ours, stock, stock_same_check, fake, arrivals, pool))
                if plan.runs("ack"):
                    asyncio.run(ack_measurement(plan, results, ours, stock, fake, arrivals, pool))
    results.inbox_scale = asyncio.run(guarded(results, "Inbox at scale", lambda: asyncio.to_thread(
        inbox_scale.measure, plan.inbox_sizes, inbox_scale.BACKENDS, plan.inbox_samples, print), plan.runs("inbox")))
    results.seconds = time.monotonic() - began
    return results


def measurements(names: str) -> frozenset:
    """``--only``'s value: known measurement names, comma-separated."""
    chosen = frozenset(name.strip() for name in names.split(",") if name.strip())
    unknown = sorted(chosen - set(MEASUREMENTS))
    if unknown or not chosen:
        raise argparse.ArgumentTypeError(f"choose from {', '.join(MEASUREMENTS)} (got {names!r})")
    return chosen


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="few samples and a short load: checks the harness works")
    parser.add_argument("--load-seconds", type=float, default=60.0, help="how long the sustained load lasts (full run)")
    parser.add_argument("--only", type=measurements, default=None, metavar="NAME[,NAME]",
                        help=f"run only these measurements ({', '.join(MEASUREMENTS)}); "
                             f"figures go to {PARTIAL_REPORT.relative_to(ROOT)}, not to the full report")
    args = parser.parse_args(argv)
    plan = Plan.quick() if args.quick else Plan.full(args.load_seconds)
    if args.only:
        plan = replace(plan, only=args.only)
    results = run(plan, args.quick)
    path = write(results, PARTIAL_REPORT if args.only else REPORT)
    print(f"written: {path} ({results.seconds / 60:.1f} min); errors: {len(results.errors)}", flush=True)
    return 1 if results.errors else 0


if __name__ == "__main__":
    sys.exit(main())
