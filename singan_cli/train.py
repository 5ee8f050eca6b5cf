"""`singan train IMAGE --out DIR`: train a model directory on one image.

    singan train photo.jpg --out model/ [--preset paper] [--config cfg.yaml] [--iters 500]
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from singan_cli.common import pick_seed, user_errors
from singan_cli.training_flags import (
    ConfigOption,
    Preset,
    PresetOption,
    ThreadsOption,
    saved_seed,
    sets_key,
    training_overrides,
    with_training_flags,
)
from singan_cli.training_run import run_training


@with_training_flags
def train_command(
    image: Annotated[Path, typer.Argument(help="The training image (PNG, JPEG, ...).")],
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Model directory to write "
                                             "\\[default: <image name>-singan/].")] = None,
    preset: PresetOption = Preset.default,
    config: ConfigOption = None,
    resume: Annotated[bool, typer.Option(help="Continue an interrupted training in --out.")] = False,
    force: Annotated[bool, typer.Option(help="Overwrite a model already in --out.")] = False,
    dry_run: Annotated[bool, typer.Option(help="Print the resolved config (YAML that --config "
                                          "reads back) on stdout and the scales on stderr, "
                                          "then stop.")] = False,
    threads: ThreadsOption = 0,
    **training: Any,
) -> None:
    """Train a SinGAN on one image; writes a model directory (its path goes to stdout).

    Every config key is a flag of the same name (--rec-weight is rec_weight).
    """
    with user_errors():
        from models.config import resolve_config

        out = out or Path(f"{image.stem}-singan")
        overrides = training_overrides(training)
        if "seed" not in overrides and not sets_key(config, "seed"):
            # no seed given: the saved one when resuming, else a fresh one (said on stderr)
            saved = saved_seed(out) if resume else None
            overrides["seed"] = pick_seed(None) if saved is None else saved
        cfg = resolve_config(preset.value, config, overrides)
        run_training(image, out, cfg, resume=resume, force=force, dry_run=dry_run, threads=threads)
