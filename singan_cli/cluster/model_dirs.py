"""The train-many driver's side of each MODELS_DIR/<name>/: checked and locked before its task,
written as the task streams scales back, scored here when it is already finished.

    dirs = ModelDirs(models, config, task_device="cpu", force=False, fresh_seeds=True)
    files = dirs.prepare(run)   # None: settled here (skipped or failed); else the files to send
    dirs.apply(run, item); ...; dirs.release(run)
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from singan_cli.cluster.record import PhotoRun, config_sha256, read_index
from singan_cli.cluster.shipping import read_files, write_files
from singan_cli.cluster.task import EVAL_SAMPLES
from singan_cli.common import say


class ModelDirs:
    """One model directory per photo, under the same rules as `singan train --resume` (or
    --force); each stays locked from `prepare` until `release`."""

    def __init__(self, models_dir: Path, config: Any, task_device: str, force: bool,
                 fresh_seeds: bool) -> None:
        self.config, self.task_device, self.force = config, task_device, force
        self.fresh_seeds = fresh_seeds  # no seed given: each model its saved or a fresh one
        self.locks: dict[str, Any] = {}
        self.previous_index = read_index(models_dir)

    def release(self, run: PhotoRun) -> None:
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
        from models.output_dir import TrainingLock, prepare_output
        from models.trainer import new_model
        from singan_cli.common import cli_message
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
                say(f"{run.photo}: {note}")
            try:
                # the driver only checks and writes, on the CPU; the worker picks its device
                fresh = new_model(image, dataclasses.replace(config, device="cpu"))
            except ImageError as exc:  # the geometry does not know the file's name
                exc.path = run.photo
                raise
            run.num_scales = fresh.geometry.num_scales
            lock = TrainingLock(run.out).__enter__()
            self.locks[run.name] = lock
            # the same rules as `singan train --resume` (or --force): refuses another image or
            # changed settings, resumes a partial model, saves a new one at once
            model = prepare_output(run.out, fresh, resume=not self.force, force=self.force)
        except SinganError as exc:
            self.release(run)
            run.fail(cli_message(exc))
            run.num_trained = saved_scale_count(run.out)  # e.g. a finished model, other settings
            return None
        run.num_trained = run.resumed_from = model.num_trained
        run.scale_seconds = list(model.train_seconds)
        run.seconds = sum(run.scale_seconds)
        if model.num_trained == model.geometry.num_scales:
            run.status = "skipped"
            self._scores_of_finished(run, model)
            self.release(run)
            return None
        return read_files(run.out)

    def _scores_of_finished(self, run: PhotoRun, model: Any) -> None:
        """A skipped model keeps the scores index.json has for this very config.yaml; else it is
        scored here."""
        old = self.previous_index.get(run.name, {})
        if old.get("config_sha256") and old["config_sha256"] == config_sha256(run.out):
            run.swd, run.diversity = old.get("swd"), old.get("diversity")
            return
        from applications.evaluate import evaluate

        scores = evaluate(model, EVAL_SAMPLES)
        run.swd, run.diversity = scores["swd"], scores["diversity"]

    def apply(self, run: PhotoRun, item: dict[str, Any]) -> None:
        """Record one item a task sent; a finished scale's files are written to disk."""
        if item["kind"] == "start":
            run.node, run.host = item["node"], item["host"]
        elif item["kind"] == "scale":
            write_files(run.out, item["files"])  # atomic files, config.yaml last
            run.num_trained, run.num_scales = item["num_trained"], item["num_scales"]
            run.scale_seconds = run.scale_seconds[: run.num_trained - 1] + [item["seconds"]]
            run.seconds = sum(run.scale_seconds)
        elif item["kind"] == "scores":
            run.swd, run.diversity = item["swd"], item["diversity"]
