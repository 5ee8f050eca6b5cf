"""What happened to each photo of a `singan train-many` run, and MODELS_DIR/index.json.

    runs = [PhotoRun(photo, name, models / name)]; ...; write_index(models, runs)

index.json holds the rows of the final table, plus the sha256 of a finished model's config.yaml,
so that a rerun that skips the model can reuse its scores (`read_index`, `config_sha256`).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

INDEX_FILE = "index.json"


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

    def fail(self, message: str) -> None:
        self.status, self.error = "failed", message

    def entry(self) -> dict[str, Any]:
        """This photo's row of index.json (and of the table)."""
        return {"name": self.name, "photo": str(self.photo), "model": str(self.out),
                "status": self.status, "scales": self.num_trained, "num_scales": self.num_scales,
                "seconds": round(self.seconds, 2), "swd": self.swd, "diversity": self.diversity,
                "seed": self.seed, "attempts": self.attempts, "error": self.error,
                "note": self.note}


def config_sha256(model_dir: Path) -> str | None:
    """The sha256 of the model's config.yaml; None when it cannot be read."""
    from models.checkpoint import CONFIG_FILE

    try:
        return hashlib.sha256((model_dir / CONFIG_FILE).read_bytes()).hexdigest()
    except OSError:
        return None


def read_index(models_dir: Path) -> dict[str, dict[str, Any]]:
    """The rows of MODELS_DIR/index.json by model name; none when it is missing or unreadable."""
    try:
        entries = json.loads((models_dir / INDEX_FILE).read_text(encoding="utf-8"))["photos"]
        return {e["name"]: e for e in entries if isinstance(e, dict) and "name" in e}
    except (OSError, ValueError, KeyError, TypeError):
        return {}


def write_index(models_dir: Path, runs: Sequence[PhotoRun]) -> None:
    """MODELS_DIR/index.json: the table's rows (plus what lets a rerun reuse the scores)."""
    from models.image_io import atomic_write

    rows = []
    for run in runs:
        row = run.entry()
        if run.status in ("trained", "resumed", "skipped"):
            row["config_sha256"] = config_sha256(run.out)
        rows.append(row)
    text = json.dumps({"models_dir": str(models_dir), "photos": rows}, indent=2)
    atomic_write(models_dir / INDEX_FILE, lambda tmp: tmp.write_text(text + "\n"))
