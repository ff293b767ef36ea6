"""Run a function over ranges of a big in-memory list on several cores, without pickling the list.

Workers are forked, so they inherit `shared` (parsed rows, compiled filters) as it is; only the range
bounds go in and only results come back. Where fork is not available, or for small inputs, it runs inline.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import sys
from collections.abc import Callable
from typing import Any

_SHARED: Any = None
MIN_ROWS_PER_PROCESS = 5000


def default_num_proc(rows: int) -> int:
    """Processes worth starting for `rows` rows: one per idle core, none extra for small inputs.

    On a machine whose cores other jobs already keep busy (load average ≥ cores), more processes gain no
    CPU time and only add copying, so the work stays in this process.
    """
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    idle = cores
    if hasattr(os, "getloadavg"):
        idle = int(cores - os.getloadavg()[0] + 1.5)  # + 1: this process is part of the load
    return max(1, min(cores, idle, rows // MIN_ROWS_PER_PROCESS))


def _run(args: tuple[Callable, int, int]) -> Any:
    function, start, end = args
    return function(_SHARED, start, end)


def map_ranges(
    function: Callable[[Any, int, int], Any],
    shared: Any,
    total: int,
    *,
    num_proc: int,
    chunk_size: int,
    progress: Any = None,
) -> list:
    """`[function(shared, start, end) for each chunk]`, in chunk order, on `num_proc` processes."""
    global _SHARED
    ranges = [(start, min(start + chunk_size, total)) for start in range(0, total, chunk_size)]
    results = []
    can_fork = sys.platform.startswith("linux") and "fork" in multiprocessing.get_all_start_methods()
    if num_proc <= 1 or len(ranges) <= 1 or not can_fork:
        for start, end in ranges:
            results.append(function(shared, start, end))
            if progress is not None:
                progress.update(end - start)
        return results
    _SHARED = shared
    # Freeze what exists now out of the garbage collector's reach: otherwise each worker's collections walk
    # (and so copy, page by page) the whole inherited heap.
    gc.collect()
    gc.freeze()
    try:
        with multiprocessing.get_context("fork").Pool(num_proc) as pool:
            for (start, end), result in zip(
                ranges, pool.imap(_run, [(function, s, e) for s, e in ranges]), strict=True
            ):
                results.append(result)
                if progress is not None:
                    progress.update(end - start)
    finally:
        _SHARED = None
        gc.unfreeze()
    return results
