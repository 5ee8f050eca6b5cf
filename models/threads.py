"""How many CPU threads a training scale uses: from its work size and the cores actually free.

    with scale_threads(size=(188, 250), requested=0) as governor:   # 0 = choose; N = exactly N
        for step in ...:
            governor.adjust()   # re-chooses every few seconds, as other processes come and go
            ...

Two OpenMP threads on two free cores speed up every scale but the tiniest, but a thread that
must wait for a core another process holds stalls every op (`benchmarks/bench.py` has the
alone / busy rows). So: the tiniest scales run on one thread; the others on as many cores as
other processes leave free, measured when the scale starts and again every RECHECK_SECONDS,
within the budget the user gave (`OMP_NUM_THREADS`, the caller's `torch.set_num_threads`, or
the `threads` setting), never more than the cores we may use.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Iterator

import torch

SMALL_SCALE_PIXELS = 32 * 32  # below this (the work of one step) a scale trains on one thread
LOAD_SAMPLE_SECONDS = 0.1
RECHECK_SECONDS = 5.0


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


def _load_sample() -> tuple[tuple[float, float] | None, float, float]:
    return _cpu_times(), time.process_time(), time.perf_counter()


def _busy_between(before: tuple[tuple[float, float] | None, float, float],
                  after: tuple[tuple[float, float] | None, float, float]) -> float:
    """Cores kept busy by other processes between two _load_sample()s (0 where unknown)."""
    (machine_before, own_before, t_before), (machine_after, own_after, t_after) = before, after
    if machine_before is None or machine_after is None or machine_after[1] <= machine_before[1]:
        return 0.0
    machine_cores = os.cpu_count() or 1
    busy = (machine_after[0] - machine_before[0]) / (machine_after[1] - machine_before[1])
    own = (own_after - own_before) / max(t_after - t_before, 1e-6)
    return max(0.0, busy * machine_cores - own)


def busy_cores_elsewhere(interval: float = LOAD_SAMPLE_SECONDS) -> float:
    """Cores kept busy by other processes over the next `interval` seconds (0 where unknown)."""
    before = _load_sample()
    time.sleep(interval)
    return _busy_between(before, _load_sample())


def threads_for(size: tuple[int, int], requested: int = 0, busy: float | None = None,
                cap: int | None = None) -> int:
    """Threads for training a scale of `size` (h, w).

    Args:
        requested: > 0: exactly that many (the user's --threads); 0: choose.
        busy: cores busy with other processes (default: measured now).
        cap: the caller's thread count (default: torch's now).
    """
    if requested > 0:
        return requested
    # torch's own count is the caller's cap too (e.g. a Ray task sized to its CPU share)
    budget = min(thread_budget(), usable_cores(), cap or torch.get_num_threads())
    if budget == 1 or size[0] * size[1] < SMALL_SCALE_PIXELS:
        return 1
    busy = busy_cores_elsewhere() if busy is None else busy
    free = usable_cores() - round(busy)
    return max(1, min(budget, free))


class ThreadGovernor:
    """The thread count of one scale: chosen at its start, re-chosen by `adjust()` every
    RECHECK_SECONDS from the load other processes put on the machine since the last check."""

    def __init__(self, size: tuple[int, int], requested: int = 0) -> None:
        self.size, self.requested = size, requested
        self.cap = torch.get_num_threads()  # the caller's count, before this scale changes it
        self.threads = threads_for(size, requested)
        self.fixed = requested > 0 or threads_for(size, 0, busy=0.0) == 1
        torch.set_num_threads(self.threads)
        self._last = _load_sample()

    def adjust(self) -> int:
        """Call between steps; returns the thread count now in use."""
        if self.fixed:
            return self.threads
        now = _load_sample()
        if now[2] - self._last[2] < RECHECK_SECONDS:
            return self.threads
        chosen = threads_for(self.size, 0, busy=_busy_between(self._last, now), cap=self.cap)
        self._last = now
        if chosen != self.threads:
            self.threads = chosen
            torch.set_num_threads(chosen)
        return self.threads


class _NoGovernor:
    """A GPU scale: CPU threads are left alone."""

    threads = 0

    def adjust(self) -> int:
        return 0


@contextlib.contextmanager
def scale_threads(size: tuple[int, int], requested: int = 0,
                  device: torch.device | None = None) -> Iterator[ThreadGovernor | _NoGovernor]:
    """Run the block with a ThreadGovernor for a scale whose step works on `size` (h, w) (CPU
    only), then give the caller's thread count back. Yields the governor (threads 0 on a GPU)."""
    if device is not None and device.type != "cpu":
        yield _NoGovernor()
        return
    previous = torch.get_num_threads()
    try:
        yield ThreadGovernor(size, requested)
    finally:
        torch.set_num_threads(previous)
