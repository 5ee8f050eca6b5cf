"""`singan eval MODEL`: score samples against the training image (lower swd is better).

    singan eval model/ -n 16 --json scores.json   # the file's path on stdout, the table on stderr
    singan eval model/ --json - | jq .swd         # the JSON on stdout, nothing else there
    singan eval photo.jpg -n 4                    # training-free samples of the photo, scored
    singan eval model/ --patch-scales 6           # samples as `sample --patch-scales 6` draws them
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from singan_cli.common import (
    Device,
    DeviceOption,
    ForceOption,
    PatchScalesOption,
    SeedOption,
    emit,
    pick_device,
    pick_seed,
    refuse_existing,
    user_errors,
)

EXPLAIN = {
    "swd": "patch sliced Wasserstein distance (7x7 patches, 3 pyramid levels); lower is better",
    "coherence": "RMS distance of sample patches to their nearest image patch; lower is better",
    "completeness": "RMS distance of image patches to their nearest sample patch; lower is better",
    "l1": "mean |sample - image|; about 0 means the model copies its input",
    "min_l1": "the smallest l1 of any sample",
    "copies": "samples with l1 < 5 (near copies of the image)",
    "diversity": "per-pixel std across samples / std of the image (SinGAN's measure)",
}


def eval_command(
    model_dir: Annotated[Path, typer.Argument(metavar="MODEL_OR_PHOTO", help="A model directory, "
                                            "or a photo to score its training-free samples "
                                            "(as `singan sample photo.jpg` draws them).")],
    count: Annotated[int, typer.Option("-n", "--count", min=2, help="Samples to score.")] = 16,
    json_out: Annotated[Path | None, typer.Option("--json", help="Write the scores as JSON to "
                                                  "this file (its path goes to stdout, the table "
                                                  "to stderr); - prints the JSON on stdout.")] = None,
    patch_scales: PatchScalesOption = 0,
    seed: SeedOption = None,
    device: DeviceOption = Device.auto,
    force: ForceOption = False,
) -> None:
    """Score random samples against the training image (0-255 pixel scale)."""
    with user_errors():
        from rich.console import Console
        from rich.table import Table

        from applications.evaluate import evaluate
        from singan_cli.inputs import load_model_or_photo

        where = pick_device(device)
        if json_out is not None and str(json_out) != "-":
            refuse_existing([json_out], force, "--json")
        seed = pick_seed(seed)
        model = load_model_or_photo(model_dir, where, patch_scales)
        scores = evaluate(model, count, seed=seed, patch_scales=patch_scales)
        table = Table(title=f"{model_dir}: {count} samples", title_justify="left")
        for column in ("measure", "value", "meaning"):
            table.add_column(column)
        for key, value in scores.items():
            table.add_row(key, f"{value:.3f}", EXPLAIN[key])
        # with --json the JSON (or its path) is the result; the table is for people: stderr
        Console(soft_wrap=True, stderr=json_out is not None).print(table)
        if scores["copies"]:
            Console(stderr=True).print(f"warning: {scores['copies']:.0f} samples are near copies "
                                       f"of the training image", style="yellow", markup=False)
        if json_out is not None:
            text = json.dumps({"model": str(model_dir), "samples": count, "seed": seed, **scores},
                              indent=2)
            if str(json_out) == "-":
                typer.echo(text)
            else:
                from models.image_io import atomic_write

                emit(atomic_write(json_out, lambda tmp: tmp.write_text(text + "\n")))
