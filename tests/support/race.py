"""Real races for concurrency tests: threads released at the same moment by a barrier."""

from __future__ import annotations

import threading
from typing import Callable, List, Optional, TypeVar

T = TypeVar("T")


def race(times: int, action: Callable[[], T]) -> List[T]:
    """Run ``action`` in ``times`` threads at once; return what each got, re-raising any error."""
    return race_between(*[action] * times)


def race_between(*actions: Callable[[], T]) -> List[T]:
    """Run different actions in threads released at the same moment; results in the order given."""
    barrier = threading.Barrier(len(actions))
    results: List[Optional[T]] = [None] * len(actions)
    errors: List[BaseException] = []

    def run(index: int, action: Callable[[], T]) -> None:
        try:
            barrier.wait(timeout=30)
            results[index] = action()
        except BaseException as exc:  # re-raised below, as in race()
            errors.append(exc)

    threads = [threading.Thread(target=run, args=pair) for pair in enumerate(actions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    if errors:
        raise errors[0]
    return results  # type: ignore[return-value]
