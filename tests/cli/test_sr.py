"""`singan sr` does what it says: an SR model directory is reused only for what it was made
from, a partial one is continued, --max-size trains on a smaller copy, and an interrupted run
prints a command that continues it."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
from PIL import Image
from typer.testing import CliRunner

from singan_cli.main import app
from tests.conftest import read_png, synthetic_image

runner = CliRunner()
FLAGS = ["--iters", "3", "--iters-finest", "2", "--min-size", "16", "--device", "cpu"]


def run(*args: object):  # type: ignore[no-untyped-def]
    return runner.invoke(app, [str(a) for a in args])


@pytest.fixture(scope="module")
def sr_model(tmp_path_factory: pytest.TempPathFactory, tiny_image_path: Path) -> Path:
    """An SR model of the tiny image (tests must not modify it)."""
    model = tmp_path_factory.mktemp("sr") / "model"
    result = run("sr", tiny_image_path, "--factor", 2, "--out", model.parent / "x2.png",
                 "--model", model, *FLAGS)
    assert result.exit_code == 0, result.stderr
    return model


def one_line_error(result) -> str:  # type: ignore[no-untyped-def]
    assert result.exit_code == 1, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    return lines[0]


def test_the_sr_model_records_what_it_was_made_from(sr_model: Path) -> None:
    record = (sr_model / "sr.yaml").read_text()
    assert "sha256" in record and "rec_weight: 100.0" in record and "iters: 3" in record


def test_an_sr_model_is_reused_for_its_image_with_its_settings(
        sr_model: Path, tiny_image_path: Path, tmp_path: Path) -> None:
    before = (sr_model / "generators.safetensors").read_bytes()
    result = run("sr", tiny_image_path, "--factor", 3, "--out", tmp_path / "x3.png",
                 "--model", sr_model, "--seed", 5)  # no training flags: the saved ones
    assert result.exit_code == 0, result.stderr
    assert "reusing" in result.stderr
    assert read_png(tmp_path / "x3.png").shape == (72, 96, 3)
    assert (sr_model / "generators.safetensors").read_bytes() == before


def test_an_sr_model_of_another_image_is_refused(sr_model: Path, tmp_path: Path) -> None:
    Image.fromarray(synthetic_image(seed=1)).save(tmp_path / "other.png")
    line = one_line_error(run("sr", tmp_path / "other.png", "--out", tmp_path / "o.png",
                              "--model", sr_model))
    assert "made from another image" in line and str(tmp_path / "other.png") in line
    assert not (tmp_path / "o.png").exists()


def test_other_settings_are_refused_naming_them(sr_model: Path, tiny_image_path: Path,
                                                tmp_path: Path) -> None:
    line = one_line_error(run("sr", tiny_image_path, "--out", tmp_path / "o.png", "--model",
                              sr_model, "--iters", 5, "--rec-weight", 50))
    assert "iters: 3 -> 5" in line and "rec_weight: 100.0 -> 50.0" in line
    line = one_line_error(run("sr", tiny_image_path, "--out", tmp_path / "o.png", "--model",
                              sr_model, "--preset", "paper"))
    assert "other settings" in line


def test_a_model_that_train_made_is_refused(tiny_model_dir: Path, tiny_image_path: Path,
                                            tmp_path: Path) -> None:
    line = one_line_error(run("sr", tiny_image_path, "--out", tmp_path / "o.png", "--model",
                              tiny_model_dir))
    assert "not an SR model" in line and str(tiny_model_dir) in line


def test_a_damaged_record_is_one_line(sr_model: Path, tiny_image_path: Path, tmp_path: Path) -> None:
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(sr_model, copy)
    (copy / "sr.yaml").write_text("just text\n")
    line = one_line_error(run("sr", tiny_image_path, "--out", tmp_path / "o.png", "--model", copy))
    assert "sr.yaml: not an SR record" in line


def last_line(result) -> str:  # type: ignore[no-untyped-def]
    """The error an interrupted run ends with (after its progress lines)."""
    assert result.exit_code == 1, result.stderr
    return result.stderr.strip().splitlines()[-1]


def interrupt_at_scale_1(monkeypatch: pytest.MonkeyPatch) -> None:
    from models import trainer

    original_step = trainer.ScaleTrainer.step

    def step(self):  # type: ignore[no-untyped-def]
        if self.scale == 1:
            raise KeyboardInterrupt  # what Ctrl-C does in the middle of scale 1
        return original_step(self)

    monkeypatch.setattr(trainer.ScaleTrainer, "step", step)


def hinted_command(stderr: str) -> list[str]:
    """The `singan sr ...` command an interrupted run printed, as arguments for the app."""
    match = re.search(r"(singan sr .*)$", stderr.strip())
    assert match, stderr
    words = shlex.split(match.group(1))
    assert words[:2] == ["singan", "sr"]
    return words[1:]


def test_an_interrupted_sr_prints_a_command_that_continues_it(
        tiny_image_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    model = tmp_path / "srm"
    out = tmp_path / "big.png"
    with monkeypatch.context() as patch:
        interrupt_at_scale_1(patch)
        stopped = run("sr", tiny_image_path, "--factor", 2, "--out", out, "--model", model, *FLAGS)
    assert "1 finished scales are saved" in last_line(stopped)
    assert "Continue with: singan sr" in last_line(stopped)
    assert not out.exists() and "PARTIAL: 1 of" in run("info", model).stdout
    first_scale = (model / "previews" / "scale_00.png").read_bytes()

    resumed = runner.invoke(app, hinted_command(stopped.stderr))
    assert resumed.exit_code == 0, resumed.stderr
    assert resumed.stdout.split() == [str(out)]
    assert read_png(out).shape == (48, 64, 3)
    assert "complete" in run("info", model).stdout
    assert (model / "previews" / "scale_00.png").read_bytes() == first_scale  # not retrained


def test_an_interrupted_sr_without_model_says_how_to_keep_it(
        tiny_image_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    image = tmp_path / "photo.png"
    image.write_bytes(tiny_image_path.read_bytes())
    with monkeypatch.context() as patch:
        interrupt_at_scale_1(patch)
        stopped = run("sr", image, "--factor", 2, "--out", tmp_path / "big.png", "--preset",
                      "default", *FLAGS)
    assert "nothing was kept (no --model)" in last_line(stopped)
    command = hinted_command(stopped.stderr)
    assert "--model" in command and "--preset" in command and "--iters" in command
    again = runner.invoke(app, command)
    assert again.exit_code == 0, again.stderr
    assert (tmp_path / "photo-sr-model" / "sr.yaml").exists()


def test_max_size_trains_on_a_smaller_copy_and_enlarges_the_whole_image(
        tiny_image_path: Path, tmp_path: Path) -> None:
    from models.checkpoint import load_model

    result = run("sr", tiny_image_path, "--factor", 2, "--out", tmp_path / "x2.png", "--model",
                 tmp_path / "m", "--max-size", 24, *FLAGS)
    assert result.exit_code == 0, result.stderr
    assert max(load_model(tmp_path / "m").geometry.sizes[-1]) == 24
    assert read_png(tmp_path / "x2.png").shape == (48, 64, 3)


def test_the_memory_advice_for_sr_works(tiny_image_path: Path, tmp_path: Path,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    from models import memory

    monkeypatch.setattr(memory, "available_memory_bytes",
                        lambda: memory.TORCH_BASE_BYTES + 10_000_000)
    refused = run("sr", tiny_image_path, "--factor", 2, "--out", tmp_path / "x2.png",
                  "--model", tmp_path / "m", *FLAGS)
    assert refused.exit_code == 2, refused.stderr
    assert not (tmp_path / "m").exists()  # nothing written before the check
    size = re.search(r"use --max-size (\d+)", refused.stderr).group(1)  # type: ignore[union-attr]
    advised = run("sr", tiny_image_path, "--factor", 2, "--out", tmp_path / "x2.png",
                  "--model", tmp_path / "m", "--max-size", size, *FLAGS)
    assert advised.exit_code == 0, advised.stderr
    assert read_png(tmp_path / "x2.png").shape == (48, 64, 3)  # still the whole image, enlarged
