"""`singan info MODEL`: the scales of a model (use it to pick --start-scale).

    singan info model/                     # a table on stdout
    singan info model/ --json | jq .scales # the same as JSON on stdout, nothing else there
    singan info model/ --plot loss.png     # loss curves per scale (from train_log.csv); path on stdout
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from singan_cli.common import ForceOption, emit, refuse_existing, user_errors


def model_info(model_dir: Path, model: Any) -> dict[str, Any]:
    """What `info` shows, as plain JSON types (per-scale values of untrained scales are null)."""
    from models.checkpoint import TRAIN_LOG_FILE

    cfg, geometry = model.config, model.geometry
    h, w = geometry.sizes[-1]
    scales = []
    for n, (sh, sw) in enumerate(geometry.sizes):
        trained = n < model.num_trained
        scales.append({
            "scale": n, "width": sw, "height": sh, "channels": cfg.channels_at(n),
            "iterations": cfg.iters_at(n, geometry.num_scales), "trained": trained,
            "noise_amp": float(model.noise_amps[n]) if trained else None,
            "train_seconds": float(model.train_seconds[n]) if trained else None,
        })
    log = model_dir / TRAIN_LOG_FILE
    return {
        "model": str(model_dir), "complete": bool(model.complete),
        "scales_trained": model.num_trained, "num_scales": geometry.num_scales,
        "width": w, "height": h, "scale_factor": float(geometry.scale_factor),
        "scales": scales, "config": cfg.to_dict(),
        # None, or why `config` is not exactly the training config (a later version's record)
        "config_problem": getattr(model, "config_problem", None),
        "train_log": str(log) if log.exists() else None,
    }


def info_command(
    model_dir: Annotated[Path, typer.Argument(metavar="MODEL", help="A model directory.")],
    json_out: Annotated[bool, typer.Option("--json", help="Print the model's scales and config "
                                           "as JSON on stdout instead of the table.")] = False,
    plot: Annotated[Path | None, typer.Option(help="Draw the training losses per scale (from "
                                              "the model's train_log.csv) into this PNG; its "
                                              "path goes to stdout, the table to stderr.")] = None,
    force: ForceOption = False,
) -> None:
    """Show the model's scales: size, width, noise amplitude, iterations, train time."""
    with user_errors():
        from rich.console import Console
        from rich.table import Table

        from models.checkpoint import TRAIN_LOG_FILE, load_model

        if plot is not None:
            refuse_existing([plot], force, "--plot")
        model = load_model(model_dir)
        info = model_info(model_dir, model)
        if plot is not None:
            from models.image_io import atomic_write
            from singan_cli.loss_plot import draw_loss_plot, read_train_log

            image = draw_loss_plot(read_train_log(model_dir / TRAIN_LOG_FILE), title=str(model_dir))
            info["plot"] = str(atomic_write(plot, lambda tmp: image.save(tmp, format="PNG")))
        if json_out:
            typer.echo(json.dumps(info, indent=2))
            return
        cfg, geometry = model.config, model.geometry
        state = ("complete" if model.complete else
                 f"PARTIAL: {model.num_trained} of {geometry.num_scales} scales trained; samples "
                 f"come out at {geometry.sizes[model.num_trained - 1][1]}x"
                 f"{geometry.sizes[model.num_trained - 1][0]} until training is resumed")
        table = Table(title=f"{model_dir}: {info['width']}x{info['height']}, "
                            f"{geometry.num_scales} scales, r = {geometry.scale_factor:.3f}, "
                            f"loss {cfg.loss}; {state}", title_justify="left")
        for column in ("scale", "size (WxH)", "channels", "noise amp", "iterations", "train s"):
            table.add_column(column, justify="right")
        for row in info["scales"]:
            n = row["scale"]
            table.add_row(
                str(n) + (" (coarsest)" if n == 0 else " (finest)" if n == geometry.num_scales - 1 else ""),
                f"{row['width']}x{row['height']}", str(row["channels"]),
                f"{row['noise_amp']:.4f}" if row["trained"] else "-", str(row["iterations"]),
                f"{row['train_seconds']:.1f}" if row["trained"] else "not trained")
        # with --plot the PNG's path is the result on stdout; the table is for people: stderr
        Console(soft_wrap=True, stderr=plot is not None).print(table)
        if plot is not None:
            emit(Path(info["plot"]))
