"""What one `singan train-many` task runs on a worker, and the model-directory shipping it needs.

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
from pathlib import Path, PurePosixPath
from typing import Any

CONFIG_NAME = "config.yaml"  # written last: the file that says which scales are finished


def _skipped(relative: PurePosixPath) -> bool:
    # .lock, atomic_write's temp files and other hidden files are not part of a model
    return any(part.startswith(".") for part in relative.parts)


def read_files(directory: Path) -> dict[str, bytes]:
    """Every file under `directory` (recursively, hidden ones left out) as posix name -> bytes."""
    directory = Path(directory)
    files: dict[str, bytes] = {}
    for path in sorted(directory.rglob("*")):
        relative = PurePosixPath(path.relative_to(directory).as_posix())
        if path.is_file() and not _skipped(relative):
            files[str(relative)] = path.read_bytes()
    return files


def safe_name(name: str) -> PurePosixPath:
    """A file name from the other side, refused if it could land outside the model directory."""
    relative = PurePosixPath(name)
    if relative.is_absolute() or not relative.parts or ".." in relative.parts or _skipped(relative):
        raise ValueError(f"refusing to write {name!r}: not a plain path inside a model directory")
    return relative


def write_files(directory: Path, files: dict[str, bytes]) -> None:
    """Write name -> bytes under `directory`, each file atomically and config.yaml last, so the
    directory loads after every call (config.yaml lists only scales whose weights are there)."""
    from models.image_io import atomic_write

    order = sorted(files, key=lambda name: (name == CONFIG_NAME, name))
    for name in order:
        data = files[name]
        atomic_write(Path(directory) / safe_name(name), lambda tmp, data=data: tmp.write_bytes(data))


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
            with z_rec and image.png, as `models.resume.prepare_output` leaves a new one).
        config: TrainConfig.to_dict() of the run; must match the saved one (device aside).
        cpus: the CPUs Ray gave this task (torch uses that many threads).
        shown_dir: the driver's path of the directory, put in error messages instead of the
            worker's temp folder.
    Yields:
        {"kind": "start", "node", "host"}, then per finished scale {"kind": "scale",
        "num_trained", "num_scales", "seconds" (of that scale), "files" (the changed ones)},
        then {"kind": "scores", "swd", "diversity"} (applications.evaluate, 4 samples).
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
            scores = evaluate(model, 4)
        except SinganError as exc:
            if shown_dir is None:
                raise
            raise type(exc)(str(exc).replace(str(out), shown_dir)) from None
    yield {"kind": "scores", "swd": scores["swd"], "diversity": scores["diversity"]}
