"""The application commands end to end, with bad masks and start scales."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from typer.testing import CliRunner

from singan_cli.main import app
from tests.conftest import read_png, synthetic_image

runner = CliRunner()


def run(*args: object):  # type: ignore[no-untyped-def]
    return runner.invoke(app, [str(a) for a in args])


@pytest.fixture
def pasted_and_mask(tmp_path: Path) -> tuple[Path, Path]:
    image = synthetic_image()
    image[8:16, 10:20] = (250, 10, 10)
    mask = np.zeros((48, 64), dtype=np.uint8)  # twice the size, same aspect: resized
    mask[16:32, 20:40] = 255
    Image.fromarray(image).save(tmp_path / "pasted.png")
    Image.fromarray(mask).save(tmp_path / "mask.jpg", quality=90)  # JPEG: not exactly binary
    return tmp_path / "pasted.png", tmp_path / "mask.jpg"


def test_sr_trains_saves_and_reuses(tiny_image_path: Path, tmp_path: Path) -> None:
    args = ["--iters", "3", "--iters-finest", "2", "--min-size", "16", "--device", "cpu"]
    first = run("sr", tiny_image_path, "--factor", "3", "--out", tmp_path / "x3.png",
                "--model", tmp_path / "srmodel", *args)
    assert first.exit_code == 0, first.stderr
    assert first.stdout.split() == [str(tmp_path / "x3.png")]
    assert read_png(tmp_path / "x3.png").shape == (72, 96, 3)
    assert (tmp_path / "srmodel" / "config.yaml").exists()
    second = run("sr", tiny_image_path, "--factor", "2", "--out", tmp_path / "x2.png",
                 "--model", tmp_path / "srmodel")
    assert second.exit_code == 0 and "reusing" in second.stderr
    assert read_png(tmp_path / "x2.png").shape == (48, 64, 3)


def test_paint2image(tiny_model_dir: Path, tmp_path: Path) -> None:
    Image.fromarray(synthetic_image(48, 64, seed=3)).save(tmp_path / "paint.png")
    result = run("paint2image", tiny_model_dir, tmp_path / "paint.png", "-n", "2",
                 "--out", tmp_path / "p.png")
    assert result.exit_code == 0, result.stderr
    paths = result.stdout.split()
    assert len(paths) == 2 and all(read_png(p).shape == (24, 32, 3) for p in paths)


def test_paint2image_quantize_retrain(tiny_model_dir: Path, tmp_path: Path) -> None:
    """--retrain (the paper's way: scale K from fresh weights, its whole schedule) differs from
    the fine-tune, and neither touches the model directory."""
    Image.fromarray(synthetic_image(48, 64, seed=3)).save(tmp_path / "paint.png")
    before = (tiny_model_dir / "generators.safetensors").read_bytes()
    outputs = []
    for extra in ([], ["--retrain"]):
        out = tmp_path / f"q{len(extra)}.png"
        result = run("paint2image", tiny_model_dir, tmp_path / "paint.png", "--quantize",
                     "--finetune-iters", "2", "--seed", "0", "--out", out, *extra)
        assert result.exit_code == 0, result.stderr
        outputs.append(read_png(out))
    assert outputs[0].shape == outputs[1].shape == (24, 32, 3)
    assert not np.array_equal(outputs[0], outputs[1])
    assert (tiny_model_dir / "generators.safetensors").read_bytes() == before


def test_harmonize_and_edit(tiny_model_dir: Path, pasted_and_mask: tuple[Path, Path],
                            tmp_path: Path) -> None:
    pasted, mask = pasted_and_mask
    result = run("harmonize", tiny_model_dir, pasted, "--mask", mask, "--out", tmp_path / "h.png")
    assert result.exit_code == 0, result.stderr
    assert read_png(tmp_path / "h.png").shape == (24, 32, 3)
    assert read_png(tmp_path / "h.png")[0, 0].tolist() == read_png(pasted)[0, 0].tolist()
    result = run("edit", tiny_model_dir, pasted, "--mask", mask, "--out", tmp_path / "e.png")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.split() == [str(tmp_path / "e.png"), str(tmp_path / "e_raw.png")]


def test_harmonize_finetune(tiny_model_dir: Path, pasted_and_mask: tuple[Path, Path],
                            tmp_path: Path) -> None:
    pasted, mask = pasted_and_mask
    result = run("harmonize", tiny_model_dir, pasted, "--mask", mask, "--finetune", "2",
                 "--out", tmp_path / "h.png")
    assert result.exit_code == 0, result.stderr
    assert read_png(tmp_path / "h.png").shape == (24, 32, 3)


def test_harmonize_vote_changes_only_the_region(tiny_model_dir: Path, pasted_and_mask: tuple[Path, Path],
                                                tmp_path: Path) -> None:
    """--vote 0 turns the nearest-patch vote off: the same seed then gives another region, and
    the same pixels far from it."""
    pasted, mask = pasted_and_mask
    for share, name in (("0", "off.png"), ("1", "full.png")):
        result = run("harmonize", tiny_model_dir, pasted, "--mask", mask, "--finetune", "0",
                     "--vote", share, "--seed", "0", "--out", tmp_path / name)
        assert result.exit_code == 0, result.stderr
    off, full = read_png(tmp_path / "off.png"), read_png(tmp_path / "full.png")
    assert not np.array_equal(off, full)
    assert np.array_equal(off[0], full[0])  # the top row lies outside the blended region
    assert run("harmonize", tiny_model_dir, pasted, "--mask", mask, "--vote", "1.5").exit_code == 2


def test_mask_with_another_aspect_is_refused(tiny_model_dir: Path, pasted_and_mask: tuple[Path, Path],
                                             tmp_path: Path) -> None:
    pasted, _ = pasted_and_mask
    Image.new("L", (50, 50), 255).save(tmp_path / "square.png")
    result = run("harmonize", tiny_model_dir, pasted, "--mask", tmp_path / "square.png",
                 "--out", tmp_path / "h.png")
    assert result.exit_code == 1
    assert "mask is 50x50 but the image is 32x24" in result.stderr
    assert not (tmp_path / "h.png").exists()


def test_empty_mask_is_refused(tiny_model_dir: Path, pasted_and_mask: tuple[Path, Path],
                               tmp_path: Path) -> None:
    pasted, _ = pasted_and_mask
    Image.new("L", (32, 24), 0).save(tmp_path / "black.png")
    result = run("edit", tiny_model_dir, pasted, "--mask", tmp_path / "black.png")
    assert result.exit_code == 1 and "mask is empty" in result.stderr


@pytest.mark.parametrize("command", ["harmonize", "edit", "paint2image", "animate"])
def test_out_of_range_start_scale_is_a_usage_error(tiny_model_dir: Path,
                                                   pasted_and_mask: tuple[Path, Path],
                                                   tmp_path: Path, command: str) -> None:
    pasted, mask = pasted_and_mask
    extra = {"harmonize": [pasted, "--mask", mask], "edit": [pasted, "--mask", mask],
             "paint2image": [pasted], "animate": []}[command]
    result = run(command, tiny_model_dir, *extra, "--start-scale", "3", "--out", tmp_path / "o.png")
    assert result.exit_code == 2
    assert "0..2" in result.stderr


@pytest.mark.parametrize("name", ["clip.gif", "clip.webp", "frames"])
def test_animate_formats(tiny_model_dir: Path, tmp_path: Path, name: str) -> None:
    result = run("animate", tiny_model_dir, "--out", tmp_path / name, "--frames", "5")
    assert result.exit_code == 0, result.stderr
    out = tmp_path / name
    if out.suffix:
        with Image.open(out) as im:
            assert im.n_frames == 5 and im.size == (32, 24)
            if out.suffix == ".gif":
                assert im.info.get("loop") == 0  # loops forever
    else:
        assert len(list(out.glob("frame_*.png"))) == 5


def test_animate_mp4_without_the_video_extra_says_how_to_get_it(tiny_model_dir: Path,
                                                                tmp_path: Path) -> None:
    if importlib.util.find_spec("imageio_ffmpeg") is not None:
        pytest.skip("imageio-ffmpeg is installed: MP4 works")
    result = run("animate", tiny_model_dir, "--out", tmp_path / "c.mp4", "--frames", "3")
    assert result.exit_code == 1 and "singan-cli[video]" in result.stderr
    assert not (tmp_path / "c.mp4").exists()


def test_unknown_animation_format(tiny_model_dir: Path, tmp_path: Path) -> None:
    result = run("animate", tiny_model_dir, "--out", tmp_path / "c.avi", "--frames", "3")
    assert result.exit_code == 1 and "unknown animation format" in result.stderr
