"""`singan harmonize MODEL PASTED --mask MASK`: make a pasted object match the image's look.

    singan harmonize model/ pasted.png --mask mask.png --out out.png [--start-scale K] \\
        [--finetune N] [--vote S]
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from applications.blend_defaults import (
    HARMONIZE_FINETUNE_ITERS,
    HARMONIZE_SCALES_BELOW_FINEST,
    HARMONIZE_VOTE_SHARE,
)
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


def harmonize_command(
    model_dir: Annotated[Path, typer.Argument(metavar="MODEL", help="Model trained on the "
                                              "background image.")],
    pasted: Annotated[Path, typer.Argument(help="The background with the object pasted in.")],
    mask: MaskOption,
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Output PNG \\[default: "
                                             "<pasted>_harmonized.png].")] = None,
    start_scale: Annotated[int | None, typer.Option(min=0, help=(
        f"Scale that receives the paste \\[default: finest - {HARMONIZE_SCALES_BELOW_FINEST}]."))] = None,
    finetune: Annotated[int, typer.Option(min=0, help=(
        "Fine-tune iterations per scale on the pasted image first (a third of them at the "
        "finest scale), which keeps the object's edges (0 = off: faster, "
        "blurrier)."))] = HARMONIZE_FINETUNE_ITERS,
    vote: Annotated[float, typer.Option(min=0, max=1, help=(
        "Afterwards move the region this share of the way to a vote of the image's nearest "
        "7x7 patches: more of the image's strokes and colours, a little less of the object's "
        "edges (0 = off)."))] = HARMONIZE_VOTE_SHARE,
    seed: SeedOption = None,
    device: DeviceOption = Device.auto,
    force: ForceOption = False,
) -> None:
    """Harmonize a naive paste (output path to stdout)."""
    with user_errors():
        from applications.blend import harmonize, harmonize_start_scale
        from models.image_io import save_image
        from singan_cli.inputs import load_model_image_mask
        from singan_cli.progress import TrainingProgress

        where = pick_device(device)
        out = out or pasted.with_name(f"{pasted.stem}_harmonized.png")
        refuse_existing([out], force)  # before the (possibly long) fine-tune
        model, image, region = load_model_image_mask(model_dir, pasted, mask,
                                                     with_discriminators=finetune > 0, device=where)
        scale = harmonize_start_scale(model) if start_scale is None else start_scale
        with TrainingProgress() as progress:
            _, blended = harmonize(model, image, region, scale, seed=pick_seed(seed),
                                   finetune_iters=finetune, progress=progress, vote_share=vote)
        emit(save_image(blended, out))
