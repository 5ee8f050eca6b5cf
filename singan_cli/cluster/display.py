"""The progress of `singan train-many` on stderr: a line per running photo and one for all.

    with Display(len(runs)) as display: display.submitted(run); ...; display.finished(run)
"""

from __future__ import annotations

from singan_cli.cluster.record import PhotoRun
from singan_cli.common import say
from singan_cli.progress import ProgressDisplay


class Display(ProgressDisplay):
    """One rich line per running photo (finished scales of all) and an overall bar, on stderr;
    plain lines instead when stderr is not a terminal (logs, CI)."""

    def __init__(self, total: int) -> None:
        from rich.progress import BarColumn, MofNCompleteColumn, TaskID, TextColumn, TimeElapsedColumn

        super().__init__(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                         TextColumn("{task.fields[info]}"), TimeElapsedColumn())
        self.overall = self.progress.add_task("photos", total=total, info="")
        self.lines: dict[str, TaskID] = {}

    def submitted(self, run: PhotoRun) -> None:
        if run.name not in self.lines:
            self.lines[run.name] = self.progress.add_task(run.name, total=run.num_scales,
                                                          completed=run.num_trained, info="")
        self.progress.update(self.lines[run.name], info="waiting for a worker")

    def started(self, run: PhotoRun) -> None:
        where = f" on {run.host}" if run.host else ""
        self.progress.update(self.lines[run.name], info=f"training scale {run.num_trained}{where}")
        if self.progress.disable:
            again = f" (attempt {run.attempts})" if run.attempts > 1 else ""
            say(f"{run.name}: training scales {run.num_trained}..{run.num_scales - 1}{where}{again}")

    def scale_done(self, run: PhotoRun) -> None:
        line = self.lines.get(run.name)
        if line is not None:
            left = run.num_trained < run.num_scales
            info = f"training scale {run.num_trained}" if left else "scoring"
            self.progress.update(line, completed=run.num_trained,
                                 info=info + (f" on {run.host}" if run.host else ""))
        if self.progress.disable:
            say(f"{run.name}: scale {run.num_trained - 1} done ({run.num_trained}/{run.num_scales},"
                f" {run.scale_seconds[-1]:.1f} s)")

    def retry(self, run: PhotoRun, reason: str) -> None:
        self._say(f"{run.name}: {reason}; resubmitting from its {run.num_trained} saved scales")

    def finished(self, run: PhotoRun) -> None:
        line = self.lines.pop(run.name, None)
        if line is not None:
            self.progress.remove_task(line)
        self.progress.advance(self.overall)
        if run.status == "failed":
            self._say(f"{run.name}: failed: {run.error}")
        elif self.progress.disable:
            say(f"{run.name}: {run.status} ({run.num_trained}/{run.num_scales} scales)")
