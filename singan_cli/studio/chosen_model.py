"""The model chosen in the page's Model list: loading it, what the page says about it, its image.

    model = load_studio_model(ws, path)       # only the workspace's and the command line's
    info = model_info(ws, path)               # summary line, slider ranges, default start scales
    image = model_image(ws, path)             # HxWx3 uint8, to paste or brush on

No gradio here. A path sent back by the browser is checked against the workspace first
(Workspace.allows); the model is read by models.checkpoint.load_model, as the CLI reads it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from models.errors import ModelDirError, UsageError
from singan_cli.studio.workspace import Workspace


def load_studio_model(ws: Workspace, path: str | Path | None, with_discriminators: bool = False,
                      allow_empty: bool = False) -> Any:
    """Load a model the page offers (inside the workspace or named on the command line)."""
    from models.checkpoint import load_model

    if not path:
        raise UsageError("choose a model first (train one in the Train tab)")
    if not ws.allows(Path(path)):
        raise ModelDirError(f"{path}: not one of the studio's models")
    return load_model(Path(path), with_discriminators=with_discriminators,
                      allow_empty=allow_empty)


@dataclass(frozen=True)
class ModelInfo:
    """What the page shows about the chosen model and uses for its sliders' ranges."""

    text: str
    num_trained: int
    size: tuple[int, int]  # (h, w) of the finest trained scale
    harmonize_start: int
    edit_start: int


def model_info(ws: Workspace, path: str | Path | None) -> ModelInfo:
    from applications.blend import edit_start_scale, harmonize_start_scale

    model = load_studio_model(ws, path, allow_empty=True)
    geometry = model.geometry
    if model.num_trained == 0:  # stopped during its first scale
        return ModelInfo(f"**{Path(str(path)).name}**: no scale trained yet; resume it in Train",
                         0, geometry.sizes[0], 0, 0)
    h, w = geometry.sizes[model.num_trained - 1]
    state = ("complete" if model.complete else
             f"PARTIAL: {model.num_trained} of {geometry.num_scales} scales (resume it in Train)")
    sizes = ", ".join(f"{n}: {sw}x{sh}" for n, (sh, sw) in enumerate(geometry.sizes[:model.num_trained]))
    text = (f"**{Path(str(path)).name}**: {w}x{h}, {geometry.num_scales} scales, {state}. "
            f"Scales (0 = coarsest): {sizes}")
    return ModelInfo(text, model.num_trained, (h, w), harmonize_start_scale(model),
                     edit_start_scale(model))


def model_image(ws: Workspace, model_path: str | Path | None) -> np.ndarray:
    """The model's training image at its finest trained scale, HxWx3 uint8 (to paste onto)."""
    from models.image_io import tensor_to_uint8

    model = load_studio_model(ws, model_path)
    return tensor_to_uint8(model.reals()[model.num_trained - 1])
