"""`singan animate MODEL --out clip.gif`: a looping random walk of the model's noise.

    singan animate model/ --out clip.gif --frames 100 --fps 10 --alpha 0.1 --beta 0.9 --loop
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
    err_console,
    pick_device,
    pick_seed,
    refuse_existing,
    user_errors,
)


def animate_command(
    model_dir: Annotated[Path, typer.Argument(metavar="MODEL", help="A model directory.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="clip.gif (default format), clip.webp, "
                                      "clip.mp4 (video extra), or a folder name for PNG "
                                      "frames.")] = Path("animation.gif"),
    frames: Annotated[int, typer.Option(min=2, max=2000, help="Number of frames.")] = 100,
    fps: Annotated[float, typer.Option(min=0.5, max=60, help="Frames per second.")] = 10.0,
    alpha: Annotated[float, typer.Option(min=0, max=1, help="Pull towards the training image "
                                         "(higher: calmer).")] = 0.1,
    beta: Annotated[float, typer.Option(min=0, max=1, help="Momentum of the walk (higher: "
                                        "smoother).")] = 0.9,
    start_scale: Annotated[int, typer.Option(min=0, help="Scales below it stay fixed: higher "
                                             "moves only finer detail.")] = 0,
    loop: Annotated[bool, typer.Option("--loop/--no-loop", help="End where it started so the "
                                       "clip loops without a jump.")] = True,
    seed: SeedOption = None,
    device: DeviceOption = Device.auto,
    force: ForceOption = False,
) -> None:
    """Animate the model (output path to stdout)."""
    with user_errors():
        where = pick_device(device)
        # a folder of frames is one result: an empty folder is fine, one with files is not
        if not (out.is_dir() and not any(out.iterdir())):
            refuse_existing([out], force)

        from rich.progress import Progress

        from applications.animate import animate
        from models.checkpoint import load_model
        from models.image_io import save_animation, tensor_to_uint8

        model = load_model(model_dir, device=where)
        seed = pick_seed(seed)
        console = err_console()
        with Progress(console=console, disable=not console.is_terminal, transient=True) as bar:
            task = bar.add_task("frames", total=frames)
            images = [tensor_to_uint8(f) for f in animate(
                model, frames, alpha=alpha, beta=beta, start_scale=start_scale, loop=loop,
                seed=seed, on_frame=lambda _: bar.advance(task))]
        emit(save_animation(images, out, fps))
        if out.is_dir():  # --force over a longer clip: its extra frames are not part of this one
            for stale in out.glob("frame_*.png"):
                if stale.stem[6:].isdigit() and int(stale.stem[6:]) >= frames:
                    stale.unlink()
