"""Rules for an output model directory: never overwrite by accident, resume only what matches,
one training at a time, and problems found before training rather than after.

    with TrainingLock(out):
        model = prepare_output(out, new_model(image, config), resume=True, force=False)
"""

from __future__ import annotations

import math
import os
import shutil
import tempfile
from pathlib import Path
from types import TracebackType

import numpy as np

from models.checkpoint import (
    CONFIG_FILE,
    DISCRIMINATORS_FILE,
    GENERATORS_FILE,
    IMAGE_FILE,
    PREVIEW_DIR,
    TRAIN_LOG_FILE,
    load_model,
    save_model,
)
from models.config import TrainConfig
from models.errors import ModelDirError, UsageError
from models.image_io import tensor_to_uint8
from models.singan import SinGAN

MODEL_FILES = (CONFIG_FILE, GENERATORS_FILE, DISCRIMINATORS_FILE, IMAGE_FILE, TRAIN_LOG_FILE)
LOCK_FILE = ".lock"


class TrainingLock:
    """An exclusive lock on `out/.lock` while training writes there.

    The kernel releases it when the process dies (even by SIGKILL), so it never stays stuck.
    On systems without fcntl (Windows) it does nothing.
    """

    def __init__(self, out: Path):
        self.path = Path(out) / LOCK_FILE
        self.handle: int | None = None

    def __enter__(self) -> TrainingLock:
        try:
            import fcntl
        except ImportError:  # pragma: no cover - Windows
            return self
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.handle = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise _unwritable(self.path.parent, exc) from None
        try:
            fcntl.flock(self.handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(self.handle, 32).decode(errors="replace").strip() or "?"
            os.close(self.handle)
            self.handle = None
            raise ModelDirError(f"{self.path.parent}: another training (pid {holder}) is writing "
                                f"to this directory; wait for it or choose another --out") from None
        os.ftruncate(self.handle, 0)
        os.write(self.handle, str(os.getpid()).encode())
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if self.handle is not None:
            os.close(self.handle)  # closing releases the flock
            self.handle = None


def _config_differences(old: dict, new: dict) -> list[str]:
    ignored = {"device"}  # training may resume on another device
    return [f"{k}: {old.get(k)!r} -> {new.get(k)!r}" for k in sorted(set(old) | set(new))
            if k not in ignored and old.get(k) != new.get(k)]


def prepare_output(out: Path, fresh: SinGAN, resume: bool = False, force: bool = False) -> SinGAN:
    """Return the model to train into `out`: `fresh`, or the partial model found there.

    Refuses (ModelDirError) to overwrite an existing model without force, to resume a model
    whose image or config differs, and to write into a non-empty folder that is not a model.
    A fresh model is saved at once (no scale yet), so a directory killed during the first scale
    is recognised as a model in progress.
    """
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise ModelDirError(f"{out}: exists and is a file; choose another --out")
    has_model = (out / CONFIG_FILE).exists()
    if resume and has_model:
        old = load_model(out, device=fresh.device, with_discriminators=True, allow_empty=True)
        differences = _config_differences(old.config.to_dict(), fresh.config.to_dict())
        if differences:
            raise ModelDirError(f"{out}: cannot resume, the config differs from the saved one "
                                f"({'; '.join(differences)}); use the same flags or --force")
        if old.geometry.sizes != fresh.geometry.sizes or not np.array_equal(
                tensor_to_uint8(old.image), tensor_to_uint8(fresh.image)):
            raise ModelDirError(f"{out}: cannot resume, the image differs from the one this model "
                                f"was trained on ({out / IMAGE_FILE}); use --force to start over")
        old.config = fresh.config  # keep the requested device
        return old
    if has_model and not force and not resume:
        raise ModelDirError(f"{out}: already holds a model; use --resume to continue it, --force "
                            f"to overwrite it, or another --out")
    leftovers = [p for p in out.iterdir() if p.name not in (PREVIEW_DIR, LOCK_FILE)] if out.exists() else []
    if leftovers and not has_model:
        raise ModelDirError(f"{out}: exists and is not empty (holds {leftovers[0].name}); choose "
                            f"another --out")
    if force:
        for name in MODEL_FILES:
            (out / name).unlink(missing_ok=True)
        shutil.rmtree(out / PREVIEW_DIR, ignore_errors=True)
    check_writable(out, estimate_model_bytes(fresh))
    save_model(fresh, out)
    return fresh


def estimate_model_bytes(model: SinGAN) -> int:
    """Bytes the finished model directory will take (weights of G and D, image, previews)."""
    cfg = model.config
    total = 0
    for n, (h, w) in enumerate(model.geometry.sizes):
        c = cfg.channels_at(n)
        params = cfg.kernel_size ** 2 * c * (3 + (cfg.num_layers - 2) * c + 3)  # head, body, tail
        total += 2 * 4 * params  # G and D, float32
        total += 5 * h * w * 3  # preview sheet (PNG, uncompressed bound)
    h, w = model.geometry.sizes[-1]
    return total + 2 * h * w * 3


def _unwritable(out: Path, exc: OSError) -> ModelDirError:
    return ModelDirError(f"{out}: cannot write here ({exc.strerror or exc}); choose another --out")


def check_writable(out: Path, needed_bytes: int) -> None:
    """Fail before training when `out` cannot be written or the disk is (nearly) full."""
    try:
        out.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(dir=out, prefix=".probe")
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise _unwritable(out, exc) from None
    free = shutil.disk_usage(out).free
    if free < 2 * needed_bytes:  # every file is written to a temp file first
        raise ModelDirError(f"{out}: only {free / 1e6:.1f} MB free on this disk, the model needs "
                            f"about {2 * needed_bytes / 1e6:.1f} MB while training; free some "
                            f"space or choose another --out")


def available_memory_bytes() -> int | None:
    """MemAvailable from /proc/meminfo (Linux), else None (no check)."""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


TORCH_BASE_BYTES = 400_000_000  # torch, the pyramid and the coarser generators


def estimate_training_bytes(model: SinGAN) -> int:
    """Peak memory of training the finest scale, from its size, crop window and width.

    One forward pass keeps num_layers x 3 tensors (conv, norm, activation) of channels x h x w
    floats; a training step holds about 6 passes' worth at its peak (the D steps keep the graph
    of the fake the first G step trains through), over the crop window when the scale is
    cropped. Drawing a random coarser image (no gradients) holds about 3 tensors of
    the whole scale; a cropped scale also keeps its pool of FAKE_POOL whole-size images.
    Calibrated on peak RSS (two steps of the finest scale, without crops): default preset
    250x167 0.74 GiB (estimate 0.88), 500x333 1.92 GiB (2.31), paper preset 250x167 1.23 GiB
    (1.39): 13-20% to spare.
    """
    h, w = model.geometry.sizes[-1]
    return _training_bytes(model.config, (h, w), model.config.channels_at(model.geometry.num_scales - 1))


def _training_bytes(cfg: TrainConfig, size: tuple[int, int], channels: int) -> int:
    from models.trainer import FAKE_POOL, window_size

    h, w = size
    window = window_size((h, w), cfg.crop_size)
    cropped = window is not None
    wh, ww = window or (h, w)
    pad = 2 * cfg.num_layers * (cfg.kernel_size // 2)
    per_pass = cfg.num_layers * 3 * channels * (wh + pad) * (ww + pad) * 4
    drawing = 3 * channels * (h + pad) * (w + pad) * 4
    pool = FAKE_POOL * 3 * h * w * 4 if cropped else 0
    return 6 * per_pass + drawing + pool + TORCH_BASE_BYTES


def check_memory(model: SinGAN, available: int | None = None) -> None:
    """Refuse a --max-size whose training will not fit in memory, naming one that will."""
    if model.device.type != "cpu":
        return  # GPU memory is reported by torch itself
    available = available_memory_bytes() if available is None else available
    need = estimate_training_bytes(model)
    if available is None or need <= available:
        return
    h, w = model.geometry.sizes[-1]
    config = model.config
    channels = config.channels_at(model.geometry.num_scales - 1)

    def need_at(longest: int) -> int:
        return _training_bytes(config, (max(1, round(h * longest / max(h, w))),
                                        max(1, round(w * longest / max(h, w)))), channels)

    # the largest longer side that fits, but not below what min_size allows
    lowest = math.ceil(config.min_size * max(h, w) / min(h, w))
    fits = max(h, w)
    while fits > lowest and need_at(fits) > available:
        fits = max(lowest, fits - max(1, fits // 50))
    message = (f"--max-size {max(h, w)} needs about {need / 2**30:.1f} GiB to train but "
               f"{available / 2**30:.1f} GiB are available")
    if need_at(fits) > available:
        raise UsageError(f"{message}; even the smallest size --min-size {config.min_size} allows "
                         f"does not fit: free memory or lower --min-size")
    raise UsageError(f"{message}; use --max-size {fits} or less")
