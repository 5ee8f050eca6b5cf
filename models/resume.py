"""Rules for an output model directory: never overwrite by accident, resume only what matches.

    model = prepare_output(Path("model/"), new_model(image, config), resume=True, force=False)
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np

from models.checkpoint import (
    CONFIG_FILE,
    DISCRIMINATORS_FILE,
    GENERATORS_FILE,
    IMAGE_FILE,
    PREVIEW_DIR,
    load_model,
)
from models.errors import ModelDirError
from models.image_io import tensor_to_uint8
from models.singan import SinGAN

MODEL_FILES = (CONFIG_FILE, GENERATORS_FILE, DISCRIMINATORS_FILE, IMAGE_FILE)


def _config_differences(old: dict, new: dict) -> list[str]:
    ignored = {"device"}  # training may resume on another device
    return [f"{k}: {old.get(k)!r} -> {new.get(k)!r}" for k in sorted(set(old) | set(new))
            if k not in ignored and old.get(k) != new.get(k)]


def prepare_output(out: Path, fresh: SinGAN, resume: bool = False, force: bool = False) -> SinGAN:
    """Return the model to train into `out`: `fresh`, or the partial model found there.

    Refuses (ModelDirError) to overwrite an existing model without force, to resume a model
    whose image or config differs, and to write into a non-empty folder that is not a model.
    """
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise ModelDirError(f"{out}: exists and is a file; choose another --out")
    has_model = (out / CONFIG_FILE).exists()
    if resume:
        if not has_model:
            if out.exists() and any(out.iterdir()):
                raise ModelDirError(f"{out}: nothing to resume (no {CONFIG_FILE}); choose another "
                                    f"--out or drop --resume")
            return fresh
        old = load_model(out, device=fresh.device, with_discriminators=True)
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
    if has_model and not force:
        raise ModelDirError(f"{out}: already holds a model; use --resume to continue it, --force "
                            f"to overwrite it, or another --out")
    if out.exists() and not has_model and any(p.name not in (PREVIEW_DIR,) for p in out.iterdir()):
        raise ModelDirError(f"{out}: exists and is not empty; choose another --out")
    if force:
        for name in MODEL_FILES:
            (out / name).unlink(missing_ok=True)
        shutil.rmtree(out / PREVIEW_DIR, ignore_errors=True)
    return fresh
