"""End-to-end: the `singan` commands as a user runs them, exit codes and messages."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from typer.testing import CliRunner

import models
import singan_cli
from singan_cli.main import app
from tests.conftest import TINY_FLAGS, read_png

runner = CliRunner()
TINY_ARGS = [item for key, value in TINY_FLAGS.items()
             for item in (f"--{key.replace('_', '-')}", str(value))] + ["--device", "cpu"]


def run(*args: str):  # type: ignore[no-untyped-def]
    return runner.invoke(app, [str(a) for a in args])


def test_models_package_is_ours_not_a_user_folder() -> None:
    assert Path(models.__file__).parent.parent == Path(singan_cli.__file__).parent.parent


def test_version_and_module_help() -> None:
    result = run("--version")
    assert result.exit_code == 0 and result.stdout.startswith("singan ")
    help_run = subprocess.run([sys.executable, "-m", "singan_cli", "--help"], capture_output=True,
                              text=True, check=False)
    assert help_run.returncode == 0
    for command in ("train", "sample", "info"):
        assert command in help_run.stdout


def test_no_arguments_shows_help_with_usage_exit_code() -> None:
    assert run().exit_code == 2


def test_train_sample_info_end_to_end(tiny_image_path: Path, tmp_path: Path) -> None:
    out = tmp_path / "model"
    result = run("train", tiny_image_path, "--out", out, *TINY_ARGS, "--iters", "4",
                 "--iters-finest", "2")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.strip() == str(out)  # stdout carries only the result path
    assert (out / "config.yaml").exists() and (out / "previews" / "scale_02.png").exists()

    samples = run("sample", out, "-n", "3", "--out", tmp_path / "s", "--seed", "4",
                  "--scale-h", "2", "--scale-v", "0.5")
    assert samples.exit_code == 0, samples.stderr
    paths = [Path(p) for p in samples.stdout.split()]
    assert [p.name for p in paths] == ["sample_000.png", "sample_001.png", "sample_002.png"]
    assert all(read_png(p).shape == (12, 64, 3) for p in paths)

    again = run("sample", out, "-n", "1", "--out", tmp_path / "s", "--seed", "4",
                "--scale-h", "2", "--scale-v", "0.5")
    assert again.stdout.split() == [str(tmp_path / "s" / "sample_003.png")]  # never overwrites
    assert np.array_equal(read_png(paths[0]), read_png(tmp_path / "s" / "sample_003.png"))

    info = run("info", out)
    assert info.exit_code == 0
    for text in ("24", "32", "coarsest", "finest", "complete", "noise amp"):
        assert text in info.stdout


def test_train_refuses_to_overwrite_a_model(tiny_model_dir: Path, tiny_image_path: Path,
                                            tmp_path: Path) -> None:
    copy = tmp_path / "m"
    shutil.copytree(tiny_model_dir, copy)
    before = (copy / "generators.safetensors").read_bytes()
    result = run("train", tiny_image_path, "--out", copy, *TINY_ARGS)
    assert result.exit_code == 1
    assert "already holds a model; use --resume" in result.stderr
    assert (copy / "generators.safetensors").read_bytes() == before


def test_resume_with_other_settings_is_refused(tiny_model_dir: Path, tiny_image_path: Path,
                                              tmp_path: Path) -> None:
    copy = tmp_path / "m"
    shutil.copytree(tiny_model_dir, copy)
    result = run("train", tiny_image_path, "--out", copy, *TINY_ARGS, "--iters", "99", "--resume")
    assert result.exit_code == 1
    assert "config differs" in result.stderr and "iters: 40 -> 99" in result.stderr


def test_dry_run_prints_the_plan_and_writes_nothing(tiny_image_path: Path, tmp_path: Path) -> None:
    result = run("train", tiny_image_path, "--out", tmp_path / "m", *TINY_ARGS, "--dry-run")
    assert result.exit_code == 0
    assert "scale 0: 19x14" in result.stderr and "scale 2: 32x24" in result.stderr
    assert not (tmp_path / "m").exists()


@pytest.mark.parametrize("content,message", [
    (None, "file not found"),
    (b"", "not an image file"),
    (b"definitely not a picture", "not an image file"),
])
def test_train_bad_image_files(tmp_path: Path, content: bytes | None, message: str) -> None:
    path = tmp_path / "photo.png"
    if content is not None:
        path.write_bytes(content)
    result = run("train", path, "--out", tmp_path / "m", *TINY_ARGS)
    assert result.exit_code == 1
    assert str(path) in result.stderr and message in result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_train_truncated_image(tmp_path: Path) -> None:
    path = tmp_path / "cut.jpg"
    Image.new("RGB", (64, 64), (200, 10, 10)).save(path, quality=95)
    path.write_bytes(path.read_bytes()[:300])
    result = run("train", path, "--out", tmp_path / "m", *TINY_ARGS)
    assert result.exit_code == 1 and "damaged or truncated" in result.stderr


def test_train_tiny_image_names_the_minimum(tmp_path: Path) -> None:
    path = tmp_path / "small.png"
    Image.new("RGB", (10, 8)).save(path)
    result = run("train", path, "--out", tmp_path / "m", *TINY_ARGS)
    assert result.exit_code == 1
    assert "at least min_size = 14 px" in result.stderr and str(path) in result.stderr


def test_train_bad_config_file(tiny_image_path: Path, tmp_path: Path) -> None:
    cfg = tmp_path / "cfg.yaml"
    cfg.write_text("itres: 5\n")
    result = run("train", tiny_image_path, "--config", cfg, "--out", tmp_path / "m")
    assert result.exit_code == 1 and "unknown key 'itres'" in result.stderr


def test_usage_errors_exit_2(tiny_model_dir: Path, tmp_path: Path) -> None:
    assert run("train").exit_code == 2
    assert run("sample", tiny_model_dir, "-n", "0").exit_code == 2
    result = run("sample", tiny_model_dir, "--start-scale", "5", "--out", tmp_path / "s")
    assert result.exit_code == 2
    assert "out of range" in result.stderr and "0..2" in result.stderr
    assert not (tmp_path / "s").exists()


def test_sample_from_missing_or_foreign_directory(tmp_path: Path) -> None:
    result = run("sample", tmp_path / "none", "--out", tmp_path / "s")
    assert result.exit_code == 1 and "model directory not found" in result.stderr
    result = run("info", tmp_path)
    assert result.exit_code == 1 and "config.yaml is missing" in result.stderr


def test_sample_a_photo_without_training(tiny_image_path: Path, tmp_path: Path) -> None:
    result = run("sample", tiny_image_path, "-n", "2", "--seed", "3", "--out", tmp_path / "s",
                 "--device", "cpu")
    assert result.exit_code == 0, result.stderr
    paths = [Path(line) for line in result.stdout.split()]
    assert [p.name for p in paths] == ["sample_000.png", "sample_001.png"]
    first, second = (read_png(p) for p in paths)
    assert first.shape == read_png(tiny_image_path).shape and not np.array_equal(first, second)
    again = run("sample", tiny_image_path, "-n", "1", "--seed", "3", "--out", tmp_path / "t",
                "--device", "cpu")
    assert np.array_equal(read_png(Path(again.stdout.strip())), first)
    tiny = tmp_path / "tiny.png"
    Image.new("RGB", (12, 10)).save(tiny)
    refused = run("sample", tiny, "--out", tmp_path / "u")
    assert refused.exit_code == 1 and str(tiny) in refused.stderr and "min_size = 16 px" in refused.stderr
    assert "--min-size" not in refused.stderr  # sample has no such flag


def test_sample_with_patch_scales(tiny_model_dir: Path, tiny_image_path: Path, tmp_path: Path) -> None:
    result = run("sample", tiny_model_dir, "-n", "1", "--seed", "0", "--patch-scales", "2",
                 "--out", tmp_path / "s")
    assert result.exit_code == 0, result.stderr
    plain = run("sample", tiny_model_dir, "-n", "1", "--seed", "0", "--out", tmp_path / "t")
    varied, alone = read_png(Path(result.stdout.strip())), read_png(Path(plain.stdout.strip()))
    assert varied.shape == alone.shape and not np.array_equal(varied, alone)
    refused = run("sample", tiny_model_dir, "--patch-scales", "2", "--start-scale", "1",
                  "--out", tmp_path / "u")
    assert refused.exit_code == 2 and "use one or the other" in refused.stderr
    refused = run("sample", tiny_model_dir, "--patch-scales", "4", "--out", tmp_path / "u")
    assert refused.exit_code == 2 and "patch scales 4 is out of range" in refused.stderr
    refused = run("sample", tiny_image_path, "--patch-scales", "2", "--out", tmp_path / "u")
    assert refused.exit_code == 2 and str(tiny_image_path) in refused.stderr
    assert "--patch-scales needs a trained model directory" in refused.stderr
    assert not (tmp_path / "u").exists()
    scored = run("eval", tiny_model_dir, "-n", "2", "--seed", "0", "--patch-scales", "2",
                 "--json", "-")
    alone = run("eval", tiny_model_dir, "-n", "2", "--seed", "0", "--json", "-")
    assert scored.exit_code == 0, scored.stderr
    assert json.loads(scored.stdout)["swd"] != json.loads(alone.stdout)["swd"]
    refused = run("eval", tiny_image_path, "-n", "2", "--patch-scales", "2")
    assert refused.exit_code == 2 and "--patch-scales needs a trained model" in refused.stderr


def test_debug_env_shows_the_traceback(tmp_path: Path) -> None:
    result = runner.invoke(app, ["info", str(tmp_path / "none")], env={"SINGAN_DEBUG": "1"})
    assert result.exit_code == 1 and result.exception is not None
    assert type(result.exception).__name__ == "ModelDirError"


def test_interrupted_training_keeps_finished_scales_and_resumes(
        tiny_image_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from models import trainer

    original_step = trainer.ScaleTrainer.step

    def step_until_scale_1(self):  # type: ignore[no-untyped-def]
        if self.scale == 1:
            raise KeyboardInterrupt  # what Ctrl-C does in the middle of scale 1
        return original_step(self)

    out = tmp_path / "m"
    args = ["train", tiny_image_path, "--out", out, *TINY_ARGS, "--iters", "3", "--iters-finest", "2"]
    monkeypatch.setattr(trainer.ScaleTrainer, "step", step_until_scale_1)
    stopped = run(*args)
    assert stopped.exit_code == 1
    assert "interrupted; 1 of 3 scales are saved" in stopped.stderr and "--resume" in stopped.stderr
    assert "PARTIAL: 1 of 3" in run("info", out).stdout

    monkeypatch.setattr(trainer.ScaleTrainer, "step", original_step)
    resumed = run(*args, "--resume")
    assert resumed.exit_code == 0, resumed.stderr
    assert "complete" in run("info", out).stdout


def test_eval_prints_a_table_and_writes_json(tiny_model_dir: Path, tmp_path: Path) -> None:
    import json

    result = run("eval", tiny_model_dir, "-n", "3", "--json", tmp_path / "s.json")
    assert result.exit_code == 0, result.stderr
    assert "swd" in result.stderr and "diversity" in result.stderr  # stdout: the JSON's path
    scores = json.loads((tmp_path / "s.json").read_text())
    assert scores["samples"] == 3 and scores["swd"] > 0


def test_eval_of_a_photo_scores_its_training_free_samples(tiny_image_path: Path) -> None:
    import json

    result = run("eval", tiny_image_path, "-n", "2", "--seed", "0", "--json", "-", "--device", "cpu")
    assert result.exit_code == 0, result.stderr
    scores = json.loads(result.stdout)
    assert scores["samples"] == 2 and scores["swd"] > 0 and scores["diversity"] > 0
    missing = run("eval", tiny_image_path.with_name("none.png"), "-n", "2")
    assert missing.exit_code == 1 and "none.png: no such photo" in missing.stderr


def test_nan_loss_stops_with_a_message_and_keeps_finished_scales(
        tiny_image_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import torch

    from models import trainer

    real_loss = trainer.generator_loss

    def nan_at_scale_1(kind, scores):  # type: ignore[no-untyped-def]
        loss = real_loss(kind, scores)
        return loss * torch.nan if scores.shape[-1] > 9 else loss  # scale 0 scores are 9 wide

    monkeypatch.setattr(trainer, "generator_loss", nan_at_scale_1)
    out = tmp_path / "m"
    result = run("train", tiny_image_path, "--out", out, *TINY_ARGS, "--iters", "3",
                 "--iters-finest", "2")
    assert result.exit_code == 1
    assert "diverged at scale 1" in result.stderr and "finished scales are kept" in result.stderr
    assert "PARTIAL: 1 of 3" in run("info", out).stdout


def test_unwritable_output_is_reported_before_training(tiny_image_path: Path, tmp_path: Path) -> None:
    blocker = tmp_path / "file.txt"
    blocker.write_text("x")
    result = run("train", tiny_image_path, "--out", blocker / "model", *TINY_ARGS)
    assert result.exit_code == 1 and "cannot write here" in result.stderr


def test_full_disk_is_reported_before_training(tiny_image_path: Path, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    import shutil as shutil_module
    from collections import namedtuple

    usage = namedtuple("usage", "total used free")
    monkeypatch.setattr(shutil_module, "disk_usage", lambda path: usage(10**9, 10**9 - 1000, 1000))
    result = run("train", tiny_image_path, "--out", tmp_path / "m", *TINY_ARGS)
    assert result.exit_code == 1 and "MB free on this disk" in result.stderr
    assert not (tmp_path / "m" / "config.yaml").exists()


def test_max_size_that_does_not_fit_in_memory_names_one_that_does(
        tiny_image_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from models import memory

    monkeypatch.setattr(memory, "available_memory_bytes", lambda: memory.TORCH_BASE_BYTES + 9_000_000)
    result = run("train", tiny_image_path, "--out", tmp_path / "m", *TINY_ARGS)
    assert result.exit_code == 2
    assert "max_size 32 needs about" in result.stderr and "use --max-size" in result.stderr
    # with less memory than the smallest size --min-size allows, it says so instead of advising
    # a size that would then be refused for being below --min-size
    monkeypatch.setattr(memory, "available_memory_bytes", lambda: memory.TORCH_BASE_BYTES + 1_000_000)
    result = run("train", tiny_image_path, "--out", tmp_path / "m", *TINY_ARGS)
    assert result.exit_code == 2
    assert "lower --min-size" in result.stderr and "use --max-size" not in result.stderr


def test_sample_into_an_unusable_folder(tiny_model_dir: Path, tmp_path: Path) -> None:
    (tmp_path / "f").write_text("x")
    result = run("sample", tiny_model_dir, "--out", tmp_path / "f" / "s")
    assert result.exit_code == 1 and "cannot create the output folder" in result.stderr


def test_python_m_ignores_a_models_folder_in_the_working_directory(tmp_path: Path) -> None:
    shadow = tmp_path / "models"
    shadow.mkdir()
    (shadow / "__init__.py").write_text('raise SystemExit("imported the user folder")\n')
    result = subprocess.run([sys.executable, "-m", "singan_cli", "--version"], cwd=tmp_path,
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0 and result.stdout.startswith("singan "), result.stderr
