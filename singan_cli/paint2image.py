"""`singan paint2image MODEL PAINTING`: turn a rough painting into an image in the model's style.

    singan paint2image model/ sketch.png --out out.png [--start-scale 1] [--quantize] [-n 4]
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from singan_cli.common import (
    Device,
    DeviceOption,
    ForceOption,
    SeedOption,
    emit,
    output_paths,
    pick_device,
    pick_seed,
    user_errors,
)


def paint2image_command(
    model_dir: Annotated[Path, typer.Argument(metavar="MODEL", help="A model directory.")],
    painting: Annotated[Path, typer.Argument(help="The painting / clip-art (any size; same "
                                             "aspect as the training image).")],
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Output PNG; with -n > 1, "
                                             "<stem>_NNN.png beside it, numbered on after "
                                             "existing ones \\[default: <painting>_paint.png].")] = None,
    start_scale: Annotated[int, typer.Option(min=0, help="Scale that receives the painting "
                                             "(0 = coarsest). Lower: more freedom, less of the "
                                             "painting kept.")] = 1,
    count: Annotated[int, typer.Option("-n", "--count", min=1, help="How many outputs.")] = 1,
    quantize: Annotated[bool, typer.Option(help="Map the painting to the image's palette and "
                                           "fine-tune the start scale on it (slower, truer "
                                           "colours).")] = False,
    colors: Annotated[int, typer.Option(min=2, max=32, help="Palette size for --quantize.")] = 5,
    finetune_iters: Annotated[int, typer.Option(min=1, help="Fine-tune iterations for "
                                                "--quantize.")] = 200,
    retrain: Annotated[bool, typer.Option(help="With --quantize: retrain the start scale from "
                                          "fresh weights for its whole schedule, as the paper "
                                          "does, instead of fine-tuning it (about twice the "
                                          "time; --finetune-iters is then unused).")] = False,
    seed: SeedOption = None,
    device: DeviceOption = Device.auto,
    force: ForceOption = False,
) -> None:
    """Paint-to-image (output paths to stdout)."""
    with user_errors():
        from applications.paint2image import paint_to_image
        from models.image_io import save_image
        from singan_cli.inputs import load_model_image_mask
        from singan_cli.progress import TrainingProgress

        where = pick_device(device)
        paths = output_paths(out or painting.with_name(f"{painting.stem}_paint.png"), count, force)
        model, image, _ = load_model_image_mask(model_dir, painting, None,
                                                with_discriminators=quantize and not retrain,
                                                device=where)
        with TrainingProgress() as progress:
            outputs = paint_to_image(model, image, start_scale=start_scale, count=count,
                                     seed=pick_seed(seed), quantize_colors=colors if quantize else 0,
                                     finetune_iters=None if retrain else finetune_iters,
                                     retrain=retrain, progress=progress)
        for result, path in zip(outputs, paths, strict=True):
            emit(save_image(result, path))
