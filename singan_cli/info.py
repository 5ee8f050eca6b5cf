"""`singan info MODEL`: the scales of a model (use it to pick --start-scale)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from singan_cli.common import user_errors


def info_command(
    model_dir: Annotated[Path, typer.Argument(metavar="MODEL", help="A model directory.")],
) -> None:
    """Show the model's scales: size, width, noise amplitude, iterations, train time."""
    with user_errors():
        from rich.console import Console
        from rich.table import Table

        from models.checkpoint import load_model

        model = load_model(model_dir)
        cfg, geometry = model.config, model.geometry
        h, w = geometry.sizes[-1]
        state = ("complete" if model.complete else
                 f"PARTIAL: {model.num_trained} of {geometry.num_scales} scales trained; samples "
                 f"come out at {geometry.sizes[model.num_trained - 1][1]}x"
                 f"{geometry.sizes[model.num_trained - 1][0]} until training is resumed")
        table = Table(title=f"{model_dir}: {w}x{h}, {geometry.num_scales} scales, "
                            f"r = {geometry.scale_factor:.3f}, loss {cfg.loss}; {state}",
                      title_justify="left")
        for column in ("scale", "size (WxH)", "channels", "noise amp", "iterations", "train s"):
            table.add_column(column, justify="right")
        for n, (sh, sw) in enumerate(geometry.sizes):
            trained = n < model.num_trained
            table.add_row(
                str(n) + (" (coarsest)" if n == 0 else " (finest)" if n == geometry.num_scales - 1 else ""),
                f"{sw}x{sh}", str(cfg.channels_at(n)),
                f"{model.noise_amps[n]:.4f}" if trained else "-",
                str(cfg.iters_at(n, geometry.num_scales)),
                f"{model.train_seconds[n]:.1f}" if trained else "not trained")
        Console(soft_wrap=True).print(table)
