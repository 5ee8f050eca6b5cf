"""Thread counts per scale: the user's choice wins, tiny scales use one thread, larger ones the
cores that other processes leave free (re-checked during the scale), never more than
OMP_NUM_THREADS."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import torch

from models import threads
from models.threads import scale_threads, threads_for

BIG = (188, 250)
SMALL = (16, 24)


@pytest.fixture
def four_cores(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(threads, "usable_cores", lambda: 4)
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    before = torch.get_num_threads()
    torch.set_num_threads(4)
    yield
    torch.set_num_threads(before)


def test_an_explicit_thread_count_is_used_as_given(four_cores: None) -> None:
    assert threads_for(SMALL, requested=3, busy=4.0) == 3


def test_small_scales_train_on_one_thread(four_cores: None) -> None:
    assert threads_for(SMALL, busy=0.0) == 1


@pytest.mark.parametrize(("busy", "expected"), [(0.0, 4), (0.9, 3), (2.2, 2), (3.6, 1), (9.0, 1)])
def test_large_scales_use_the_cores_other_processes_leave_free(four_cores: None, busy: float,
                                                                expected: int) -> None:
    assert threads_for(BIG, busy=busy) == expected


def test_omp_num_threads_caps_the_choice(four_cores: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OMP_NUM_THREADS", "2")
    assert threads_for(BIG, busy=0.0) == 2
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    assert threads_for(BIG, busy=0.0) == 1


def test_the_callers_torch_thread_count_caps_the_choice(four_cores: None) -> None:
    torch.set_num_threads(2)  # e.g. a Ray task given 2 CPUs
    assert threads_for(BIG, busy=0.0) == 2


def test_the_callers_thread_count_comes_back(four_cores: None) -> None:
    before = torch.get_num_threads()
    with scale_threads(SMALL) as used:
        assert used.threads == 1 and torch.get_num_threads() == 1
    assert torch.get_num_threads() == before


def test_a_gpu_scale_leaves_cpu_threads_alone() -> None:
    before = torch.get_num_threads()
    with scale_threads(SMALL, device=torch.device("meta")) as used:
        assert used.threads == 0 and used.adjust() == 0 and torch.get_num_threads() == before


def test_other_processes_load_is_the_machine_s_less_our_own(monkeypatch: pytest.MonkeyPatch) -> None:
    # (machine busy, machine total) jiffies, our CPU seconds, wall seconds; 2 cores, 1 s
    monkeypatch.setattr(threads.os, "cpu_count", lambda: 2)
    start = ((0.0, 0.0), 0.0, 0.0)
    with_other = ((150.0, 200.0), 1.0, 1.0)  # 1.5 cores busy, one of them ours
    assert abs(threads._busy_between(start, with_other) - 0.5) < 1e-9
    # our CPU time counted a little more than the machine saw (different clocks): none, not < 0
    assert threads._busy_between(start, ((90.0, 200.0), 1.0, 1.0)) == 0.0
    assert threads._busy_between(start, (None, 1.0, 1.0)) == 0.0  # no /proc/stat: unknown


def test_a_scale_gives_up_a_core_when_another_process_starts_and_takes_it_back(
        four_cores: None, monkeypatch: pytest.MonkeyPatch) -> None:
    clock = {"t": 0.0, "machine_busy": 0.0, "own": 0.0}

    def sample() -> tuple[tuple[float, float], float, float]:
        # machine jiffies (busy, total) over 4 cores, our CPU seconds, wall seconds
        return ((clock["machine_busy"], clock["t"] * 4), clock["own"], clock["t"])

    monkeypatch.setattr(threads, "_load_sample", sample)
    monkeypatch.setattr(threads.os, "cpu_count", lambda: 4)
    monkeypatch.setattr(threads, "busy_cores_elsewhere", lambda interval=0.1: 0.0)

    def run(seconds: float, own_cores: float, other_cores: float) -> None:
        clock["t"] += seconds
        clock["own"] += seconds * own_cores
        clock["machine_busy"] += seconds * min(4.0, own_cores + other_cores)

    governor = threads.ThreadGovernor(BIG)
    assert governor.threads == 4
    run(1.0, 4, 2)
    assert governor.adjust() == 4  # not yet: re-checked every RECHECK_SECONDS
    run(threads.RECHECK_SECONDS, 2, 2)  # two cores' worth of work arrived elsewhere
    assert governor.adjust() == 2 and torch.get_num_threads() == 2
    run(threads.RECHECK_SECONDS, 2, 0)  # and left
    assert governor.adjust() == 4


def test_an_explicit_count_and_tiny_scales_are_never_re_chosen(four_cores: None) -> None:
    assert threads.ThreadGovernor(BIG, requested=3).fixed
    assert threads.ThreadGovernor(SMALL).fixed
