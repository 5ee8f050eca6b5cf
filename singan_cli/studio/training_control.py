"""The page's Stop buttons, and a training run in a background thread that reports as it goes.

    control = TrainingControl()
    for kind, payload in training_events(image, config, out, control, resume=False, force=False):
        if kind == "progress":
            print(progress_text(payload, started))   # at most every REPORT_SECONDS
    progress = control.watch(report)   # a fine-tune's callback that Stop cancels

No gradio here. The training itself is models.trainer.train_scales, the one the CLI runs; this
module only runs it off the page's thread so that the page can show progress and stop it.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

REPORT_SECONDS = 0.5  # how often a training updates the page


class StopRequested(Exception):
    """Raised inside a training's or fine-tune's progress callback when the page's Stop button
    was pressed."""


@dataclass
class TrainingControl:
    """A Stop flag that a progress callback checks: one for the training slot, one per tab
    whose action fine-tunes (Paint, Harmonize)."""

    stop: threading.Event = field(default_factory=threading.Event)
    stopping: str = "Stopping after the current iterations; finished scales stay on disk."

    def request_stop(self) -> str:
        """Set Stop; returns what the page says meanwhile."""
        self.stop.set()
        return self.stopping

    def arm(self) -> None:
        """Clear Stop for an action about to start. A tab calls it when its Run button is
        clicked (outside the queue), so that a Stop pressed after the click but before the
        queued action has begun still stops that action."""
        self.stop.clear()

    def watch(self, report: Callable[[Any], None] | None = None,
              clear: bool = True) -> Callable[[Any], None]:
        """A trainer progress callback for a new action: clears Stop (unless `clear` is False:
        the action was armed when it was asked for), then raises StopRequested on the first
        report after Stop was pressed, and passes the other reports
        (models.trainer.TrainProgress) to `report`."""
        if clear:
            self.stop.clear()

        def progress(event: Any) -> None:
            if self.stop.is_set():
                raise StopRequested
            if report is not None:
                report(event)

        return progress


def progress_text(event: Any, started: float) -> str:
    """A models.trainer.TrainProgress report as one status line (`started`: perf_counter())."""
    h, w = event.size
    losses = ", ".join(f"{k} {v:+.3f}" for k, v in event.losses.items())
    return (f"Scale {event.scale + 1} of {event.num_scales} ({w}x{h}): iteration {event.iteration} "
            f"of {event.iters}; {time.perf_counter() - started:.0f} s so far. {losses}")


def training_events(image: torch.Tensor, config: Any, out: Path, control: TrainingControl,
                    resume: bool, force: bool) -> Iterator[tuple[str, Any]]:
    """Run models.trainer.train_scales on `image` (1x3xHxW in [-1, 1]) in a thread, saving to
    `out`; yield ("progress", TrainProgress) at most every REPORT_SECONDS, ("scale", model)
    after each scale and finally ("done", model). Errors of the training are raised here.

    Stop (control.stop) makes the progress callback raise StopRequested: the trainer stops
    within a few iterations and the finished scales stay on disk (resumable). Closing this
    generator (the page went away) stops the training the same way.
    """
    from models.trainer import train_scales

    events: queue.Queue[tuple[str, Any]] = queue.Queue()

    progress = control.watch(lambda event: events.put(("progress", event)))

    def work() -> None:
        try:
            model = None
            for model in train_scales(image, config, save_dir=out, progress=progress,
                                      resume=resume, force=force):
                events.put(("scale", model))
            events.put(("done", model))
        except BaseException as exc:  # handed to the page's thread, which raises it
            events.put(("error", exc))

    worker = threading.Thread(target=work, name="singan-studio-train", daemon=True)
    worker.start()
    last_report = 0.0
    try:
        while True:
            kind, payload = events.get()
            if kind == "error":
                raise payload
            if kind == "progress":
                if time.perf_counter() - last_report < REPORT_SECONDS:
                    continue  # the page redraws twice a second at most
                last_report = time.perf_counter()
            yield kind, payload
            if kind == "done":
                return
    finally:
        control.stop.set()  # if the page stopped listening, stop the training too
        worker.join()
        control.stop.clear()
