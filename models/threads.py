"""How many CPU threads a training scale uses: from its size and the cores actually free.

    with scale_threads(size=(188, 250), requested=0):   # 0 = choose; N = exactly N
        ...train the scale...

Two OpenMP threads on two cores help a large image, but at the small scales a step is a few
milliseconds of many tiny ops, and a thread that must wait for a core another process holds
stalls every op (`benchmarks/bench.py` has the alone / busy rows). So: small scales run on one
thread; larger ones on as many cores as are free when the scale starts, within the budget the
user gave (`OMP_NUM_THREADS`, the caller's `torch.set_num_threads`, or the `threads` setting),
never more than the cores we may use.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Iterator

import torch

SMALL_SCALE_PIXELS = 64 * 64  # below this a scale trains on one thread
LOAD_SAMPLE_SECONDS = 0.1


def usable_cores() -> int:
    """Cores this process may run on (its CPU affinity), at least 1."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def thread_budget() -> int:
    """The most threads to use: OMP_NUM_THREADS when the user set it, else the usable cores."""
    value = os.environ.get("OMP_NUM_THREADS", "").strip()
    if value.isdigit() and int(value) > 0:
        return int(value)
    return usable_cores()


def _cpu_times() -> tuple[float, float] | None:
    """(busy, total) jiffies of the whole machine from /proc/stat, None where there is none."""
    try:
        with open("/proc/stat", encoding="ascii") as stat:
            fields = [float(x) for x in stat.readline().split()[1:]]
    except (OSError, ValueError):
        return None
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0.0)  # idle + iowait
    total = sum(fields[:8])  # guest time is already counted in user
    return total - idle, total


def busy_cores_elsewhere(interval: float = LOAD_SAMPLE_SECONDS) -> float:
    """Cores kept busy by other processes over `interval` seconds (0 where unknown)."""
    before, own_before = _cpu_times(), time.process_time()
    if before is None:
        return 0.0
    time.sleep(interval)
    after, own_after = _cpu_times(), time.process_time()
    if after is None or after[1] <= before[1]:
        return 0.0
    machine_cores = os.cpu_count() or 1
    busy = (after[0] - before[0]) / (after[1] - before[1]) * machine_cores
    own = (own_after - own_before) / interval
    return max(0.0, busy - own)


def threads_for(size: tuple[int, int], requested: int = 0, busy: float | None = None) -> int:
    """Threads for training a scale of `size` (h, w).

    Args:
        requested: > 0: exactly that many (the user's --threads); 0: choose.
        busy: cores busy with other processes (default: measured now).
    """
    if requested > 0:
        return requested
    # torch's own count is the caller's cap too (e.g. a Ray task sized to its CPU share)
    budget = min(thread_budget(), usable_cores(), torch.get_num_threads())
    if budget == 1 or size[0] * size[1] < SMALL_SCALE_PIXELS:
        return 1
    busy = busy_cores_elsewhere() if busy is None else busy
    free = usable_cores() - round(busy)
    return max(1, min(budget, free))


@contextlib.contextmanager
def scale_threads(size: tuple[int, int], requested: int = 0,
                  device: torch.device | None = None) -> Iterator[int]:
    """Run the block with `threads_for(size, requested)` torch threads (CPU only), then give the
    caller's thread count back. Yields the count used (0 on a GPU: nothing changed)."""
    if device is not None and device.type != "cpu":
        yield 0
        return
    previous = torch.get_num_threads()
    threads = threads_for(size, requested)
    torch.set_num_threads(threads)
    try:
        yield threads
    finally:
        torch.set_num_threads(previous)
