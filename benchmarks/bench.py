"""Speed benchmark: default-preset training, paper-preset iterations vs the reference, inference.

    python benchmarks/bench.py [--image photo.jpg] [--reference ../shared/bench/reference_iteration.py]
                               [--skip-train] [--iters 10]

Prints one table:
- default preset: train time per scale and in total on a 250 px photo (default: scikit-image's
  rocket.jpg, the demo photo);
- paper preset: ms per iteration of this trainer at 188x250 with 32 channels (3 D + 3 G steps,
  WGAN-GP), alternated in the same process with the reference iteration (plain eager PyTorch),
  and the ratio;
- achieved GFLOP/s of both next to an fp32 matmul peak measured in the same run;
- one 250 px sample, and a 100-frame animation.
Run it on an idle machine: the numbers are wall-clock times.
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import time
from pathlib import Path

import torch
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils.flop_counter import flop_registry

from applications.animate import animate
from models.config import resolve_config
from models.image_io import load_image
from models.trainer import _ScaleTrainer, new_model, train

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_REFERENCE = ROOT.parent / "shared" / "bench" / "reference_iteration.py"


def demo_photo() -> Path:
    import skimage

    return Path(skimage.__file__).parent / "data" / "rocket.jpg"


def matmul_peak(dtype: torch.dtype = torch.float32, size: int = 2048, repeats: int = 10) -> float:
    """Matmul GFLOP/s in `dtype` (best of `repeats`)."""
    a, b = torch.randn(size, size, dtype=dtype), torch.randn(size, size, dtype=dtype)
    a @ b
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        a @ b
        best = min(best, time.perf_counter() - start)
    return 2 * size ** 3 / best / 1e9


def paper_trainer(height: int, width: int, precision: str = "auto") -> _ScaleTrainer:
    """This project's trainer at one scale with the paper preset (width 32)."""
    config = resolve_config("paper", overrides={"device": "cpu", "max_size": max(height, width),
                                                "min_size": min(height, width),
                                                "precision": precision})
    torch.manual_seed(0)
    model = new_model(torch.rand(1, 3, height, width) * 2 - 1, config)
    return _ScaleTrainer(model, 0)


class FlopCount(TorchDispatchMode):
    """Counts FLOPs of every op torch has a formula for (convolutions and their backward,
    matmuls). FlopCounterMode's module hooks break autograd.grad on leaf tensors, which the
    gradient penalty uses, so this counts at the dispatch level only."""

    def __init__(self) -> None:
        super().__init__()
        self.total = 0

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):  # type: ignore[no-untyped-def]
        kwargs = kwargs or {}
        out = func(*args, **kwargs)
        formula = flop_registry.get(func._overloadpacket)
        if formula is not None:
            self.total += formula(*args, **kwargs, out_val=out)
        return out


def flops_of(step) -> float:  # type: ignore[no-untyped-def]
    with FlopCount() as counter:
        step()
    return counter.total


def time_alternating(steps: dict[str, object], iters: int) -> dict[str, float]:
    """Median seconds per call of each step, the steps alternating call by call."""
    times: dict[str, list[float]] = {name: [] for name in steps}
    for _ in range(iters):
        for name, step in steps.items():
            start = time.perf_counter()
            step()  # type: ignore[operator]
            times[name].append(time.perf_counter() - start)
    return {name: statistics.median(values) for name, values in times.items()}


class Rows(list):  # type: ignore[type-arg]
    """Table rows, each also printed as it comes (a long run that fails keeps what it got)."""

    def append(self, row: tuple[str, str]) -> None:
        super().append(row)
        print(f"  {row[0]}: {row[1]}", flush=True)

    def table(self) -> None:
        width = max(len(k) for k, _ in self)
        print()
        for key, value in self:
            print(f"{key:<{width}}  {value}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--image", type=Path, default=None)
    parser.add_argument("--reference", type=Path, default=DEFAULT_REFERENCE)
    parser.add_argument("--iters", type=int, default=10)
    parser.add_argument("--skip-train", action="store_true")
    args = parser.parse_args()
    rows = Rows()
    rows.append(("threads", str(torch.get_num_threads())))
    peak = matmul_peak()
    rows.append(("fp32 matmul peak", f"{peak:.0f} GFLOP/s"))
    peak_bf16 = matmul_peak(torch.bfloat16)
    rows.append(("bf16 matmul peak", f"{peak_bf16:.0f} GFLOP/s"))

    model = None
    if not args.skip_train:
        image_path = args.image or demo_photo()
        config = resolve_config("default", overrides={"device": "cpu"})
        image = load_image(image_path, config.max_size)
        started = time.perf_counter()
        model = train(image, config)
        total = time.perf_counter() - started
        for n, seconds in enumerate(model.train_seconds):
            h, w = model.geometry.sizes[n]
            iters = config.iters_at(n, model.geometry.num_scales)
            rows.append((f"default preset, scale {n} ({w}x{h}, {iters} it)", f"{seconds:.1f} s"))
        rows.append((f"default preset, total ({image_path.name})", f"{total:.1f} s"))

    ours = paper_trainer(188, 250)
    precision = "bf16" if ours.autocast_dtype is not None else "fp32"
    steps: dict[str, object] = {f"singan {precision}": ours.step}
    peaks = {f"singan {precision}": peak_bf16 if precision == "bf16" else peak}  # per step
    if precision == "bf16":
        steps["singan fp32"] = paper_trainer(188, 250, "fp32").step
        peaks["singan fp32"] = peak
    if args.reference.exists():
        spec = importlib.util.spec_from_file_location("reference_iteration", args.reference)
        assert spec and spec.loader
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        steps["reference"] = module.ReferenceIteration(188, 250, 32).step
        peaks["reference"] = peak
    for step in steps.values():  # warm up
        step()  # type: ignore[operator]
    flops = {name: flops_of(step) for name, step in steps.items()}
    medians = time_alternating(steps, args.iters)
    for name, seconds in medians.items():
        rows.append((f"paper preset 188x250 w32, {name}", f"{seconds * 1000:.0f} ms/iter, "
                     f"{flops[name] / 1e9:.0f} GFLOP, {flops[name] / seconds / 1e9:.0f} GFLOP/s "
                     f"({flops[name] / seconds / 1e9 / peaks[name]:.0%} of its matmul peak)"))
    if "reference" in medians:
        for name in medians:
            if name != "reference":
                rows.append((f"paper preset / reference ({name})",
                             f"{medians[name] / medians['reference']:.2f}x"))

    if model is not None:
        model.generate()
        started = time.perf_counter()
        for i in range(5):
            model.generate(noise=model.draw_noise(seed=i))
        rows.append(("one 250 px sample", f"{(time.perf_counter() - started) / 5 * 1000:.0f} ms"))
        started = time.perf_counter()
        for _ in animate(model, 100):
            pass
        rows.append(("100-frame animation", f"{time.perf_counter() - started:.2f} s"))

    rows.table()


if __name__ == "__main__":
    main()
