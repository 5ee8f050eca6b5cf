"""`singan sr IMAGE --factor 4`: super-resolution with a model trained on IMAGE itself.

    singan sr photo.jpg --factor 4 --out photo_x4.png [--model sr_model/] [--iters 500]
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated, Any

import typer

from singan_cli.common import emit, say, user_errors
from singan_cli.train import (
    ConfigOption,
    Preset,
    PresetOption,
    run_training,
    training_overrides,
    with_training_flags,
)


@with_training_flags
def sr_command(
    image: Annotated[Path, typer.Argument(help="The low-resolution image to enlarge.")],
    factor: Annotated[float, typer.Option(min=1.01, max=16, help="Enlargement (any value > 1).")] = 4.0,
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Output PNG [default: "
                                             "<image>_x<factor>.png].")] = None,
    model_dir: Annotated[Path | None, typer.Option("--model", help="SR model directory: trained "
                                                   "and saved there on first use, reused after.")] = None,
    detail: Annotated[float, typer.Option(min=0.0, max=1.0, help="Strength of the added detail "
                                          "per step: 0 = bicubic, 1 = the paper's full residual "
                                          "(over-sharpens).")] = 0.35,
    preset: PresetOption = Preset.default,
    config: ConfigOption = None,
    **training: Any,
) -> None:
    """Enlarge IMAGE by --factor, adding detail learned from IMAGE itself (output path to stdout)."""
    with user_errors():
        from applications.super_resolution import sr_config, super_resolve
        from models.checkpoint import CONFIG_FILE, load_model
        from models.config import resolve_config
        from models.image_io import load_image, save_image

        overrides = training_overrides(training)
        out = out or image.with_name(f"{image.stem}_x{factor:g}.png")
        low_res = load_image(image)
        cfg = sr_config(resolve_config(preset.value, config, overrides),
                        tuple(low_res.shape[-2:]), frozenset(overrides))
        if model_dir is not None and (model_dir / CONFIG_FILE).exists():
            say(f"reusing the SR model in {model_dir}/")
            model = load_model(model_dir)
        else:
            with tempfile.TemporaryDirectory(prefix="singan-sr-") as scratch:
                target = model_dir or Path(scratch) / "model"
                model = run_training(image, target, cfg, quiet_result=True)
        big = super_resolve(model, factor, seed=cfg.seed, image=low_res.to(model.device),
                            detail=detail)
        emit(save_image(big, out))
