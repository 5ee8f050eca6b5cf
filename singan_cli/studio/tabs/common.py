"""What the studio's tabs share: errors shown in the page, galleries, editors, Stop for fine-tunes.

    button.click(guard(on_sample), [model, count], [samples])   # errors -> one-line page message
    return gallery(paths, ["painting", "result 1"])

`guard` turns the project's one-line errors (SinganError) into `gr.Error`: a message in the
page, and the server keeps serving. A `BuiltTab` is what a tab's `build` hands back to
`app.build_app` for the wiring that crosses tabs.
"""

from __future__ import annotations

import functools
import inspect
import sys
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import gradio as gr
import numpy as np

from models.errors import SinganError
from singan_cli.studio.chosen_model import ModelInfo
from singan_cli.studio.messages import page_message
from singan_cli.studio.training_control import StopRequested, TrainingControl
from singan_cli.studio.workspace import Workspace

# The event settings of Train, Resume and SR: one training at a time, the others wait in one
# queue. They stream their own status line; Gradio's full pending display (a pulsing border over
# the outputs) keeps the browser redrawing, on the cores the training runs on, while "minimal"
# keeps the queue position and the timer.
TRAINING_EVENT: dict[str, Any] = {"concurrency_id": "training", "concurrency_limit": 1,
                                  "show_progress": "minimal"}
STOPPED = "Stopped: the fine-tune was cancelled and nothing was written."
FINETUNE_STOPPING = "Stopping the fine-tune within a few iterations..."


def _page_error(exc: BaseException) -> gr.Error:
    if isinstance(exc, SinganError):
        return gr.Error(page_message(exc), print_exception=False)
    # a bug, not a user error: the traceback goes to the server's stderr, one line to the page
    traceback.print_exception(exc, file=sys.stderr)
    return gr.Error(f"unexpected error ({type(exc).__name__}: {' '.join(str(exc).split())[:200]}); "
                    f"the details are on the studio's console", print_exception=False)


def guard(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Run a handler (plain or generator) so that its errors become one-line page errors."""
    if inspect.isgeneratorfunction(fn):
        @functools.wraps(fn)
        def stream(*args: Any, **kwargs: Any) -> Any:
            try:
                yield from fn(*args, **kwargs)
            except gr.Error:
                raise
            except Exception as exc:
                raise _page_error(exc) from None
        return stream

    @functools.wraps(fn)
    def call(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except gr.Error:
            raise
        except Exception as exc:
            raise _page_error(exc) from None
    return call


def _first_scale(info: ModelInfo) -> int:
    return 0


@dataclass
class BuiltTab:
    """A tab as app.build_app wires it to the rest of the page.

    start: its start-scale slider, whose range (and value, `start_value`) follows the chosen
    model; editors: components filled for the chosen model when the tab is shown, with the
    values `fill(model_path)` returns (one per editor).
    """

    tab: gr.Tab
    start: gr.Slider | None = None
    start_value: Callable[[ModelInfo], int] = _first_scale
    editors: list[Any] = field(default_factory=list)
    fill: Callable[[str], tuple[Any, ...]] | None = None


def model_choices(ws: Workspace, select: str | None = None) -> gr.Dropdown:
    """The Model list re-read from the workspace, with `select` chosen (else the last one)."""
    choices = ws.list_models()
    return gr.Dropdown(choices=choices, value=select or (choices[-1][1] if choices else None))


def gallery(paths: list[Path], captions: list[str] | None = None) -> list[tuple[str, str]]:
    """A gr.Gallery value: the images at `paths` with captions (their names by default)."""
    captions = captions or [p.stem for p in paths]
    return [(str(p), c) for p, c in zip(paths, captions, strict=True)]


def start_slider(value: int = 0, label: str = "Start scale") -> gr.Slider:
    """A start-scale slider; app.build_app sets its range when a model is chosen."""
    return gr.Slider(0, 1, value=value, step=1, label=label)


def seed_box() -> gr.Number:
    """An application's seed: a whole number (cleared: a fresh random seed)."""
    return gr.Number(0, label="Seed", precision=0)


def as_pictures(ws: Workspace, value: Any) -> Any:
    """`value` for the page with every HxWxC uint8 array in it (an image, or the background and
    layers of an editor.editor_value dict) replaced by its Workspace.picture path."""
    if isinstance(value, np.ndarray):
        return str(ws.picture(value))
    if isinstance(value, dict):
        return {key: as_pictures(ws, part) for key, part in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(as_pictures(ws, part) for part in value)
    return value


def image_editor(label: str, elem_id: str, height: int,
                 sources: tuple[str, ...] = ("upload", "clipboard"), **options: Any) -> gr.ImageEditor:
    """An ImageEditor whose value the handlers read (studio.editor): numpy RGBA, PNG, without
    crop tools or the layer list."""
    return gr.ImageEditor(label=label, type="numpy", image_mode="RGBA", format="png",
                          sources=sources, transforms=(), layers=False, height=height,
                          elem_id=elem_id, **options)


def _finetune_bar(progress: gr.Progress) -> Callable[[Any], None]:
    """Shows a fine-tune's models.trainer.TrainProgress reports as the page's progress bar."""
    def report(event: Any) -> None:
        progress(event.iteration / event.iters,
                 desc=f"fine-tuning scale {event.scale} ({event.iteration}/{event.iters})")
    return report


@dataclass
class Finetune:
    """A tab's action that may fine-tune (Paint's quantize, Harmonize): the flag its Stop button
    sets, and running the action with the fine-tune's progress as the page's progress bar."""

    control: TrainingControl = field(default_factory=lambda: TrainingControl(stopping=FINETUNE_STOPPING))

    def connect(self, run: gr.Button, stop: gr.Button, status: gr.Markdown) -> None:
        """The tab's Run click arms the control (outside the queue, so before the queued
        action begins); its Stop click sets Stop and shows the stopping line in `status`."""
        run.click(self.control.arm, None, None, queue=False)
        stop.click(self.control.request_stop, None, status, queue=False)

    def run(self, progress: gr.Progress, action: Callable[[Callable[[Any], None]], list[Path]],
            captions: Callable[[int], list[str]]) -> tuple[Any, str]:
        """`action(progress_callback)` -> result paths: (gallery, "Done in ... s."), or (no
        change, STOPPED) once stopped. Stop is not cleared here: the tab's Run button arms the
        control when clicked (connect), so a Stop pressed while this action still waits in the
        queue is kept."""
        started = time.perf_counter()
        try:
            paths = action(self.control.watch(_finetune_bar(progress), clear=False))
        except StopRequested:
            return gr.skip(), STOPPED
        return gallery(paths, captions(len(paths))), f"Done in {time.perf_counter() - started:.1f} s."
