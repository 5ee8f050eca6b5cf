"""--device on every command that runs a model: the plumbing on the CPU here, and the real thing
on a CUDA GPU (tests marked `gpu`, skipped without one: `pytest -m gpu` on a GPU machine)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from typer.testing import CliRunner

from singan_cli.main import app
from tests.conftest import read_png, synthetic_image

runner = CliRunner()
SR_ARGS = ["--iters", "3", "--iters-finest", "2", "--min-size", "16"]
needs_cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA GPU here")


def run(*args: object):  # type: ignore[no-untyped-def]
    return runner.invoke(app, [str(a) for a in args])


@pytest.fixture
def inputs(tmp_path: Path) -> dict[str, Path]:
    image = synthetic_image()
    image[8:16, 10:20] = (250, 10, 10)
    mask = np.zeros((24, 32), dtype=np.uint8)
    mask[8:16, 10:20] = 255
    Image.fromarray(image).save(tmp_path / "in.png")
    Image.fromarray(mask).save(tmp_path / "mask.png")
    return {"image": tmp_path / "in.png", "mask": tmp_path / "mask.png"}


def command(name: str, model: Path, inputs: dict[str, Path], out: Path) -> list[object]:
    """Every command that runs a model, writing under `out` (fine-tuning ones with 2 steps)."""
    image, mask = inputs["image"], inputs["mask"]
    return {
        "sample": ["sample", model, "-n", 1, "--out", out, "--seed", 0],
        "animate": ["animate", model, "--frames", 2, "--out", out / "a.gif", "--seed", 0],
        "harmonize": ["harmonize", model, image, "--mask", mask, "--out", out / "h.png",
                      "--seed", 0],
        "harmonize --finetune": ["harmonize", model, image, "--mask", mask, "--finetune", 2,
                                 "--out", out / "hf.png", "--seed", 0],
        "edit": ["edit", model, image, "--mask", mask, "--out", out / "e.png", "--seed", 0],
        "paint2image": ["paint2image", model, image, "--out", out / "p.png", "--seed", 0],
        "paint2image --quantize": ["paint2image", model, image, "--quantize", "--finetune-iters",
                                   2, "--out", out / "pq.png", "--seed", 0],
        "eval": ["eval", model, "-n", 2, "--json", out / "s.json", "--seed", 0],
        "sr": ["sr", image, "--factor", 2, "--out", out / "x2.png", *SR_ARGS, "--seed", 0],
    }[name]


COMMANDS = ["sample", "animate", "harmonize", "harmonize --finetune", "edit", "paint2image",
            "paint2image --quantize", "eval", "sr"]


@pytest.mark.parametrize("name", COMMANDS)
def test_every_command_that_runs_a_model_takes_device_cpu(
        name: str, tiny_model_dir: Path, inputs: dict[str, Path], tmp_path: Path) -> None:
    result = run(*command(name, tiny_model_dir, inputs, tmp_path / "out"), "--device", "cpu")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.split() and all(Path(p).exists() for p in result.stdout.split())


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has CUDA")
@pytest.mark.parametrize("name", COMMANDS)
def test_device_cuda_without_cuda_is_a_one_line_usage_error(
        name: str, tiny_model_dir: Path, inputs: dict[str, Path], tmp_path: Path) -> None:
    result = run(*command(name, tiny_model_dir, inputs, tmp_path / "out"), "--device", "cuda")
    assert result.exit_code == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "no CUDA GPU is available here; use --device cpu or auto" in lines[0]
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


@pytest.mark.gpu
@needs_cuda
@pytest.mark.parametrize("name", COMMANDS)
def test_every_command_runs_on_cuda(name: str, tiny_model_dir: Path, inputs: dict[str, Path],
                                    tmp_path: Path) -> None:
    result = run(*command(name, tiny_model_dir, inputs, tmp_path / "out"), "--device", "cuda")
    assert result.exit_code == 0, result.stderr
    assert all(Path(p).exists() for p in result.stdout.split())


@pytest.mark.gpu
@needs_cuda
@pytest.mark.parametrize("name", ["sample", "harmonize", "edit", "paint2image"])
def test_cuda_gives_the_cpu_result(name: str, tiny_model_dir: Path, inputs: dict[str, Path],
                                   tmp_path: Path) -> None:
    """The noise is drawn on the CPU, so a seed gives the same image on both devices (up to
    float rounding: a few 8-bit levels)."""
    outputs = []
    for device in ("cpu", "cuda"):
        result = run(*command(name, tiny_model_dir, inputs, tmp_path / device), "--device", device)
        assert result.exit_code == 0, result.stderr
        outputs.append(read_png(Path(result.stdout.split()[0])).astype(int))
    assert np.abs(outputs[0] - outputs[1]).max() <= 3


@pytest.mark.gpu
@needs_cuda
def test_kmeans_palette_on_a_cuda_image() -> None:
    from applications.palette import kmeans_palette

    image = torch.rand(1, 3, 24, 32) * 2 - 1
    on_cpu = kmeans_palette(image, 4)
    on_cuda = kmeans_palette(image.cuda(), 4)
    assert on_cuda.device.type == "cuda"
    assert torch.allclose(on_cpu, on_cuda.cpu(), atol=1e-4)  # same random picks
