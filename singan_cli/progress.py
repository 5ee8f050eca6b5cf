"""Rich progress for training on stderr: one bar per scale with iterations, losses and ETA."""

from __future__ import annotations

import time
from types import TracebackType

from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from models.trainer import TrainProgress
from singan_cli.common import err_console, say


class TrainingProgress:
    """Context manager whose instance is the trainer's progress callback."""

    def __init__(self, header: str | None = None) -> None:
        """`header`: a line said before the first report (with the scale a resume starts at)."""
        self.header = header
        console = err_console()
        self.progress = Progress(
            TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
            TextColumn("{task.fields[losses]}"), TimeElapsedColumn(), TimeRemainingColumn(),
            console=console, disable=not console.is_terminal)
        self.tasks: dict[int, TaskID] = {}
        self.started = time.perf_counter()

    def __enter__(self) -> TrainingProgress:
        self.progress.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.progress.stop()

    def __call__(self, event: TrainProgress) -> None:
        if self.header is not None:
            resuming = f" (resuming at scale {event.scale})" if event.scale else ""
            self._say(self.header + resuming)
            self.header = None
        if event.scale not in self.tasks:
            h, w = event.size
            self.tasks[event.scale] = self.progress.add_task(
                f"scale {event.scale}/{event.num_scales - 1} {w}x{h}", total=event.iters, losses="")
        losses = "  ".join(f"{k} {v:+.3f}" for k, v in event.losses.items())
        self.progress.update(self.tasks[event.scale], completed=event.iteration, losses=losses)
        if event.scale_done:
            h, w = event.size
            elapsed = time.perf_counter() - self.started
            message = (f"scale {event.scale}/{event.num_scales - 1} ({w}x{h}) done, "
                       f"{elapsed:.1f} s so far; {losses}")
            self._say(message)

    def _say(self, message: str) -> None:
        if self.progress.disable:
            say(message)
        else:
            self.progress.console.print(message, markup=False, highlight=False)
