"""``docs/BENCHMARKS.md``: every figure of one run, with the machine, the targets and whether each was met.

A section whose measurement failed says so (the failure's text under "Errors"), so a report is
always written and never silently short. Speed is reported here, never asserted.

Inbox at scale is measured by ``bench.inbox_scale``; its rows (backend, size, layer, operation, p50_ms,
p99_ms) come in through ``Results.inbox_scale`` and are rendered by ``inbox_scale_section``.
"""

from __future__ import annotations

import os
import platform
import subprocess
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

from bench import inbox_scale
from bench.hitl import HitlSamples
from bench.latency import Paired
from bench.load import LoadResult
from bench.stats import Summary, ratio, verdict
from bench.webhook_ack import AckSamples
from bot.model import ROOT

REPORT = ROOT / "docs" / "BENCHMARKS.md"
SECTIONS = ("Turn latency", "Against an utter-only turn", "Conversation length", "Webhook acknowledgement",
            "Hand-offs, replies and approvals", "Sustained load", "Inbox at scale", "Errors")

#: What each section measures, above its figures.
NOTES = {
    "Turn latency": (
        "A customer's greeting, timed from the message leaving to the bot's first reply reaching the customer, "
        "ours and stock alternating request by request (10 turns per conversation, then the next customer). "
        "Ours: Rasa with our channels, `action_small_talk` on our action server (identity, session, risk check, "
        "audit), and our one change to Rasa itself: action responses checked by a prepared validator "
        "(`channels.action_response_check`), which saves stock's custom-action turn a large share of its time; "
        "the next section sets ours against stock given the same change. Stock: `action_hello` (rasa-sdk, one "
        "message). REST: ours with its bearer token and a customer "
        "on file. Web chat: socket.io (long-polling clients on both sides). SMS: a signed Twilio webhook; ours "
        "answers it at once, runs the turn and sends the reply through the fake Twilio as a queued delivery (`handoff.replies_at_once`); stock's twilio "
        "channel runs the turn inside the webhook and sends through the same fake (its twilio client redirected "
        "by the baseline's sitecustomize). Time = webhook POST -> the reply recorded at the fake Twilio. "
        "p99 is nearest-rank: with fewer than 100 samples it is the slowest one."),
    "Against an utter-only turn": (
        "Over REST, four-way interleaved: our greeting, stock's custom-action greeting, stock's goodbye "
        "answered by a response template alone (no action server call), and the custom-action greeting on "
        "stock Rasa given our one change to Rasa itself: action responses checked by a prepared validator "
        "(`channels.action_response_check`) instead of Rasa proving its constant schema valid on every call. "
        "Ours has that change; the last row is ours against stock on equal footing."),
    "Conversation length": (
        "One conversation per side grown turn by turn over REST (greetings, interleaved); the median cost of "
        "the turns starting at each turn number, and its growth against the first."),
    "Webhook acknowledgement": (
        "Every action call goes through a loopback proxy that holds it for the delay (both Rasa servers are "
        "started again with their action endpoint on it). A greeting by SMS from a different customer each "
        "time; time = webhook POST -> its HTTP answer. Twilio gives up on a webhook after 15 s."),
    "Hand-offs, replies and approvals": (
        "Ours only (stock Rasa has no inbox). Handoff: from the ticket's `created_at` (stamped by the action "
        "server when the risk check decides \"handoff\") to a signed-in agent's websocket client holding the "
        "ticket with its evidence pack (the push, then `GET /api/tickets/{id}`). Agent reply: the agent's POST "
        "-> the text at the fake Twilio / the message on the customer's web chat socket. Approval loop: a $700 "
        "refund confirmed by SMS; the manager's approval POST -> refund executed -> the customer's text at the "
        "fake Twilio. The inbox wakes on each commit (a local signal, or PostgreSQL NOTIFY); polling is only "
        "the safety net."),
    "Sustained load": (
        "Simulated customers, a third each on REST, web chat and SMS, each a closed loop (greeting, wait for the "
        "reply, next) for the given time; ours, then stock with the same load. Every message is in a ledger; "
        "lost = accepted but never answered or missing from the conversation's tracker, duplicated = more in "
        "the tracker than were sent, errors = refused or failed sends."),
    "Inbox at scale": "The inbox's queue list, claim and closed-ticket search with 10k and 100k tickets.",
}


@dataclass
class Results:
    quick: bool
    started: datetime
    seconds: float = 0.0
    baseline: str = ""
    latency: Optional[List[Paired]] = None
    utter: Optional[Tuple[Summary, ...]] = None  # ours, stock, stock utter-only, stock with our response check
    lengths: Optional[Dict[int, Tuple[float, float]]] = None
    ack: Optional[AckSamples] = None
    hitl: Optional[HitlSamples] = None
    load: Optional[Tuple[LoadResult, LoadResult]] = None
    inbox_scale: Optional[Sequence[inbox_scale.Row]] = None
    errors: Dict[str, str] = field(default_factory=dict)


def machine() -> Tuple[int, str]:
    """Cores (``os.cpu_count()``) and the CPU model."""
    model = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return os.cpu_count() or 0, model


def commit() -> str:
    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    head = git("rev-parse", "--short", "HEAD") or "unknown"
    return head + (" (with uncommitted changes)" if git("status", "--porcelain", "--untracked-files=no") else "")


def ms(value: float) -> str:
    return f"{value:.1f}"


def times(value: Optional[float]) -> str:
    return "n/a" if value is None else f"{value:.2f}x"


def table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> List[str]:
    return ["| " + " | ".join(header) + " |", "|" + "---|" * len(header), *("| " + " | ".join(r) + " |" for r in rows)]


def _missing(results: Results, section: str) -> List[str]:
    return [f"Not measured: {results.errors.get(section, 'skipped in this run')}."]


def latency_section(results: Results) -> List[str]:
    if results.latency is None:
        return _missing(results, "Turn latency")
    rows = []
    for paired in results.latency:
        p50, p99 = ratio(paired.ours.p50, paired.stock.p50), ratio(paired.ours.p99, paired.stock.p99)
        rows.append([paired.channel, str(paired.ours.count), ms(paired.ours.p50), ms(paired.stock.p50), times(p50),
                     verdict(p50, 1.10), ms(paired.ours.p99), ms(paired.stock.p99), times(p99), verdict(p99, 1.20)])
    return table(["channel", "samples each", "ours p50 ms", "stock p50 ms", "p50 ratio", "p50 <= 1.10x",
                  "ours p99 ms", "stock p99 ms", "p99 ratio", "p99 <= 1.20x"], rows)


def utter_section(results: Results) -> List[str]:
    if results.utter is None:
        return _missing(results, "Against an utter-only turn")
    ours, stock, utter, same_check = results.utter
    return table(["REST turn", "samples", "p50 ms", "p99 ms", "ours / this (p50)", "ours / this (p99)"], [
        ["ours: greeting (action server)", str(ours.count), ms(ours.p50), ms(ours.p99), "1.00x", "1.00x"],
        ["stock: greeting (custom action)", str(stock.count), ms(stock.p50), ms(stock.p99),
         times(ratio(ours.p50, stock.p50)), times(ratio(ours.p99, stock.p99))],
        ["stock: goodbye (utter-only)", str(utter.count), ms(utter.p50), ms(utter.p99),
         times(ratio(ours.p50, utter.p50)), times(ratio(ours.p99, utter.p99))],
        ["stock + our action-response check: greeting (custom action)", str(same_check.count), ms(same_check.p50),
         ms(same_check.p99), times(ratio(ours.p50, same_check.p50)), times(ratio(ours.p99, same_check.p99))],
    ])


def length_section(results: Results) -> List[str]:
    if results.lengths is None:
        return _missing(results, "Conversation length")
    first = results.lengths[min(results.lengths)]
    rows = [[str(length), ms(o), ms(s), times(ratio(o, s)), times(ratio(o, first[0])), times(ratio(s, first[1]))]
            for length, (o, s) in sorted(results.lengths.items())]
    return table(["turn number", "ours p50 ms", "stock p50 ms", "ours / stock", "ours growth", "stock growth"], rows)


def ack_section(results: Results) -> List[str]:
    ack = results.ack
    if ack is None:
        return _missing(results, "Webhook acknowledgement")
    ours = Summary.of(ack.ours_ms)
    p99 = ours.p99
    stock = Summary.of(ack.stock_ms) if ack.stock_ms else None
    lines = table(["side", "webhooks", "p50 ms", "p99 ms", "past Twilio's 15 s", "target"], [
        ["ours (SMS)", str(ours.count), ms(ours.p50), ms(p99), str(ack.ours_past_window),
         f"p99 < 50 ms: {verdict(p99, 50, strict=True)}; retry window never hit: "
         f"{'met' if ack.ours_past_window == 0 else 'not met'}"],
        ["stock (twilio)", str(len(ack.stock_ms)), ms(stock.p50) if stock else "n/a",
         ms(stock.p99) if stock else "n/a", str(ack.stock_past_window), "(baseline)"],
    ])
    replies = Summary.of(ack.ours_reply_ms) if ack.ours_reply_ms else None
    lines += ["", f"The action took {ack.delay_s:.0f} s. Our {ack.ours_replies} of {len(ack.ours_ms)} replies reached the "
              f"customer after their turn finished" + (f" (p50 {replies.p50 / 1000:.1f} s after the webhook)." if replies
                                                       else ".")]
    return lines


def hitl_section(results: Results) -> List[str]:
    hitl = results.hitl
    if hitl is None:
        return _missing(results, "Hand-offs, replies and approvals")
    rows = []
    for name, samples, limit in (("handoff: decided -> agent's websocket has the ticket and evidence", hitl.handoff_ms, 100),
                                 ("agent reply -> fake Twilio (SMS)", hitl.reply_sms_ms, 100),
                                 ("agent reply -> customer's web chat socket", hitl.reply_webchat_ms, 100),
                                 ("manager approves -> refund runs -> customer's SMS", hitl.approval_ms, 200)):
        summary = Summary.of(samples)
        rows.append([name, str(summary.count), ms(summary.p50), ms(summary.p99), f"p99 <= {limit} ms",
                     verdict(summary.p99, limit)])
    return table(["hop (ours)", "samples", "p50 ms", "p99 ms", "target", "met?"], rows)


def load_section(results: Results) -> List[str]:
    if results.load is None:
        return _missing(results, "Sustained load")
    ours, stock = results.load
    rows = [[r.side, str(r.customers), f"{r.seconds:.0f}", str(r.turns), f"{r.throughput:.1f}", str(r.lost),
             str(r.duplicated), str(r.errors)] for r in (ours, stock)]
    share = ratio(ours.throughput, stock.throughput)
    zero = ours.lost == ours.duplicated == ours.errors == 0
    lines = table(["side", "customers", "seconds", "turns answered", "turns/s", "lost", "duplicated", "errors"], rows)
    lines += ["", f"Throughput ours / stock: {times(share)} (target >= 0.9x: {verdict(share, 0.9, at_least=True)}); "
              f"lost, duplicated and errors all 0 on ours: {'met' if zero else 'not met'}."]
    for result in (ours, stock):
        lost = ", ".join(f"{channel} {count}" for channel, count in sorted(result.lost_by_channel.items()) if count)
        lines += [f"- {result.side}: lost by channel: {lost}"] if lost else []
        lines += [f"- {result.side} error: {kind}" for kind in result.error_kinds]
    return lines


def inbox_scale_section(results: Results) -> List[str]:
    rows = results.inbox_scale
    if rows is None:
        return _missing(results, "Inbox at scale")
    lines = table(["backend", "tickets", "through", "operation", "p50 ms", "p99 ms", "p99 <= 20 ms"],
                  [[row.backend, f"{row.size:,}", row.layer, row.operation, ms(row.p50_ms), ms(row.p99_ms),
                    verdict(row.p99_ms, inbox_scale.TARGET_P99_MS)] for row in rows])
    grown = inbox_scale.growth(rows)
    if grown:
        lines += ["", "Growth from the smallest size to the largest (target p99 growth <= 1.5x):", ""]
        lines += table(["backend", "through", "operation", "p50 growth", "p99 growth", "p99 growth <= 1.5x"],
                       [[g.backend, g.layer, g.operation, times(g.p50_ratio), times(g.p99_ratio),
                         verdict(g.p99_ratio, inbox_scale.TARGET_GROWTH)] for g in grown])
    return lines


def render(results: Results) -> str:
    cores, cpu = machine()
    mode = "quick (few samples, short load: a check that the harness works, not figures to quote)" if results.quick else "full"
    lines = [
        "# Benchmarks: ours against stock Rasa 3.6.21",
        "",
        "Run with `make bench` (trains what it needs, like `make run`; about 20 minutes on 2 busy cores), or",
        "`make bench ARGS=--quick` for a short check. Everything runs on this machine, on loopback only.",
        "The figures below are from one run; speed is reported, never asserted.",
        "",
        f"- Date: {results.started:%Y-%m-%d %H:%M} UTC; run time {results.seconds / 60:.1f} min; mode: {mode}",
        f"- Commit: {commit()}",
        f"- Machine: {cores} cores (os.cpu_count), {cpu}",
        "",
        "## The baseline", "", results.baseline, "",
    ]
    sections = [latency_section(results), utter_section(results), length_section(results), ack_section(results),
                hitl_section(results), load_section(results), inbox_scale_section(results)]
    for title, body in zip(SECTIONS, sections):
        lines += [f"## {title}", "", NOTES[title], "", *body, ""]
    lines += ["## Errors", ""]
    lines += [f"- {section}: {text}" for section, text in results.errors.items()] or ["None."]
    return "\n".join(lines) + "\n"


def write(results: Results, path: Path = REPORT) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render(results))
    return path
