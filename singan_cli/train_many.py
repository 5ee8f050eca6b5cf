"""`singan train-many PHOTOS_OR_DIRS... --out MODELS_DIR`: one model per photo, as Ray tasks.

    singan train-many photos/ --out models/                       # a local Ray on this machine
    singan train-many photos/ --out models/ --address auto        # on a node of a `ray start` cluster

One Ray generator task per photo (singan_cli/train_task.py) runs the trainer of `singan train`
and streams each finished scale's files back; this process (the driver) is the only writer of
MODELS_DIR/<name>/, so workers need no shared filesystem and what is on disk always loads.
Rerunning the command skips finished models and resumes partial ones. A task lost with its
worker or node is resubmitted (at most --max-retries times) from the scales already received;
Ray's own retry is off because it would replay the task from its first scale. At the end: a
table per photo (also MODELS_DIR/index.json); exit 1 if any photo failed.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

import typer

from singan_cli.common import emit, err_console, say, user_errors
from singan_cli.progress import ProgressDisplay
from singan_cli.training_flags import (
    ConfigOption,
    Preset,
    PresetOption,
    sets_key,
    training_overrides,
    with_training_flags,
)
from singan_cli.training_run import sigterm_as_interrupt

INDEX_FILE = "index.json"
INSTALL_HINT = "singan train-many needs Ray: pip install 'singan-cli[cluster]'"
EVAL_SAMPLES = 4  # samples scored per model (applications.evaluate), as `singan eval -n 4`
POLL_SECONDS = 0.5  # how often the driver wakes up without news (progress, Ctrl-C)


@dataclass
class PhotoRun:
    """One photo's model and what happened to it in this run."""

    photo: Path
    name: str
    out: Path
    note: str = ""  # e.g. the name clash that gave this model its name
    status: str = "pending"  # -> trained | resumed | skipped | failed | interrupted
    num_trained: int = 0
    num_scales: int = 0
    seconds: float = 0.0  # training time of all finished scales (earlier runs included)
    swd: float | None = None
    diversity: float | None = None
    error: str = ""
    attempts: int = 0
    resumed_from: int = 0  # scales on disk when this run started the photo
    host: str = ""
    node: str = ""
    seed: int | None = None
    scale_seconds: list[float] = field(default_factory=list)
    task_config: dict[str, Any] = field(default_factory=dict)  # what its task trains with

    def entry(self) -> dict[str, Any]:
        """This photo's row of index.json (and of the table)."""
        return {"name": self.name, "photo": str(self.photo), "model": str(self.out),
                "status": self.status, "scales": self.num_trained, "num_scales": self.num_scales,
                "seconds": round(self.seconds, 2), "swd": self.swd, "diversity": self.diversity,
                "seed": self.seed, "attempts": self.attempts, "error": self.error,
                "note": self.note}


# -- which photos, under which names ---------------------------------------------------------


def collect_photos(paths: Sequence[Path]) -> list[Path]:
    """Files as given, plus the image files (by extension, not hidden) directly inside each
    folder, sorted; the same file named twice counts once."""
    from PIL import Image

    extensions = {ext.lower() for ext in Image.registered_extensions()}
    photos: list[Path] = []
    seen: set[Path] = set()
    for path in paths:
        if path.is_dir():
            found = sorted(p for p in path.iterdir() if p.is_file() and not p.name.startswith(".")
                           and p.suffix.lower() in extensions)
            if not found:
                say(f"warning: {path}: no image files in this folder")
        else:
            found = [path]  # a missing or unreadable file fails as its own photo, with its reason
        for photo in found:
            key = photo.resolve()
            if key not in seen:
                seen.add(key)
                photos.append(photo)
    return photos


def assign_names(photos: Sequence[Path]) -> list[tuple[Path, str, str]]:
    """(photo, model name, note) per photo: the name is the file's stem; photos that share a stem
    (compared without case, for case-insensitive disks) are ordered by their full path, the first
    keeps the stem and the others get the first free stem-2, stem-3, ... The same photos always
    get the same names, whatever order they are given in."""
    ordered = sorted(photos, key=lambda p: str(p.resolve()))
    stems = {p.stem.casefold() for p in ordered} | {INDEX_FILE}
    taken: set[str] = {INDEX_FILE}
    first_owner: dict[str, Path] = {}
    names: dict[Path, tuple[str, str]] = {}
    for photo in ordered:  # first pass: each stem to the first photo (by path) that has it
        key = photo.stem.casefold()
        if key not in taken:
            taken.add(key)
            first_owner[key] = photo
            names[photo] = (photo.stem, "")
    for photo in ordered:  # second pass: the rest get a numbered name no photo's stem uses
        if photo in names:
            continue
        number = 2
        while f"{photo.stem}-{number}".casefold() in taken | stems:
            number += 1
        name = f"{photo.stem}-{number}"
        taken.add(name.casefold())
        owner = first_owner.get(photo.stem.casefold())
        clash = f"{owner} has the same name" if owner else f"'{photo.stem}' is reserved"
        names[photo] = (name, f"named {name}: {clash}")
    return [(photo, *names[photo]) for photo in photos]


# -- progress on stderr ----------------------------------------------------------------------


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


# -- the driver --------------------------------------------------------------------------------


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text if len(text) <= 300 else text[:297] + "..."


def _sha256(path: Path) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


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
        self.runs, self.models_dir, self.config = runs, models_dir, config
        # Without a GPU share, 'auto' means the CPU, so that a task never uses a GPU that Ray
        # did not give it.
        self.task_device = "cpu" if config.device == "auto" and not gpus_per_model else config.device
        self.fresh_seeds = fresh_seeds  # no seed given: each model its saved or a fresh one
        self.cpus, self.gpus = cpus_per_model, gpus_per_model
        self.max_retries, self.force, self.on_item = max_retries, force, on_item
        self.task: Any = None
        self.running: dict[Any, PhotoRun] = {}  # ObjectRefGenerator -> its photo
        self.locks: dict[str, Any] = {}
        self.previous_index = self._read_index()
        self.interrupted = False

    def _read_index(self) -> dict[str, dict[str, Any]]:
        try:
            entries = json.loads((self.models_dir / INDEX_FILE).read_text(encoding="utf-8"))["photos"]
            return {e["name"]: e for e in entries if isinstance(e, dict) and "name" in e}
        except (OSError, ValueError, KeyError, TypeError):
            return {}

    def start_ray(self) -> None:
        """Connect, define the task, and size the window of submitted tasks."""
        import ray

        from singan_cli.train_task import train_photo

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

    def _fail(self, run: PhotoRun, message: str) -> None:
        run.status, run.error = "failed", message

    def _release(self, run: PhotoRun) -> None:
        lock = self.locks.pop(run.name, None)
        if lock is not None:
            lock.__exit__(None, None, None)

    def prepare(self, run: PhotoRun) -> dict[str, bytes] | None:
        """Check the photo and its model directory; the files to send, or None when the photo is
        settled here (skipped, or failed with its one-line reason)."""
        import dataclasses
        import secrets

        from models.checkpoint import saved_scale_count
        from models.errors import ImageError, SinganError
        from models.image_io import load_image
        from models.resume import TrainingLock, prepare_output
        from models.trainer import new_model
        from singan_cli.train_task import read_files
        from singan_cli.training_flags import saved_seed

        config = self.config
        if self.fresh_seeds:  # as `singan train`: the saved seed to resume, else a fresh one
            saved = None if self.force else saved_seed(run.out)
            config = dataclasses.replace(
                config, seed=secrets.randbelow(2**31) if saved is None else saved)
        run.seed = config.seed
        run.task_config = dataclasses.replace(config, device=self.task_device).to_dict()
        try:
            notes: list[str] = []
            image = load_image(run.photo, config.max_size, notes)
            for note in notes:
                say(note)
            try:
                # the driver only checks and writes, on the CPU; the worker picks its device
                fresh = new_model(image, dataclasses.replace(config, device="cpu"))
            except ImageError as exc:  # the geometry does not know the file's name
                raise ImageError(f"{run.photo}: {exc}") from None
            run.num_scales = fresh.geometry.num_scales
            lock = TrainingLock(run.out).__enter__()
            self.locks[run.name] = lock
            # the same rules as `singan train --resume` (or --force): refuses another image or
            # changed settings, resumes a partial model, saves a new one at once
            model = prepare_output(run.out, fresh, resume=not self.force, force=self.force)
        except SinganError as exc:
            self._release(run)
            self._fail(run, str(exc))
            run.num_trained = saved_scale_count(run.out)  # e.g. a finished model, other settings
            return None
        run.num_trained = run.resumed_from = model.num_trained
        run.scale_seconds = list(model.train_seconds)
        run.seconds = sum(run.scale_seconds)
        if model.num_trained == model.geometry.num_scales:
            run.status = "skipped"
            self._scores_of_finished(run, model)
            self._release(run)
            return None
        return read_files(run.out)

    def _scores_of_finished(self, run: PhotoRun, model: Any) -> None:
        """A skipped model keeps the scores index.json has for this very config.yaml; else it is
        scored here."""
        from models.checkpoint import CONFIG_FILE

        old = self.previous_index.get(run.name, {})
        if old.get("config_sha256") and old["config_sha256"] == _sha256(run.out / CONFIG_FILE):
            run.swd, run.diversity = old.get("swd"), old.get("diversity")
            return
        from applications.evaluate import evaluate

        scores = evaluate(model, EVAL_SAMPLES)
        run.swd, run.diversity = scores["swd"], scores["diversity"]

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
        from singan_cli.train_task import read_files

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
                message = str(cause)
            elif debug_enabled():
                message = str(exc)
            else:
                message = (f"{type(cause).__name__}: {_one_line(cause)} (SINGAN_DEBUG=1 shows "
                           f"the worker's traceback)")
            self._fail(run, message)
            self._settle(generator, run, display)
            return
        except self._system_failures() as exc:  # worker or node lost: resubmit what is saved
            del self.running[generator]
            reason = f"{type(exc).__name__} on attempt {run.attempts}"
            if run.attempts > self.max_retries:
                self._fail(run, f"gave up after {run.attempts} attempts ({type(exc).__name__}: "
                                f"{_one_line(exc)}); {run.num_trained} scales are saved")
                self._finish(run, display)
                return
            display.retry(run, reason)
            self.submit(run, read_files(run.out))
            display.submitted(run)
            return
        try:
            self._apply(run, item)
        except (SinganError, ValueError) as exc:  # disk full, a bad name from the worker
            self.ray.cancel(generator)
            self._fail(run, str(exc))
            self._settle(generator, run, display)
            return
        if item["kind"] == "start":
            display.started(run)
        elif item["kind"] == "scale":
            display.scale_done(run)
        if self.on_item is not None:
            self.on_item(run, item)

    def _apply(self, run: PhotoRun, item: dict[str, Any]) -> None:
        from singan_cli.train_task import write_files

        if item["kind"] == "start":
            run.node, run.host = item["node"], item["host"]
        elif item["kind"] == "scale":
            write_files(run.out, item["files"])  # atomic files, config.yaml last
            run.num_trained, run.num_scales = item["num_trained"], item["num_scales"]
            run.scale_seconds = run.scale_seconds[: run.num_trained - 1] + [item["seconds"]]
            run.seconds = sum(run.scale_seconds)
        elif item["kind"] == "scores":
            run.swd, run.diversity = item["swd"], item["diversity"]

    def _settle(self, generator: Any, run: PhotoRun, display: Display) -> None:
        """The task ended (or failed): the photo's final status."""
        self.running.pop(generator, None)
        if run.status != "failed":
            if run.swd is None or run.num_trained < run.num_scales:
                self._fail(run, f"the task ended after {run.num_trained} of {run.num_scales} "
                                f"scales without an error; run the command again to resume")
            else:
                run.status = "resumed" if run.resumed_from else "trained"
        self._finish(run, display)

    def _finish(self, run: PhotoRun, display: Display) -> None:
        self._release(run)
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
                        files = self.prepare(run)
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
                    self._release(run)
        self.write_index()

    def write_index(self) -> None:
        """MODELS_DIR/index.json: the table's rows (plus what lets a rerun reuse the scores)."""
        from models.checkpoint import CONFIG_FILE
        from models.image_io import atomic_write

        rows = []
        for run in self.runs:
            row = run.entry()
            if run.status in ("trained", "resumed", "skipped"):
                row["config_sha256"] = _sha256(run.out / CONFIG_FILE)
            rows.append(row)
        text = json.dumps({"models_dir": str(self.models_dir), "photos": rows}, indent=2)
        atomic_write(self.models_dir / INDEX_FILE, lambda tmp: tmp.write_text(text + "\n"))


# -- the command -------------------------------------------------------------------------------


def print_table(runs: Sequence[PhotoRun], title: str) -> None:
    from rich.table import Table

    table = Table(title=title, title_justify="left")
    table.add_column("photo", overflow="fold")
    for column in ("model", "status"):
        table.add_column(column, no_wrap=True)
    for column in ("scales", "time", "swd", "diversity"):
        table.add_column(column, justify="right", no_wrap=True)
    styles = {"failed": "red", "interrupted": "yellow"}
    for run in runs:
        table.add_row(str(run.photo), run.name, run.status,
                      f"{run.num_trained}/{run.num_scales}" if run.num_scales else "-",
                      f"{run.seconds:.1f} s" if run.seconds else "-",
                      f"{run.swd:.2f}" if run.swd is not None else "-",
                      f"{run.diversity:.3f}" if run.diversity is not None else "-",
                      style=styles.get(run.status))
    console = err_console()
    console.print(table, width=None if console.is_terminal else 160)  # logs: no 80-column folding
    for run in runs:
        if run.error:
            console.print(f"{run.name}: {run.error}", style="red", markup=False, highlight=False,
                          soft_wrap=True)
        if run.note:
            say(f"{run.name}: {run.note}")


def connect(address: str | None) -> bool:
    """Initialise Ray (a new local instance, or the cluster at `address`); True if this call
    started it (and so should shut it down)."""
    import ray

    from models.errors import SinganError

    if ray.is_initialized():
        return False
    options: dict[str, Any] = {"log_to_driver": False, "logging_level": "ERROR"}
    if address is None:
        # "local": a new instance; ray.init() alone would join any `ray start` cluster that
        # happens to run on this machine
        address = "local"
        options["include_dashboard"] = False
    try:
        ray.init(address=address, **options)
    except (ConnectionError, RuntimeError, ValueError) as exc:
        where = f"--address {address}" if address else "local Ray"
        raise SinganError(f"{where}: cannot start or reach Ray ({_one_line(exc)}); for a cluster, "
                          f"run `ray start --head` first (see the README)") from None
    return True


@with_training_flags
def train_many_command(
    photos: Annotated[list[Path], typer.Argument(metavar="PHOTOS_OR_DIRS...", help="Photos, and "
                                                 "folders whose image files to take.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder of the models: one model "
                                      "directory per photo, named after it, and index.json.")],
    address: Annotated[str | None, typer.Option(help="A running Ray cluster ('auto', or the head "
                                                "node's HOST:PORT) instead of a local Ray on "
                                                "this machine.")] = None,
    cpus_per_model: Annotated[float, typer.Option(min=0.01, help="CPUs one training uses "
                                                  "(torch threads); the tasks that fit run at "
                                                  "once.")] = 1,
    gpus_per_model: Annotated[float, typer.Option(min=0, help="GPUs one training uses (0.5: two "
                                                  "per GPU); with 0, device auto means the "
                                                  "CPU.")] = 0,
    max_retries: Annotated[int, typer.Option(min=0, help="Resubmissions of a photo whose worker "
                                             "or node was lost (never for a bad photo).")] = 3,
    preset: PresetOption = Preset.default,
    config: ConfigOption = None,
    force: Annotated[bool, typer.Option(help="Retrain models that are already finished "
                                        "(or were trained with other settings).")] = False,
    **training: Any,
) -> None:
    """Train one model per photo on a Ray cluster (or this machine); reruns resume.

    Training flags are those of `singan train`.
    """
    with user_errors():
        from models.config import resolve_config
        from models.errors import OutputError, SinganError, UsageError

        if importlib.util.find_spec("ray") is None:  # cheaper than importing it
            raise SinganError(INSTALL_HINT)
        if address and address.startswith("ray://"):
            raise UsageError(f"--address {address}: Ray Client (ray://) cannot stream results "
                             f"from a task, which train-many needs; run it on a node of the "
                             f"cluster with --address auto (see the README)")
        overrides = training_overrides(training)
        seed_given = "seed" in overrides or sets_key(config, "seed")
        cfg = resolve_config(preset.value, config, overrides)
        found = collect_photos(photos)
        if not found:
            raise UsageError("no photos: give image files or folders that hold some")
        try:
            out.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise OutputError(f"{out}: cannot create the models folder ({exc.strerror or exc}); "
                              f"choose another --out") from None
        runs = [PhotoRun(photo, name, out / name, note)
                for photo, name, note in assign_names(found)]
        for run in runs:
            if run.note:
                say(f"{run.photo}: {run.note}")
        started: list[bool] = []
        begin = time.perf_counter()
        try:
            driver = Driver(runs, out, cfg, cpus_per_model, gpus_per_model, max_retries, force,
                            fresh_seeds=not seed_given,
                            connect=lambda: started.append(connect(address)))
            with sigterm_as_interrupt():
                driver.run()
        finally:
            if any(started):
                import ray

                ray.shutdown()
        wall = time.perf_counter() - begin
        failed = [r for r in runs if r.status == "failed"]
        print_table(runs, f"{out}: {len(runs)} photos, {len(failed)} failed, {wall:.1f} s")
        for run in runs:
            if run.status in ("trained", "resumed", "skipped"):
                emit(run.out)
        emit(out / INDEX_FILE)
        if driver.interrupted:
            say(f"interrupted; every finished scale is saved in {out}/. Continue with the same "
                f"command (finished models are skipped, partial ones resumed)")
        if failed or driver.interrupted:
            raise typer.Exit(1)
