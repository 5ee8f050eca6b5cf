"""`singan sample MODEL -n 8 --out samples/`: random images from a trained model, or from a
photo without training.

    singan sample model/ -n 8 --scale-h 2 --start-scale 1 --seed 3 --device auto
    singan sample photo.jpg -n 2          # no training: each scale matches the photo's patches
    singan sample model/ --patch-scales 6 # the layout by patch matching, the detail by the model
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from singan_cli.common import (
    Device,
    DeviceOption,
    PatchScalesOption,
    SeedOption,
    emit,
    err_console,
    next_free_paths,
    pick_device,
    pick_seed,
    user_errors,
)


def sample_command(
    model_dir: Annotated[Path, typer.Argument(metavar="MODEL_OR_PHOTO", help="A model directory, "
                                              "or a photo to sample without training (each scale "
                                              "matches the photo's patches; tens of seconds per "
                                              "sample on a CPU).")],
    count: Annotated[int, typer.Option("-n", "--count", min=1, help="How many samples.")] = 8,
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder for the PNGs sample_NNN.png "
                                      "(existing files are kept; new ones are numbered "
                                      "on).")] = Path("samples"),
    start_scale: Annotated[int, typer.Option(min=0, help="0 = fully random; K keeps the image's "
                                             "layout from scales below K (see `singan info`).")] = 0,
    scale_h: Annotated[float, typer.Option(min=0.1, max=16, help="Width relative to the "
                                           "training image.")] = 1.0,
    scale_v: Annotated[float, typer.Option(min=0.1, max=16, help="Height relative to the "
                                           "training image.")] = 1.0,
    patch_scales: PatchScalesOption = 0,
    seed: SeedOption = None,
    device: DeviceOption = Device.auto,
) -> None:
    """Write random samples as PNG (paths to stdout)."""
    with user_errors():
        from rich.progress import Progress

        from applications.sample import sample
        from models.image_io import save_image
        from singan_cli.inputs import load_model_or_photo

        where = pick_device(device)
        model = load_model_or_photo(model_dir, where, patch_scales)
        seed = pick_seed(seed)
        console = err_console()
        with Progress(console=console, disable=not console.is_terminal, transient=True) as bar:
            task = bar.add_task("samples", total=count)
            images = sample(model, count, start_scale=start_scale, scale_h=scale_h, scale_v=scale_v,
                            seed=seed, on_sample=lambda _: bar.advance(task),
                            patch_scales=patch_scales)
        for image, path in zip(images, next_free_paths(out, "sample", ".png", count), strict=True):
            emit(save_image(image, path))

