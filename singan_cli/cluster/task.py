"""What one `singan train-many` task runs on a worker.

    for item in train_photo("cat", files, config.to_dict(), cpus=1): ...   # as a Ray task

The driver sends the files of a (possibly partial) model directory (name -> bytes; image.png in it
is the photo as used); the task recreates the directory in a temp folder, resumes it with the same
trainer as `singan train` (`models.trainer.train_scales`), and after each finished scale yields
the files that changed. The driver is the only writer of the real model directories. Nothing here
imports Ray: the driver wraps `train_photo` with `ray.remote`, and tests can call it directly.
"""

from __future__ import annotations

import hashlib
import socket
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from singan_cli.cluster.shipping import read_files, write_files

EVAL_SAMPLES = 4  # samples scored per model (applications.evaluate), as `singan eval -n 4`


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _node() -> str:
    """The Ray node id when running as a Ray task, else the host name."""
    try:
        import ray

        if ray.is_initialized():
            return ray.get_runtime_context().get_node_id()
    except ImportError:
        pass
    return socket.gethostname()


def train_photo(name: str, files: dict[str, bytes], config: dict[str, Any], cpus: float = 1,
                shown_dir: str | None = None) -> Iterator[dict[str, Any]]:
    """Train the model directory `files` to its last scale; a generator of plain dicts.

    Args:
        name: the model directory's name (MODELS_DIR/<name> on the driver).
        files: the driver's model directory, name -> bytes (at least config.yaml, the weights
            with z_rec and image.png, as `models.output_dir.prepare_output` leaves a new one).
        config: TrainConfig.to_dict() of the run; must match the saved one (device aside).
        cpus: the CPUs Ray gave this task (torch uses that many threads).
        shown_dir: the driver's path of the directory, put in error messages instead of the
            worker's temp folder.
    Yields:
        {"kind": "start", "node", "host"}, then per finished scale {"kind": "scale",
        "num_trained", "num_scales", "seconds" (of that scale), "files" (the changed ones)},
        then {"kind": "scores", "swd", "diversity"} (applications.evaluate, EVAL_SAMPLES samples).
    Raises:
        SinganError (its message naming `shown_dir`) for a model that cannot be trained.
    """
    import torch

    from applications.evaluate import evaluate
    from models.checkpoint import IMAGE_FILE
    from models.config import config_from_dict, validate
    from models.errors import SinganError
    from models.image_io import load_image
    from models.trainer import train_scales

    torch.set_num_threads(max(1, int(cpus)))  # Ray's CPU share, not the whole machine
    yield {"kind": "start", "node": _node(), "host": socket.gethostname()}
    with tempfile.TemporaryDirectory(prefix="singan-task-") as tmp:
        out = Path(tmp) / name
        try:
            cfg = validate(config_from_dict(config, source="train-many config"))
            write_files(out, files)
            sent = {n: _digest(data) for n, data in files.items()}
            image = load_image(out / IMAGE_FILE, cfg.max_size)
            scales = train_scales(image, cfg, save_dir=out, resume=True)
            while True:
                try:
                    model = next(scales)
                except StopIteration as done:
                    model = done.value  # also when no scale was left to train
                    break
                now = read_files(out)
                changed = {n: data for n, data in now.items() if sent.get(n) != _digest(data)}
                sent.update({n: _digest(data) for n, data in changed.items()})
                yield {"kind": "scale", "num_trained": model.num_trained,
                       "num_scales": model.geometry.num_scales,
                       "seconds": float(model.train_seconds[-1]), "files": changed}
            scores = evaluate(model, EVAL_SAMPLES)
        except SinganError as exc:
            if shown_dir is not None and exc.path is not None and Path(exc.path).is_relative_to(out):
                exc.path = Path(shown_dir) / Path(exc.path).relative_to(out)  # the driver's path
            raise
    yield {"kind": "scores", "swd": scores["swd"], "diversity": scores["diversity"]}
