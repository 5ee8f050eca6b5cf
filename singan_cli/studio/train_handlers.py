"""What the Train tab's Train and Resume buttons do: a training streamed to the page.

    for status in train_stream(ws, control, "photo.jpg", "rocket", "default", 250, None):
        print(status.text)
    for status in resume_stream(ws, control, "singan-studio/models/rocket"):
        print(status.text)

No gradio here. The config is resolved and the model trained exactly as `singan train` does
(models.config, models.trainer); training_control runs it in the background with a Stop flag.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from models.errors import SinganError, UsageError
from singan_cli.common import emit, say
from singan_cli.studio.chosen_model import load_studio_model
from singan_cli.studio.editor import read_upload
from singan_cli.studio.training_control import (
    StopRequested,
    TrainingControl,
    progress_text,
    training_events,
)
from singan_cli.studio.workspace import Workspace


@dataclass
class TrainStatus:
    """One update of the Train tab: a status line, the preview sheets so far, the model folder."""

    text: str
    previews: list[Path]
    model_dir: Path
    done: bool = False


def train_stream(ws: Workspace, control: TrainingControl, upload: str | Path | None, name: str,
                 preset: str = "default", max_size: float | None = None, iters: float | None = None,
                 iters_finest: float | None = None, force: bool = False) -> Iterator[TrainStatus]:
    """Train models/<name>/ in the workspace on an uploaded image; yields a status about twice
    a second and after each finished scale. An existing model is refused unless `force`.

    The config is the preset with the page's max size and iterations (coarsest and finest
    scale) where given (None or 0 keeps the preset's), checked like the CLI's flags.
    """
    from models.config import resolve_config
    from models.image_io import save_image

    out = ws.model_dir((name or "").strip() or ws.next_model_name())
    given = {"max_size": max_size, "iters": iters, "iters_finest": iters_finest}
    config = resolve_config(preset, overrides={k: int(v) for k, v in given.items() if v})
    image = read_upload(upload, config.max_size, "image to train on")
    save_image(image, ws.upload_path())
    yield from _train_and_report(image, config, out, control, resume=False, force=force)


def resume_stream(ws: Workspace, control: TrainingControl,
                  model_path: str | Path | None) -> Iterator[TrainStatus]:
    """Continue a partly trained model (workspace or command line) with its own image and
    settings, at its next scale; yields like train_stream."""
    from models.checkpoint import IMAGE_FILE
    from models.image_io import load_image

    saved = load_studio_model(ws, model_path, allow_empty=True)
    out = Path(str(model_path))
    if saved.complete:
        raise UsageError(f"{out.name}: is complete, nothing to resume")
    yield from _train_and_report(load_image(out / IMAGE_FILE), saved.config, out, control,
                                 resume=True, force=False)


def _previews(out: Path) -> list[Path]:
    """The preview sheets the trainer wrote so far (previews/scale_NN.png), coarsest first."""
    from models.checkpoint import PREVIEW_DIR

    return sorted((out / PREVIEW_DIR).glob("scale_*.png"))


def _train_and_report(image: torch.Tensor, config: Any, out: Path, control: TrainingControl,
                      resume: bool, force: bool) -> Iterator[TrainStatus]:
    """Train `image` (1x3xHxW in [-1, 1]) into `out`; Stop ends it with the finished scales
    saved, reported as a last status."""
    from models.checkpoint import load_model

    h, w = image.shape[-2:]
    say(f"studio: training {out} on a {w}x{h} image" + (" (resuming)" if resume else ""))
    started = time.perf_counter()
    yield TrainStatus(f"Starting on a {w}x{h} image...", _previews(out), out)
    try:
        for kind, payload in training_events(image, config, out, control, resume, force):
            if kind == "progress":
                yield TrainStatus(progress_text(payload, started), _previews(out), out)
            elif kind == "scale":
                yield TrainStatus(f"Scale {payload.num_trained} of {payload.geometry.num_scales} "
                                  f"done ({time.perf_counter() - started:.0f} s); preview below.",
                                  _previews(out), out)
            elif kind == "done":
                emit(out)
                yield TrainStatus(f"Done: {out.name} is trained "
                                  f"({time.perf_counter() - started:.0f} s). Use it in the other "
                                  f"tabs.", _previews(out), out, done=True)
    except StopRequested:
        try:
            finished = load_model(out, allow_empty=True).num_trained
        except SinganError:
            finished = 0
        say(f"studio: training of {out} stopped; {finished} scales saved")
        yield TrainStatus(f"Stopped: {finished} scales of {out.name} are saved; press Resume to "
                          f"continue.", _previews(out), out, done=True)
