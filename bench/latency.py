"""Turn latency, ours against stock, interleaved request by request; and how it grows with length.

What each side does in a measured turn:
- ours: a greeting ("hello there") from a customer on file; Rasa runs our NLU, the rule sends
  it to ``action_small_talk`` on our action server (identity, session, risk check on a greeting,
  audit entry) and the reply goes back on the channel it came from;
- stock: the same greeting; the stock rule sends it to ``action_hello`` (rasa-sdk, one message);
  ``utter-only``: a goodbye, answered by ``utter_goodbye`` without an action server call.

Samples alternate ours/stock (the first of each pair swaps every round), so both sides see the
same machine load. Each conversation takes ``TURNS_PER_CONVERSATION`` samples, then the next
customer's starts, so the figure is not one very long conversation's.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Awaitable, Callable, Dict, List, Sequence, Tuple

from bench.channels import WebChat
from bench.sides import Side
from bench.stats import Summary

GREETING = "hello there"
GOODBYE = "goodbye"
TURNS_PER_CONVERSATION = 10
CHANNELS = ("rest", "webchat", "sms")
#: The conversation lengths whose turn cost is reported, and how many turns are sampled at each.
LENGTHS = (1, 10, 50, 100)
AT_EACH_LENGTH = 3

Turn = Callable[[int], Awaitable[float]]


@dataclass(frozen=True)
class Paired:
    channel: str
    ours: Summary
    stock: Summary


async def interleaved(turns: Dict[str, Turn], samples: int, warmup: int = 2) -> Dict[str, List[float]]:
    """Run each named turn ``samples`` times, alternating between them, rotating who goes first."""
    names = list(turns)
    for index in range(warmup):
        for name in names:
            await turns[name](-1 - index)
    taken: Dict[str, List[float]] = {name: [] for name in names}
    for index in range(samples):
        shift = index % len(names)
        for name in names[shift:] + names[:shift]:
            taken[name].append(await turns[name](index))
    return taken


class ChannelTurns:
    """The greeting turn on one side and channel, sample ``i`` going to conversation ``i // 10``."""

    def __init__(self, side: Side, channel: str, text: str = GREETING) -> None:
        self.side, self.channel, self.text = side, channel, text
        self.pages: Dict[int, WebChat] = {}

    async def __call__(self, index: int) -> float:
        conversation = index // TURNS_PER_CONVERSATION if index >= 0 else len(self.side.customers) - 1
        customer = self.side.customers[conversation % len(self.side.customers)]
        if self.channel == "rest":
            return await self.side.rest.turn(customer.phone, self.text)
        if self.channel == "sms":
            return await self.side.sms.turn(customer.phone, self.text)
        if conversation not in self.pages:
            await self.close()
            self.pages[conversation] = await self.side.web_chat(customer)
        return await self.pages[conversation].turn(self.text)

    async def close(self) -> None:
        for page in self.pages.values():
            await page.close()
        self.pages.clear()


async def turn_latency(ours: Side, stock: Side, samples: int) -> List[Paired]:
    """Each channel, ours against stock's equivalent channel, interleaved."""
    results = []
    for channel in CHANNELS:
        sides = {"ours": ChannelTurns(ours, channel), "stock": ChannelTurns(stock, channel)}
        try:
            taken = await interleaved(dict(sides), samples)
        finally:
            for turns in sides.values():
                await turns.close()
        results.append(Paired(channel, Summary.of(taken["ours"]), Summary.of(taken["stock"])))
    return results


async def utter_only(ours: Side, stock: Side, same_check: Side, samples: int) -> Tuple[Summary, ...]:
    """Over REST, four-way interleaved: our greeting, stock's custom-action greeting, stock's utter-only
    goodbye, and the custom-action greeting on stock Rasa with our check of action responses."""
    taken = await interleaved({"ours": ChannelTurns(ours, "rest"), "stock": ChannelTurns(stock, "rest"),
                               "utter": ChannelTurns(stock, "rest", GOODBYE),
                               "same_check": ChannelTurns(same_check, "rest")}, samples)
    return tuple(Summary.of(taken[name]) for name in ("ours", "stock", "utter", "same_check"))


async def by_length(ours: Side, stock: Side, lengths: Sequence[int] = LENGTHS) -> Dict[int, Tuple[float, float]]:
    """One conversation per side grown turn by turn (interleaved, over REST); the median turn cost
    (ms) of the ``AT_EACH_LENGTH`` turns starting at each length, ours then stock."""
    ours_customer, stock_customer = ours.customers[-2], stock.customers[-2]
    wanted = {length + k for length in lengths for k in range(AT_EACH_LENGTH)}
    timings: Dict[str, Dict[int, float]] = {"ours": {}, "stock": {}}
    for turn in range(1, max(wanted) + 1):
        pair = [("ours", ours, ours_customer), ("stock", stock, stock_customer)]
        for name, side, customer in (pair if turn % 2 else pair[::-1]):
            took = await side.rest.turn(customer.phone, GREETING)
            if turn in wanted:
                timings[name][turn] = took

    def median_at(name: str, length: int) -> float:
        return Summary.of([timings[name][length + k] for k in range(AT_EACH_LENGTH)]).p50

    return {length: (median_at("ours", length), median_at("stock", length)) for length in lengths}
