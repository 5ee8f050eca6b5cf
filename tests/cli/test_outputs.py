"""One writing rule for every command: an existing result is never replaced without --force
(refused in one line, before any work, the file kept); several results are numbered
<stem>_NNN.png after the highest number already there."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from typer.testing import CliRunner

from singan_cli.main import app
from tests.conftest import read_png, synthetic_image

runner = CliRunner()
SR_ARGS = ["--iters", "3", "--iters-finest", "2", "--min-size", "16", "--device", "cpu"]


def run(*args: object):  # type: ignore[no-untyped-def]
    return runner.invoke(app, [str(a) for a in args])


@pytest.fixture
def inputs(tmp_path: Path, tiny_image_path: Path) -> dict[str, Path]:
    image = synthetic_image()
    image[8:16, 10:20] = (250, 10, 10)
    mask = np.zeros((24, 32), dtype=np.uint8)
    mask[8:16, 10:20] = 255
    Image.fromarray(image).save(tmp_path / "pasted.png")
    Image.fromarray(mask).save(tmp_path / "mask.png")
    return {"pasted": tmp_path / "pasted.png", "mask": tmp_path / "mask.png",
            "photo": tiny_image_path}


def command(name: str, model: Path, inputs: dict[str, Path], out: Path) -> list[object]:
    """The command line of `name` writing its (first) result to `out`."""
    return {
        "animate": ["animate", model, "--frames", 3, "--out", out],
        "harmonize": ["harmonize", model, inputs["pasted"], "--mask", inputs["mask"], "--out", out],
        "edit": ["edit", model, inputs["pasted"], "--mask", inputs["mask"], "--out", out],
        "paint2image": ["paint2image", model, inputs["pasted"], "-n", 1, "--out", out],
        "sr": ["sr", inputs["photo"], "--factor", 2, "--out", out, *SR_ARGS],
        "eval": ["eval", model, "-n", 2, "--json", out],
    }[name]


OUTPUTS = {"animate": "clip.gif", "harmonize": "h.png", "edit": "e.png", "paint2image": "p.png",
           "sr": "x2.png", "eval": "scores.json"}


@pytest.mark.parametrize("name", [*OUTPUTS, "edit raw", "animate frames"])
def test_an_existing_result_is_refused_in_one_line_and_kept(
        name: str, tiny_model_dir: Path, inputs: dict[str, Path], tmp_path: Path) -> None:
    base = name.split()[0]
    out = tmp_path / ("frames" if name == "animate frames" else OUTPUTS[base])
    existing = {"edit raw": tmp_path / "e_raw.png",
                "animate frames": out / "frame_0000.png"}.get(name, out)
    existing.parent.mkdir(exist_ok=True)
    existing.write_bytes(b"earlier result")
    result = run(*command(base, tiny_model_dir, inputs, out))
    assert result.exit_code == 1, result.stderr
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "already exists" in lines[0] and "--force" in lines[0]
    assert str(existing if name == "edit raw" else out) in lines[0]
    assert existing.read_bytes() == b"earlier result"
    if name == "edit raw":
        assert not out.exists()  # nothing written when one of the two results is taken


@pytest.mark.parametrize("name", list(OUTPUTS))
def test_force_replaces_the_result(name: str, tiny_model_dir: Path, inputs: dict[str, Path],
                                   tmp_path: Path) -> None:
    out = tmp_path / OUTPUTS[name]
    out.write_bytes(b"earlier result")
    result = run(*command(name, tiny_model_dir, inputs, out), "--force")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.split()[0] == str(out)
    assert out.read_bytes() != b"earlier result"


def test_a_free_name_needs_no_force(tiny_model_dir: Path, inputs: dict[str, Path],
                                    tmp_path: Path) -> None:
    result = run(*command("paint2image", tiny_model_dir, inputs, tmp_path / "new.png"))
    assert result.exit_code == 0, result.stderr
    assert result.stdout.split() == [str(tmp_path / "new.png")]


def test_several_results_are_numbered_after_the_existing_ones(
        tiny_model_dir: Path, inputs: dict[str, Path], tmp_path: Path) -> None:
    (tmp_path / "p_002.png").write_bytes(b"earlier result")
    first = run("paint2image", tiny_model_dir, inputs["pasted"], "-n", 4, "--out", tmp_path / "p.png")
    assert first.exit_code == 0, first.stderr
    assert [Path(p).name for p in first.stdout.split()] == [f"p_00{i}.png" for i in range(3, 7)]
    assert all(read_png(p).shape == (24, 32, 3) for p in first.stdout.split())
    second = run("paint2image", tiny_model_dir, inputs["pasted"], "-n", 2, "--out", tmp_path / "p.png")
    assert [Path(p).name for p in second.stdout.split()] == ["p_007.png", "p_008.png"]
    assert (tmp_path / "p_002.png").read_bytes() == b"earlier result"
    assert not (tmp_path / "p.png").exists()

    samples = tmp_path / "s"
    samples.mkdir()
    (samples / "sample_005.png").write_bytes(b"earlier result")
    result = run("sample", tiny_model_dir, "-n", 2, "--out", samples)
    assert [Path(p).name for p in result.stdout.split()] == ["sample_006.png", "sample_007.png"]
    assert (samples / "sample_005.png").read_bytes() == b"earlier result"


def test_animate_force_over_a_longer_clip_of_frames(tiny_model_dir: Path, tmp_path: Path) -> None:
    frames = tmp_path / "frames"
    assert run("animate", tiny_model_dir, "--frames", 4, "--out", frames).exit_code == 0
    again = run("animate", tiny_model_dir, "--frames", 2, "--out", frames, "--force")
    assert again.exit_code == 0, again.stderr
    assert sorted(p.name for p in frames.iterdir()) == ["frame_0000.png", "frame_0001.png"]
