"""A model directory as name -> bytes: how the train-many driver and its tasks exchange one.

    files = read_files(Path("models/cat")); write_files(Path("/tmp/cat"), files)

No shared filesystem is needed: the driver sends a (possibly partial) model directory with the
task, the task sends back the files each finished scale changed. Writing refuses names that could
land outside the directory, and writes config.yaml last so that the directory always loads.
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath

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
