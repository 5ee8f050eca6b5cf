"""The studio's workspace: one folder that holds everything the page writes.

    ws = Workspace(Path("singan-studio"), extra_models=[Path("model/")])
    ws.model_dir("rocket")     # singan-studio/models/rocket/ (a CLI model directory)
    ws.result_paths("sample", 4)

Layout: models/<name>/ (the same model directories `singan train` writes), sr-models/ (the
models super-resolution trains on its input), uploads/ (uploads re-encoded as PNG under
numbered names), results/ (every output image), cache/ (Gradio's own upload cache, and
pictures/: the images the page shows, named by their content). File names are always chosen
here: an upload's name never becomes a path.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from models.errors import UsageError

MODEL_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")


@dataclass
class Workspace:
    """Paths of the studio's folder; `extra_models` are model directories named on the command line."""

    root: Path
    extra_models: list[Path] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.root = Path(self.root).resolve()
        self.extra_models = [Path(p).resolve() for p in self.extra_models]

    @property
    def models(self) -> Path:
        return self.root / "models"

    @property
    def uploads(self) -> Path:
        return self.root / "uploads"

    @property
    def results(self) -> Path:
        return self.root / "results"

    @property
    def cache(self) -> Path:
        return self.root / "cache"

    def create(self) -> None:
        """Make the folders (OutputError-free: a failure here is reported by the command)."""
        for folder in (self.models, self.uploads, self.results, self.cache):
            folder.mkdir(parents=True, exist_ok=True)

    def model_dir(self, name: str) -> Path:
        """models/<name>/ for a name typed in the page (letters, digits, - _ . ; no paths)."""
        name = name.strip()
        if not MODEL_NAME.fullmatch(name) or name.endswith("."):
            raise UsageError(f"model name {name!r}: use 1-64 letters, digits, '-', '_' or '.' "
                             f"(no slashes), starting with a letter or digit")
        return self.models / name

    def next_model_name(self, stem: str = "model") -> str:
        """The first free models/<stem>-NNN name."""
        index = 1
        while (self.models / f"{stem}-{index:03d}").exists():
            index += 1
        return f"{stem}-{index:03d}"

    def list_models(self) -> list[tuple[str, str]]:
        """(label, path) of every model directory: the workspace's by name, then the command
        line's by path. A folder counts once it has a config.yaml (a training in progress too)."""
        from models.checkpoint import CONFIG_FILE

        found: list[tuple[str, str]] = []
        if self.models.is_dir():
            for folder in sorted(self.models.iterdir()):
                if (folder / CONFIG_FILE).is_file():
                    found.append((folder.name, str(folder)))
        known = {path for _, path in found}
        for folder in self.extra_models:
            if str(folder) not in known:
                found.append((str(folder), str(folder)))
        return found

    def allows(self, path: Path) -> bool:
        """Whether `path` is a model the page may open (inside the workspace or named on the
        command line): a path sent back by the browser is never trusted by itself."""
        path = Path(path).resolve()
        return path.is_relative_to(self.models) or path in self.extra_models

    def result_paths(self, stem: str, count: int, suffix: str = ".png") -> list[Path]:
        """`count` new results/<stem>_NNN<suffix> paths (existing results are never overwritten)."""
        from singan_cli.common import next_free_paths

        return next_free_paths(self.results, stem, suffix, count)

    def upload_path(self) -> Path:
        """A new uploads/upload_NNN.png path."""
        from singan_cli.common import next_free_paths

        return next_free_paths(self.uploads, "upload", ".png", 1)[0]

    def picture(self, array: np.ndarray) -> Path:
        """cache/pictures/<content hash>.png holding `array` (HxWx3 or HxWx4 uint8), written once.

        The page is handed this path, never the array: Gradio writes an array into its cache
        in place under a name made of its content, so one picture shown twice (the blank layer
        of three editors, the model's image in two) was rewritten while the browser read it.
        """
        from models.image_io import save_image

        array = np.ascontiguousarray(array, dtype=np.uint8)
        digest = hashlib.sha256(repr(array.shape).encode() + array.tobytes()).hexdigest()[:32]
        path = self.cache / "pictures" / f"{digest}.png"
        return path if path.is_file() else save_image(array, path)
