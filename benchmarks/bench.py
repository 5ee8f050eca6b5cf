"""Speed benchmark: default-preset training, paper-preset iterations vs the reference, inference.

    python benchmarks/bench.py [--image photo.jpg] [--reference ../shared/bench/reference_iteration.py]
                               [--skip-train] [--skip-busy] [--skip-large] [--profile] [--iters 10]

Prints one table, headed by the machine (CPU model, its AVX2/AVX-512/AMX flags, whether bf16 is
native, threads, GPU if any):
- paper preset: ms per iteration of this trainer at 188x250 with 32 channels (3 D + 3 G steps,
  WGAN-GP), alternated in the same process with the reference iteration (plain eager PyTorch),
  and the ratio; fp32 always, bf16 too where the CPU computes it natively;
- achieved GFLOP/s of each next to a matmul peak in the same precision, measured in the same run;
- default preset in fp32: train time per scale and in total on a 250 px photo (default:
  scikit-image's rocket.jpg, the demo photo), and that total in reference iterations (the
  reference's median time from the rows above);
- with --profile: per scale of that pyramid, ms and GFLOP per step with the default's WGAN-GP and
  with hinge loss + spectral normalisation (alternating step by step), and each whole preset
  from those step times;
- busy machine: per scale of that photo's default-preset pyramid, ms per step alone and while a
  second training of the same photo runs in another process, and the ratio;
- large photos: the same photo (default: ../shared/data's 2048x1536 wild_bush.jpg) trained
  with `singan train --max-size 250` and `--max-size 1000` in child processes: times, their
  ratio, and each child's peak resident memory;
- one 250 px sample, and a 100-frame animation.
With --device cuda (or mps) it times that device instead, in seconds (the reference iteration is
a CPU yardstick): the training-free sample (the first, then warm), the default preset in the
device's automatic precision, one sample and the animation.
Run it on an otherwise idle machine: the numbers are wall-clock times.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils.flop_counter import flop_registry

from applications.animate import animate
from models.config import resolve_config
from models.devices import autocast_dtype, resolve_device
from models.image_io import load_image
from models.patch_match import photo_model
from models.threads import scale_threads
from models.trainer import ScaleTrainer, new_model, train

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_REFERENCE = ROOT.parent / "shared" / "bench" / "reference_iteration.py"
DEFAULT_LARGE = ROOT.parent / "shared" / "data" / "Animation" / "wild_bush.jpg"  # 2048x1536


def demo_photo() -> Path:
    import skimage

    return Path(skimage.__file__).parent / "data" / "rocket.jpg"


def machine_description() -> list[tuple[str, str]]:
    """Rows naming the hardware: CPU model and flags, native bf16, threads, GPU."""
    model, flags = platform.processor() or "unknown CPU", set()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            key, _, value = line.partition(":")
            if key.strip() == "model name":
                model = value.strip()
            elif key.strip() == "flags":
                flags = set(value.split())
    except OSError:
        pass
    wanted = ["avx2", "avx512f", "avx512_bf16", "amx_bf16"]
    shown = " ".join(f for f in wanted if f in flags) or "none of " + "/".join(wanted)
    native = autocast_dtype("auto", torch.device("cpu")) is not None
    rows = [("cpu", f"{model}, {os.cpu_count()} cores; flags: {shown}"),
            ("native bf16 on this CPU", "yes" if native else "no (precision auto = fp32)"),
            ("torch threads", str(torch.get_num_threads())),
            ("torch", torch.__version__)]
    if torch.cuda.is_available():
        rows.append(("gpu", torch.cuda.get_device_name(0)))
    return rows


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


def paper_trainer(height: int, width: int, precision: str = "auto") -> ScaleTrainer:
    """This project's trainer at one scale with the paper preset (width 32)."""
    config = resolve_config("paper", overrides={"device": "cpu", "max_size": max(height, width),
                                                "min_size": min(height, width),
                                                "precision": precision})
    torch.manual_seed(0)
    model = new_model(torch.rand(1, 3, height, width) * 2 - 1, config)
    return ScaleTrainer(model, 0)


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


def step_ms(trainer: ScaleTrainer, steps: int) -> float:
    """Median ms per training step of `trainer` (after one warm-up step), with the thread count
    the trainer would choose (and re-choose) for it."""
    with scale_threads(trainer.work_size) as governor:
        trainer.step()
        times = []
        for _ in range(steps):
            governor.adjust()
            start = time.perf_counter()
            trainer.step()
            times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def untrained_pyramid(image_path: Path, overrides: dict[str, object] | None = None):  # type: ignore[no-untyped-def]
    """A default-preset fp32 model of the photo whose scales but the finest hold untrained,
    frozen generators: ScaleTrainer(model, n) then times scale n's step as in a training
    (the frozen coarser scales only feed its fake input; untrained ones cost the same)."""
    config = resolve_config("default", overrides={"device": "cpu", "precision": "fp32",
                                                  **(overrides or {})})
    model = new_model(load_image(image_path, config.max_size), config)
    for n in range(model.geometry.num_scales - 1):
        model.generators.append(ScaleTrainer(model, n).generator.eval().requires_grad_(False))
        model.noise_amps.append(0.1)
    return model, config


REGULARIZERS = {"WGAN-GP": {}, "hinge + SN": {"loss": "hinge", "spectral_norm": True}}


def scale_profile_rows(image_path: Path, rows: Rows, steps: int,
                       reference_seconds: float | None = None) -> None:
    """Per scale of the default preset, for each regulariser: ms per step (the regularisers
    alternating step by step), GFLOP per step and the GFLOP/s that makes; then each
    regulariser's whole preset (per-scale step times x iterations; in reference iterations
    given the reference's seconds)."""
    models = {name: untrained_pyramid(image_path, overrides) for name, overrides in REGULARIZERS.items()}
    totals = dict.fromkeys(REGULARIZERS, 0.0)
    for n in range(next(iter(models.values()))[0].geometry.num_scales):
        trainers = {name: ScaleTrainer(model, n) for name, (model, _) in models.items()}
        with scale_threads(next(iter(trainers.values())).work_size) as governor:
            for trainer in trainers.values():
                trainer.step()  # warm up
            flops = {name: flops_of(trainer.step) for name, trainer in trainers.items()}
            governor.adjust()
            medians = time_alternating({name: t.step for name, t in trainers.items()}, steps)
        h, w = trainers["WGAN-GP"].size
        cells = []
        for name, seconds in medians.items():
            config = models[name][1]
            totals[name] += seconds * config.iters_at(n, models[name][0].geometry.num_scales)
            cells.append(f"{name} {seconds * 1000:.1f} ms, {flops[name] / 1e9:.2f} GFLOP "
                         f"= {flops[name] / seconds / 1e9:.1f} GFLOP/s")
        rows.append((f"profile, scale {n} ({w}x{h}) per step", "; ".join(cells)))
    for name, seconds in totals.items():
        ratio = f" = {seconds / reference_seconds:.0f} reference iterations" if reference_seconds else ""
        rows.append((f"profile, {name}: the whole preset from its step times", f"{seconds:.0f} s{ratio}"))


def busy_rows(image_path: Path, rows: Rows, steps: int) -> None:
    """Per scale of the default preset: ms per step alone, then with a competing training."""
    model, config = untrained_pyramid(image_path)

    def per_scale() -> list[float]:
        return [step_ms(ScaleTrainer(model, n), steps) for n in range(model.geometry.num_scales)]

    alone = per_scale()
    with tempfile.TemporaryDirectory() as scratch:
        competitor = subprocess.Popen(
            [sys.executable, "-m", "singan_cli", "train", str(image_path), "--out",
             str(Path(scratch) / "m"), "--device", "cpu", "--precision", "fp32",
             "--iters", "100000", "--iters-finest", "100000"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT)
        try:
            time.sleep(8)  # torch import and the first steps
            busy = per_scale()
        finally:
            competitor.kill()
            competitor.wait()
    for n, (a, b) in enumerate(zip(alone, busy, strict=True)):
        h, w = model.geometry.sizes[n]
        rows.append((f"busy CPU, scale {n} ({w}x{h}) alone / with a second training",
                     f"{a:.1f} / {b:.1f} ms per step = {b / a:.2f}x"))
    rows.append(("busy CPU, whole default preset (iteration-weighted)",
                 f"{_weighted(busy, model, config) / _weighted(alone, model, config):.2f}x"))


def _weighted(ms: list[float], model, config) -> float:  # type: ignore[no-untyped-def]
    return sum(t * config.iters_at(n, model.geometry.num_scales) for n, t in enumerate(ms))


def timed_training(photo: Path, max_size: int, out: Path) -> tuple[float, float]:
    """`singan train PHOTO --max-size N` (default preset, fp32) in a child process: (wall
    seconds, the child's peak resident memory in GiB)."""
    command = [sys.executable, "-m", "singan_cli", "train", str(photo), "--out", str(out),
               "--max-size", str(max_size), "--device", "cpu", "--precision", "fp32",
               "--seed", "0", "--force"]
    started = time.perf_counter()
    child = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT)
    _, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - started
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed (exit {child.returncode})")
    return seconds, usage.ru_maxrss / 2**20  # ru_maxrss is in KiB on Linux


def large_photo_rows(photo: Path, rows: Rows, keep: Path | None = None,
                     reference_s: float | None = None) -> None:
    """The same photo trained at 250 and 1000 px: time ratio and peak memory (and the 250 px
    time in reference iterations, given the reference's seconds). The two models are kept in
    `keep` (as <stem>_250, <stem>_1000) if given."""
    with tempfile.TemporaryDirectory() as scratch:
        where = keep or Path(scratch)
        small, small_gib = timed_training(photo, 250, where / f"{photo.stem}_250")
        large, large_gib = timed_training(photo, 1000, where / f"{photo.stem}_1000")
    rows.append((f"default preset fp32, {photo.name} at 250 px", f"{small:.0f} s, peak "
                 f"{small_gib:.2f} GiB"))
    if reference_s:
        rows.append((f"default preset fp32, {photo.name} at 250 px, in reference iterations",
                     f"{small / reference_s:.0f}"))
    rows.append((f"default preset fp32, {photo.name} at 1000 px", f"{large:.0f} s = "
                 f"{large / small:.2f}x the 250 px time, peak {large_gib:.2f} GiB"))


def training_free_rows(photo: Path, rows: Rows, reference_seconds: float | None) -> None:
    """Time training-free samples of `photo` at 250 px (models/patch_match.py): the first
    picture `singan sample photo.jpg` gives (it also sorts the photo's projections), and a
    later one (`-n 2` and more)."""
    model = photo_model(lambda max_size: load_image(photo, max_size), "cpu")
    h, w = model.geometry.sizes[-1]
    for seed, label in enumerate(("first", "later")):
        started = time.perf_counter()
        model.generate(noise=model.draw_noise(seed=seed))
        seconds = time.perf_counter() - started
        ratio = f" = {seconds / reference_seconds:.1f} reference iterations" if reference_seconds else ""
        rows.append((f"training-free sample, {photo.name} at {w}x{h} ({label})", f"{seconds:.1f} s{ratio}"))


def device_seconds(work, device: torch.device) -> float:  # type: ignore[no-untyped-def]
    """Wall seconds of `work()`, waiting for the device to finish it."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    started = time.perf_counter()
    work()
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    return time.perf_counter() - started


def accelerator_rows(photo: Path, rows: Rows, device: torch.device, skip_train: bool) -> None:
    """On a GPU: the training-free sample (first and warm), the default preset in the device's
    automatic precision per scale and in total, one sample, a 100-frame animation."""
    config = resolve_config("default", overrides={"device": device.type})
    image = load_image(photo, config.max_size).to(device)
    free = photo_model(lambda max_size: image, device.type)  # the same preset: the same max_size
    h, w = free.geometry.sizes[-1]
    for label in ("first", "warm"):
        seconds = device_seconds(lambda: free.generate(noise=free.draw_noise(seed=0)), device)
        rows.append((f"{device.type}: training-free sample, {photo.name} at {w}x{h} ({label})",
                     f"{seconds:.2f} s"))
    if skip_train:
        return
    started = time.perf_counter()
    model = train(image, config)
    total = time.perf_counter() - started
    dtype = autocast_dtype(config.precision, device)
    for n, seconds in enumerate(model.train_seconds):
        sh, sw = model.geometry.sizes[n]
        rows.append((f"{device.type}: default preset, scale {n} ({sw}x{sh}, "
                     f"{config.iters_at(n, model.geometry.num_scales)} it)", f"{seconds:.1f} s"))
    rows.append((f"{device.type}: default preset, total ({photo.name}, "
                 f"{'fp32' if dtype is None else 'bf16'})", f"{total:.1f} s"))
    model.generate()
    seconds = device_seconds(lambda: [model.generate(noise=model.draw_noise(seed=i)) for i in range(5)],
                             device)
    rows.append((f"{device.type}: one 250 px sample", f"{seconds / 5 * 1000:.0f} ms"))
    seconds = device_seconds(lambda: [None for _ in animate(model, 100)], device)
    rows.append((f"{device.type}: 100-frame animation", f"{seconds:.2f} s"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--image", type=Path, default=None)
    parser.add_argument("--reference", type=Path, default=DEFAULT_REFERENCE)
    parser.add_argument("--iters", type=int, default=10)
    parser.add_argument("--skip-train", action="store_true")
    parser.add_argument("--skip-busy", action="store_true")
    parser.add_argument("--large-image", type=Path, default=DEFAULT_LARGE,
                        help="a photo of at least 1000 px for the 250 vs 1000 px rows")
    parser.add_argument("--skip-large", action="store_true")
    parser.add_argument("--profile", action="store_true",
                        help="per-scale step time and GFLOP, WGAN-GP against hinge + SN")
    parser.add_argument("--keep-models", type=Path, default=None,
                        help="keep the 250 and 1000 px models of the large photo here")
    parser.add_argument("--device", default="cpu",
                        help="cpu (default), or cuda/mps: time that device instead (seconds)")
    args = parser.parse_args()
    rows = Rows()
    for row in machine_description():
        rows.append(row)
    device = resolve_device(args.device)
    if device.type != "cpu":
        accelerator_rows(args.image or demo_photo(), rows, device, args.skip_train)
        rows.table()
        return
    native_bf16 = autocast_dtype("auto", torch.device("cpu")) is not None
    peaks = {"fp32": matmul_peak()}
    rows.append(("fp32 matmul peak", f"{peaks['fp32']:.0f} GFLOP/s"))
    if native_bf16:  # emulated bf16 is slow and says nothing about this trainer
        peaks["bf16"] = matmul_peak(torch.bfloat16)
        rows.append(("bf16 matmul peak", f"{peaks['bf16']:.0f} GFLOP/s"))

    steps: dict[str, object] = {"singan fp32": paper_trainer(188, 250, "fp32").step}
    step_peaks = {"singan fp32": peaks["fp32"]}
    if native_bf16:
        steps["singan bf16"] = paper_trainer(188, 250, "bf16").step
        step_peaks["singan bf16"] = peaks["bf16"]
    if args.reference.exists():
        spec = importlib.util.spec_from_file_location("reference_iteration", args.reference)
        assert spec and spec.loader
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        steps["reference"] = module.ReferenceIteration(188, 250, 32).step
        step_peaks["reference"] = peaks["fp32"]
    for step in steps.values():  # warm up
        step()  # type: ignore[operator]
    flops = {name: flops_of(step) for name, step in steps.items()}
    medians = time_alternating(steps, args.iters)
    for name, seconds in medians.items():
        rows.append((f"paper preset 188x250 w32, {name}", f"{seconds * 1000:.0f} ms/iter, "
                     f"{flops[name] / 1e9:.0f} GFLOP, {flops[name] / seconds / 1e9:.0f} GFLOP/s "
                     f"({flops[name] / seconds / 1e9 / step_peaks[name]:.0%} of its matmul peak)"))
    if "reference" in medians:
        for name in medians:
            if name != "reference":
                rows.append((f"paper preset / reference ({name})",
                             f"{medians[name] / medians['reference']:.2f}x"))

    image_path = args.image or demo_photo()
    training_free_rows(image_path, rows, medians.get("reference"))
    model = None
    if not args.skip_train:
        config = resolve_config("default", overrides={"device": "cpu", "precision": "fp32"})
        image = load_image(image_path, config.max_size)
        started = time.perf_counter()
        model = train(image, config)
        total = time.perf_counter() - started
        for n, seconds in enumerate(model.train_seconds):
            h, w = model.geometry.sizes[n]
            iters = config.iters_at(n, model.geometry.num_scales)
            rows.append((f"default preset fp32, scale {n} ({w}x{h}, {iters} it)", f"{seconds:.1f} s"))
        rows.append((f"default preset fp32, total ({image_path.name})", f"{total:.1f} s"))
        if "reference" in medians:
            rows.append(("default preset fp32, in reference iterations (188x250 w32)",
                         f"{total / medians['reference']:.0f}"))
    if args.profile:
        scale_profile_rows(image_path, rows, max(5, args.iters), medians.get("reference"))
    if not args.skip_busy:
        busy_rows(image_path, rows, steps=max(5, args.iters))
    if not args.skip_large:
        if args.large_image.exists():
            large_photo_rows(args.large_image, rows, args.keep_models, medians.get("reference"))
        else:
            rows.append(("1000 px rows", f"skipped: {args.large_image} not found (--large-image)"))

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
