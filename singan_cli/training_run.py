"""Training one model directory from the command line: the image, the trainer, rich progress on
stderr, and Ctrl-C / SIGTERM that keep the finished scales (`train` and `sr` use it).

    model = run_training(Path("photo.jpg"), Path("model/"), cfg, resume=True)
"""

from __future__ import annotations

import signal
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import typer

from singan_cli.common import emit, say


def _raise_interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


@contextmanager
def sigterm_as_interrupt() -> Iterator[None]:
    """SIGTERM stops the block like Ctrl-C (KeyboardInterrupt), so finished scales are kept and
    the command says how to continue; the previous handler comes back afterwards."""
    previous = signal.signal(signal.SIGTERM, _raise_interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def run_training(image_path: Path, out: Path, cfg: Any, resume: bool = False, force: bool = False,
                 dry_run: bool = False, quiet_result: bool = False,
                 keep_interrupt: bool = False, threads: int = 0) -> Any:
    """Load the image, prepare `out`, train with progress on stderr; returns the SinGAN.

    keep_interrupt: let Ctrl-C / SIGTERM through as KeyboardInterrupt (the caller, e.g. sr,
    says how to continue) instead of the `singan train --resume` hint.
    """
    import yaml

    from models.checkpoint import CONFIG_FILE, saved_scale_count
    from models.errors import ImageError, TrainingError
    from models.image_io import load_image
    from models.trainer import new_model, train
    from singan_cli.progress import TrainingProgress

    notes: list[str] = []
    image = load_image(image_path, cfg.max_size, notes)
    for note in notes:
        say(f"{image_path}: {note}")
    try:
        model = new_model(image, cfg)
    except ImageError as exc:  # the geometry does not know the file's name
        exc.path = image_path
        raise
    if dry_run:
        # stdout: every config key, a file that --config reads back; stderr: the plan
        typer.echo("# singan train config; use it with: singan train IMAGE --config FILE\n"
                   + yaml.safe_dump(cfg.to_dict(), sort_keys=False), nl=False)
        for n, (h, w) in enumerate(model.geometry.sizes):
            say(f"scale {n}: {w}x{h}, {cfg.channels_at(n)} channels, "
                f"{cfg.iters_at(n, model.geometry.num_scales)} iterations")
        return model
    h, w = model.geometry.sizes[-1]
    # said with the first progress report, so a refused --out stays a one-line error
    header = (f"training on {image_path} ({w}x{h}, {model.geometry.num_scales} scales, "
              f"r = {model.geometry.scale_factor:.3f}) on {model.device}; model -> {out}/")
    started = time.perf_counter()
    try:
        with sigterm_as_interrupt(), TrainingProgress(header) as progress:
            # the lock, overwrite/resume rules, disk and memory checks live in the trainer
            model = train(image, cfg, save_dir=out, progress=progress, model=model,
                          resume=resume, force=force, threads=threads)
    except KeyboardInterrupt:
        if keep_interrupt:
            raise
        finished = saved_scale_count(out)
        raise TrainingError(
            f"interrupted; {finished} of {model.geometry.num_scales} scales are saved in {out}/. "
            f"Continue with: singan train {image_path} --out {out} --resume (same flags)") from None
    total = time.perf_counter() - started
    say(f"done in {total:.1f} s; previews in {out / 'previews'}/, settings in {out / CONFIG_FILE}")
    if not quiet_result:
        emit(out)
    return model
