"""The train-many scheduler: one Ray task per photo, a window of them submitted at a time.

    Driver(runs, models, config, cpus_per_model=1, gpus_per_model=0, max_retries=3,
           force=False).run()

A task lost with its worker or node is resubmitted (at most max_retries times) from the scales
already received; Ray's own retry is off because it would replay the task from its first scale.
A task's own error (a bad photo) fails its photo at once. MODELS_DIR/index.json is rewritten as
each photo is settled.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import Any

from singan_cli.cluster.display import Display
from singan_cli.cluster.model_dirs import ModelDirs
from singan_cli.cluster.record import PhotoRun, write_index
from singan_cli.cluster.shipping import read_files
from singan_cli.common import cli_message

POLL_SECONDS = 0.5  # how often the driver wakes up without news (progress, Ctrl-C)


def one_line(exc: BaseException) -> str:
    """An exception's message on one line, cut to 300 characters."""
    text = " ".join(str(exc).split())
    return text if len(text) <= 300 else text[:297] + "..."


class Driver:
    """Prepares each photo's model directory, runs its task, writes what comes back.

    Ray must be initialised. `on_item(run, item)` (tests) is called after each item a task
    sent has been applied to disk.
    """

    def __init__(self, runs: list[PhotoRun], models_dir: Path, config: Any, cpus_per_model: float,
                 gpus_per_model: float, max_retries: int, force: bool, fresh_seeds: bool = False,
                 connect: Callable[[], None] = lambda: None,
                 on_item: Callable[[PhotoRun, dict[str, Any]], None] | None = None) -> None:
        self.connect = connect  # called before the first task: a rerun that skips all needs no Ray
        self.ray: Any = None
        self.window = 0
        self.runs, self.models_dir = runs, models_dir
        # Without a GPU share, 'auto' means the CPU, so that a task never uses a GPU that Ray
        # did not give it.
        task_device = "cpu" if config.device == "auto" and not gpus_per_model else config.device
        self.dirs = ModelDirs(models_dir, config, task_device, force, fresh_seeds)
        self.cpus, self.gpus = cpus_per_model, gpus_per_model
        self.max_retries, self.on_item = max_retries, on_item
        self.task: Any = None
        self.running: dict[Any, PhotoRun] = {}  # ObjectRefGenerator -> its photo
        self.interrupted = False

    def start_ray(self) -> None:
        """Connect, define the task, and size the window of submitted tasks."""
        import ray

        from singan_cli.cluster.task import train_photo

        self.connect()
        self.ray = ray
        # Ray's own retry (max_retries) would replay a generator task from its first scale;
        # the driver resubmits instead, from the scales it has (see receive).
        self.task = ray.remote(train_photo).options(
            num_cpus=self.cpus, num_gpus=self.gpus, num_returns="streaming", max_retries=0,
            retry_exceptions=False)
        self.window = self.check_cluster()

    def check_cluster(self) -> int:
        """How many tasks to keep submitted: twice the number that fit at once (so each node
        has its next photo ready); a size no node has is a usage error rather than a hang."""
        nodes = [n["Resources"] for n in self.ray.nodes() if n.get("Alive")]
        for flag, key, need in (("--cpus-per-model", "CPU", self.cpus),
                                ("--gpus-per-model", "GPU", self.gpus)):
            largest = max((r.get(key, 0) for r in nodes), default=0)
            if need and largest < need:
                from models.errors import UsageError

                raise UsageError(f"{flag} {need:g}: no node of the Ray cluster has that many "
                                 f"{key}s (the largest has {largest:g})")
        total = self.ray.cluster_resources()
        fits = int(total.get("CPU", 0) // self.cpus) if self.cpus else len(self.runs)
        if self.gpus:
            fits = min(fits, int(total.get("GPU", 0) // self.gpus))
        return max(2, 2 * fits)

    # - one photo -

    def submit(self, run: PhotoRun, files: dict[str, bytes]) -> None:
        if self.task is None:
            self.start_ray()
        run.attempts += 1
        run.status = "running"
        generator = self.task.remote(run.name, files, run.task_config, self.cpus, str(run.out))
        self.running[generator] = run

    def _system_failures(self) -> tuple[type[BaseException], ...]:
        e = self.ray.exceptions
        return (e.NodeDiedError, e.WorkerCrashedError, e.ObjectLostError, e.OutOfMemoryError,
                e.RaySystemError, e.LocalRayletDiedError)

    def receive(self, generator: Any, display: Display) -> None:
        """Take the next item of a task that has one ready (or has ended) and act on it."""
        from models.errors import SinganError
        from singan_cli.common import debug_enabled

        run = self.running[generator]
        try:
            ref = next(generator)
        except StopIteration:
            self._settle(generator, run, display)
            return
        try:
            item = self.ray.get(ref)
        except self.ray.exceptions.RayTaskError as exc:  # the task's own error: no retry
            cause = exc.cause
            if isinstance(cause, SinganError):
                message = cli_message(cause)
            elif debug_enabled():
                message = str(exc)
            else:
                message = (f"{type(cause).__name__}: {one_line(cause)} (SINGAN_DEBUG=1 shows "
                           f"the worker's traceback)")
            run.fail(message)
            self._settle(generator, run, display)
            return
        except self._system_failures() as exc:  # worker or node lost: resubmit what is saved
            del self.running[generator]
            reason = f"{type(exc).__name__} on attempt {run.attempts}"
            if run.attempts > self.max_retries:
                run.fail(f"gave up after {run.attempts} attempts ({type(exc).__name__}: "
                         f"{one_line(exc)}); {run.num_trained} scales are saved")
                self._finish(run, display)
                return
            display.retry(run, reason)
            self.submit(run, read_files(run.out))
            display.submitted(run)
            return
        try:
            self.dirs.apply(run, item)
        except (SinganError, ValueError) as exc:  # disk full, a bad name from the worker
            self.ray.cancel(generator)
            run.fail(cli_message(exc) if isinstance(exc, SinganError) else str(exc))
            self._settle(generator, run, display)
            return
        if item["kind"] == "start":
            display.started(run)
        elif item["kind"] == "scale":
            display.scale_done(run)
        if self.on_item is not None:
            self.on_item(run, item)

    def _settle(self, generator: Any, run: PhotoRun, display: Display) -> None:
        """The task ended (or failed): the photo's final status."""
        self.running.pop(generator, None)
        if run.status != "failed":
            if run.swd is None or run.num_trained < run.num_scales:
                run.fail(f"the task ended after {run.num_trained} of {run.num_scales} "
                         f"scales without an error; run the command again to resume")
            else:
                run.status = "resumed" if run.resumed_from else "trained"
        self._finish(run, display)

    def _finish(self, run: PhotoRun, display: Display) -> None:
        self.dirs.release(run)
        display.finished(run)
        self.write_index()

    # - all photos -

    def run(self) -> None:
        """Train every photo; on Ctrl-C (KeyboardInterrupt) cancel the tasks and mark their
        photos interrupted (every scale received so far stays on disk)."""
        queue = deque(self.runs)
        with Display(len(self.runs)) as display:
            try:
                while queue or self.running:
                    while queue and (self.task is None or len(self.running) < self.window):
                        run = queue.popleft()
                        files = self.dirs.prepare(run)
                        if files is None:
                            display.finished(run)
                            self.write_index()
                        else:
                            self.submit(run, files)
                            display.submitted(run)
                    if not self.running:
                        continue
                    ready, _ = self.ray.wait(list(self.running), num_returns=1, timeout=POLL_SECONDS)
                    for generator in ready:
                        self.receive(generator, display)
            except KeyboardInterrupt:
                self.interrupted = True
                for generator, run in self.running.items():
                    self.ray.cancel(generator)
                    run.status = "interrupted"
                for run in self.runs:
                    if run.status == "pending":
                        run.status = "interrupted"
                self.running.clear()
            finally:
                for run in self.runs:
                    self.dirs.release(run)
        self.write_index()

    def write_index(self) -> None:
        write_index(self.models_dir, self.runs)
