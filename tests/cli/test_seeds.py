"""One seed rule for every command that draws noise: --seed N repeats a result; without it a
fresh seed is drawn and said on stderr as "seed N (pass --seed N to repeat)"."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
import yaml
from PIL import Image
from typer.testing import CliRunner

from singan_cli.main import app
from tests.conftest import TINY_FLAGS, read_png, synthetic_image

runner = CliRunner()
SEED_LINE = re.compile(r"^seed (\d+) \(pass --seed \1 to repeat\)$", re.MULTILINE)
TINY_ARGS = [item for key, value in TINY_FLAGS.items()
             for item in (f"--{key.replace('_', '-')}", str(value))] + ["--device", "cpu"]


def run(*args: object):  # type: ignore[no-untyped-def]
    return runner.invoke(app, [str(a) for a in args])


def content(path: Path) -> bytes:
    """What a result holds (a folder of frames: all of them)."""
    if path.is_dir():
        return b"".join(p.read_bytes() for p in sorted(path.iterdir()))
    if path.suffix == ".json":
        return path.read_text().split('"seed"')[1].encode()  # the scores, not the paths
    if path.suffix == ".gif":
        return path.read_bytes()
    return read_png(path).tobytes()


@pytest.mark.parametrize("name", ["sample", "animate", "harmonize", "edit", "paint2image",
                                  "eval"])
def test_without_seed_a_fresh_one_is_said_and_repeats_the_result(
        name: str, tiny_model_dir: Path, tmp_path: Path) -> None:
    image = synthetic_image()
    image[8:16, 10:20] = (250, 10, 10)
    Image.fromarray(image).save(tmp_path / "in.png")
    mask = np.zeros((24, 32), dtype=np.uint8)
    mask[8:16, 10:20] = 255
    Image.fromarray(mask).save(tmp_path / "mask.png")

    def command(out: Path) -> list[object]:
        return {
            "sample": ["sample", tiny_model_dir, "-n", 2, "--out", out],
            "animate": ["animate", tiny_model_dir, "--frames", 3, "--out", out.with_suffix(".gif")],
            "harmonize": ["harmonize", tiny_model_dir, tmp_path / "in.png", "--mask",
                          tmp_path / "mask.png", "--out", out.with_suffix(".png")],
            "edit": ["edit", tiny_model_dir, tmp_path / "in.png", "--mask", tmp_path / "mask.png",
                     "--out", out.with_suffix(".png")],
            "paint2image": ["paint2image", tiny_model_dir, tmp_path / "in.png", "-n", 2,
                            "--out", out.with_suffix(".png")],
            "eval": ["eval", tiny_model_dir, "-n", 2, "--json", out.with_suffix(".json")],
        }[name]

    first = run(*command(tmp_path / "a"))
    assert first.exit_code == 0, first.stderr
    said = SEED_LINE.findall(first.stderr)
    assert len(said) == 1, first.stderr
    again = run(*command(tmp_path / "b"), "--seed", said[0])
    assert again.exit_code == 0, again.stderr
    assert not SEED_LINE.search(again.stderr)  # a given seed is not repeated back
    other = run(*command(tmp_path / "c"))
    assert other.exit_code == 0, other.stderr
    firsts, agains, others = (first.stdout.split(), again.stdout.split(), other.stdout.split())
    assert [content(Path(p)) for p in firsts] == [content(Path(p)) for p in agains]
    assert SEED_LINE.findall(other.stderr) != said  # a fresh seed each time...
    assert content(Path(firsts[0])) != content(Path(others[0]))  # ...gives another result


def test_train_without_seed_draws_one_and_records_it(tiny_image_path: Path) -> None:
    result = run("train", tiny_image_path, "--dry-run", *TINY_ARGS)
    assert result.exit_code == 0, result.stderr
    said = SEED_LINE.findall(result.stderr)
    assert len(said) == 1
    assert yaml.safe_load(result.stdout)["seed"] == int(said[0])
    given = run("train", tiny_image_path, "--dry-run", *TINY_ARGS, "--seed", 5)
    assert yaml.safe_load(given.stdout)["seed"] == 5 and not SEED_LINE.search(given.stderr)


def test_resume_without_seed_takes_the_saved_one(tiny_image_path: Path, tmp_path: Path) -> None:
    args = ["train", tiny_image_path, "--out", tmp_path / "m", *TINY_ARGS, "--iters", 2,
            "--iters-finest", 2]
    first = run(*args)
    assert first.exit_code == 0, first.stderr
    saved = int(SEED_LINE.findall(first.stderr)[0])
    resumed = run(*args, "--resume")  # nothing left to train; the seed must not differ
    assert resumed.exit_code == 0, resumed.stderr
    assert not SEED_LINE.search(resumed.stderr)
    from models.checkpoint import load_model

    assert load_model(tmp_path / "m").config.seed == saved
