"""`singan train-many PHOTOS_OR_DIRS... --out MODELS_DIR`: one model per photo, as Ray tasks.

    singan train-many photos/ --out models/                       # a local Ray on this machine
    singan train-many photos/ --out models/ --address auto        # on a node of a `ray start` cluster

Rerunning the command skips finished models and resumes partial ones. At the end: a table per
photo (also MODELS_DIR/index.json); exit 1 if any photo failed or the run was interrupted. The
scheduling is in `driver`; this module checks the arguments, connects to Ray and prints the table.
"""

from __future__ import annotations

import importlib.util
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any

import typer

from singan_cli.cluster.driver import Driver, one_line
from singan_cli.cluster.photos import assign_names, collect_photos
from singan_cli.cluster.record import INDEX_FILE, PhotoRun
from singan_cli.common import emit, err_console, say, user_errors
from singan_cli.training_flags import (
    ConfigOption,
    Preset,
    PresetOption,
    sets_key,
    training_overrides,
    with_training_flags,
)
from singan_cli.training_run import sigterm_as_interrupt

INSTALL_HINT = "singan train-many needs Ray: pip install 'singan-cli[cluster]'"


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
        raise SinganError(f"{where}: cannot start or reach Ray ({one_line(exc)}); for a cluster, "
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
