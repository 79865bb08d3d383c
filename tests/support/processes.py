"""Real races between processes: each starts fresh (spawn) and all are released together."""

from __future__ import annotations

import multiprocessing
import traceback
from typing import Any, Callable, List


def _run(barrier: Any, failures: Any, action: Callable[..., Any], args: tuple) -> None:
    try:
        barrier.wait(timeout=60)
        action(*args)
    except BaseException:  # reported to the parent, which fails the test with it
        # Kept short: a process cannot exit while what it queued is still in the pipe.
        failures.put(traceback.format_exc()[-20_000:])
        raise


def race_processes(times: int, action: Callable[..., Any], *args: Any) -> None:
    """Run ``action(*args)`` in ``times`` new processes at once; fail with the first traceback.

    ``action`` must be a module-level function, as a new process imports it by name.
    """
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(times)
    failures = context.Queue()
    processes = [context.Process(target=_run, args=(barrier, failures, action, args)) for _ in range(times)]
    for process in processes:
        process.start()
    for process in processes:
        process.join(timeout=120)
    errors: List[str] = []
    while not failures.empty():
        errors.append(failures.get())
    stuck = [p.pid for p in processes if p.is_alive()]
    for process in processes:
        if process.is_alive():
            process.kill()
    if errors:
        raise AssertionError(f"{len(errors)} of {times} processes failed; the first:\n{errors[0]}")
    if stuck:
        raise AssertionError(f"processes {stuck} did not finish within two minutes")
    failed = [p.exitcode for p in processes if p.exitcode != 0]
    if failed:
        raise AssertionError(f"processes exited with {failed}")
