"""The rules for a model directory that training writes: never overwrite by accident, resume only
what matches, one training at a time, and a full disk found before training rather than after.

    with TrainingLock(out):
        model = prepare_output(out, new_model(image, config), resume=True, force=False)
"""

from __future__ import annotations

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
from models.errors import Fix, ModelDirError
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
            raise ModelDirError(f"another training (pid {holder}) is writing to this directory",
                                path=self.path.parent, fix=Fix.WAIT_OR_OTHER_OUTPUT) from None
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
        raise ModelDirError("exists and is a file", path=out, fix=Fix.OTHER_OUTPUT)
    has_model = (out / CONFIG_FILE).exists()
    if resume and has_model:
        old = load_model(out, device=fresh.device, with_discriminators=True, allow_empty=True)
        differences = _config_differences(old.config.to_dict(), fresh.config.to_dict())
        if differences:
            raise ModelDirError(f"cannot resume, the config differs from the saved one "
                                f"({'; '.join(differences)})", path=out,
                                fix=Fix.SAME_SETTINGS_OR_FORCE, differences=differences)
        if old.geometry.sizes != fresh.geometry.sizes or not np.array_equal(
                tensor_to_uint8(old.image), tensor_to_uint8(fresh.image)):
            raise ModelDirError(f"cannot resume, the image differs from the one this model was "
                                f"trained on ({IMAGE_FILE} in it)", path=out, fix=Fix.FORCE)
        old.config = fresh.config  # keep the requested device
        return old
    if has_model and not force and not resume:
        raise ModelDirError("already holds a model", path=out, fix=Fix.RESUME_OR_FORCE)
    leftovers = [p for p in out.iterdir() if p.name not in (PREVIEW_DIR, LOCK_FILE)] if out.exists() else []
    if leftovers and not has_model:
        raise ModelDirError(f"exists and is not empty (holds {leftovers[0].name})", path=out,
                            fix=Fix.OTHER_OUTPUT)
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
    return ModelDirError(f"cannot write here ({exc.strerror or exc})", path=out, fix=Fix.OTHER_OUTPUT)


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
        raise ModelDirError(f"only {free / 1e6:.1f} MB free on this disk, the model needs about "
                            f"{2 * needed_bytes / 1e6:.1f} MB while training", path=out,
                            fix=Fix.FREE_DISK)
