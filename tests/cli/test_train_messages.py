"""What `singan train` says: a refusal is one line; a resume says where it starts."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from models.config import resolve_config
from models.image_io import load_image
from models.trainer import train_scales
from singan_cli.main import app

runner = CliRunner()
QUICK = ["--max-size", "32", "--min-size", "14", "--iters", "3", "--iters-finest", "2",
         "--device", "cpu", "--seed", "0"]


def test_a_refused_out_is_one_line_and_a_resume_says_where_it_starts(tiny_image_path: Path,
                                                                     tmp_path: Path) -> None:
    out = tmp_path / "m"
    first = runner.invoke(app, ["train", str(tiny_image_path), "--out", str(out), *QUICK])
    assert first.exit_code == 0, first.stderr
    assert "training on" in first.stderr and "resuming" not in first.stderr
    again = runner.invoke(app, ["train", str(tiny_image_path), "--out", str(out), *QUICK])
    assert again.exit_code == 1
    assert again.stderr.strip().count("\n") == 0 and "already holds a model" in again.stderr
    partial = tmp_path / "partial"
    config = resolve_config("default", overrides={"max_size": 32, "min_size": 14, "iters": 3,
                                                  "iters_finest": 2, "device": "cpu", "seed": 0})
    scales = train_scales(load_image(tiny_image_path, 32), config, save_dir=partial)
    next(scales)
    next(scales)
    scales.close()  # two of three scales saved
    out = partial
    resumed = runner.invoke(app, ["train", str(tiny_image_path), "--out", str(out), *QUICK,
                                  "--resume"])
    assert resumed.exit_code == 0, resumed.stderr
    assert "(resuming at scale 2)" in resumed.stderr
