"""`singan edit MODEL EDITED --mask MASK`: blend a crude edit into the image.

    singan edit model/ edited.png --mask mask.png --out out.png [--start-scale K]
Writes the blended output and, beside it, the raw generator output (<out>_raw.png).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from applications.blend_defaults import EDIT_SCALES_BELOW_FINEST
from singan_cli.common import (
    Device,
    DeviceOption,
    ForceOption,
    MaskOption,
    SeedOption,
    emit,
    pick_device,
    pick_seed,
    refuse_existing,
    user_errors,
)


def edit_command(
    model_dir: Annotated[Path, typer.Argument(metavar="MODEL", help="Model trained on the "
                                              "original image.")],
    edited: Annotated[Path, typer.Argument(help="The crudely edited image.")],
    mask: MaskOption,
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Output PNG \\[default: "
                                             "<edited>_edited.png].")] = None,
    start_scale: Annotated[int | None, typer.Option(min=0, help=(
        f"Scale that receives the edit \\[default: finest - {EDIT_SCALES_BELOW_FINEST}]."))] = None,
    seed: SeedOption = None,
    device: DeviceOption = Device.auto,
    force: ForceOption = False,
) -> None:
    """Blend an edit (paths of the blended and the raw output to stdout)."""
    with user_errors():
        from applications.blend import edit, edit_start_scale
        from models.image_io import save_image
        from singan_cli.inputs import load_model_image_mask

        where = pick_device(device)
        out = out or edited.with_name(f"{edited.stem}_edited.png")
        raw_out = out.with_name(f"{out.stem}_raw.png")
        refuse_existing([out, raw_out], force)
        model, image, region = load_model_image_mask(model_dir, edited, mask, device=where)
        scale = edit_start_scale(model) if start_scale is None else start_scale
        raw, blended = edit(model, image, region, scale, seed=pick_seed(seed))
        emit(save_image(blended, out))
        emit(save_image(raw, raw_out))
