"""Rich progress on stderr: a base display (train-many builds on it) and the training bars (one
per scale with iterations, losses and ETA)."""

from __future__ import annotations

import time
from types import TracebackType
from typing import TYPE_CHECKING, TypeVar

from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from singan_cli.common import err_console, say

if TYPE_CHECKING:  # the CLI imports this module before it needs torch
    from models.trainer import TrainProgress


DisplayT = TypeVar("DisplayT", bound="ProgressDisplay")  # typing.Self is Python 3.11+


class ProgressDisplay:
    """Rich progress bars on stderr as a context manager; plain lines from `_say` instead of
    bars when stderr is not a terminal (logs, CI). Subclasses add the bars."""

    def __init__(self, *columns: ProgressColumn) -> None:
        console = err_console()
        self.progress = Progress(*columns, console=console, disable=not console.is_terminal)

    def __enter__(self: DisplayT) -> DisplayT:
        self.progress.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.progress.stop()

    def _say(self, message: str) -> None:
        if self.progress.disable:
            say(message)
        else:
            self.progress.console.print(message, markup=False, highlight=False)


class TrainingProgress(ProgressDisplay):
    """Context manager whose instance is the trainer's progress callback."""

    def __init__(self, header: str | None = None) -> None:
        """`header`: a line said before the first report (with the scale a resume starts at)."""
        super().__init__(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                         TextColumn("{task.fields[losses]}"), TimeElapsedColumn(),
                         TimeRemainingColumn())
        self.header = header
        self.tasks: dict[int, TaskID] = {}
        self.started = time.perf_counter()

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
