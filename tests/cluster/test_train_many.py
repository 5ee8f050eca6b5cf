"""`singan train-many` on the local two-node test cluster (conftest.py).

Tiny photos (24x32, 3 scales, a few iterations); skipped when Ray is not installed, except the
checks that need no Ray.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from safetensors.torch import load_file
from typer.testing import CliRunner

from singan_cli.cluster.driver import Driver
from singan_cli.cluster.photos import assign_names
from singan_cli.cluster.record import PhotoRun
from singan_cli.main import app
from tests.conftest import TINY_FLAGS, synthetic_image

runner = CliRunner()
# TINY_FLAGS with fewer iterations: these tests are about the tasks, not the models' quality
FLAGS = {**TINY_FLAGS, "iters": 8, "iters_finest": 4}
TINY_ARGS = [item for key, value in FLAGS.items()
             for item in (f"--{key.replace('_', '-')}", str(value))] + ["--device", "cpu"]
needs_ray = pytest.mark.skipif(importlib.util.find_spec("ray") is None,
                               reason="ray is not installed (pip install 'singan-cli[cluster]')")


def invoke(*args: Any):  # type: ignore[no-untyped-def]
    return runner.invoke(app, ["train-many", *(str(a) for a in args)])


def index_of(models: Path) -> dict[str, dict[str, Any]]:
    return {e["name"]: e for e in json.loads((models / "index.json").read_text())["photos"]}


def scale_weights(model_dir: Path, scale: int) -> dict[str, Any]:
    prefix = f"scale_{scale:02d}."
    tensors = load_file(str(model_dir / "generators.safetensors"))
    return {k: v for k, v in tensors.items() if k.startswith(prefix)}


# -- without Ray ------------------------------------------------------------------------------


def test_names_of_clashing_photos_are_deterministic(tmp_path: Path) -> None:
    paths = [tmp_path / "b" / "cat.png", tmp_path / "a" / "cat.jpg", tmp_path / "c" / "Cat.png",
             tmp_path / "cat-2.png", tmp_path / "dog.png", tmp_path / "index.json.png"]
    names = {photo: (name, note) for photo, name, note in assign_names(paths)}
    assert names[tmp_path / "a" / "cat.jpg"] == ("cat", "")  # first by full path keeps the stem
    assert names[tmp_path / "cat-2.png"] == ("cat-2", "")  # a real stem is never taken by a clash
    assert names[tmp_path / "b" / "cat.png"][0] == "cat-3"
    assert names[tmp_path / "c" / "Cat.png"][0] == "Cat-4"  # case-insensitive disks
    assert str(tmp_path / "a" / "cat.jpg") in names[tmp_path / "b" / "cat.png"][1]
    assert names[tmp_path / "dog.png"] == ("dog", "")
    assert names[tmp_path / "index.json.png"][0] == "index.json-2"  # MODELS_DIR/index.json
    assert {p: n for p, n, _ in assign_names(paths[::-1])} == {p: n for p, (n, _) in names.items()}


def test_without_ray_one_line_says_what_to_install(monkeypatch: pytest.MonkeyPatch,
                                                   tmp_path: Path) -> None:
    monkeypatch.setitem(sys.modules, "ray", None)  # as if not installed
    photo = tmp_path / "p.png"
    Image.fromarray(synthetic_image()).save(photo)
    result = invoke(photo, "--out", tmp_path / "models", *TINY_ARGS)
    assert result.exit_code == 1
    assert result.stderr.strip().splitlines() == [
        "error: singan train-many needs Ray: pip install 'singan-cli[cluster]'"]


def test_help_imports_neither_ray_nor_torch() -> None:
    code = ("import sys; from singan_cli.main import app; "
            "print(sorted({'ray', 'torch'} & set(sys.modules)))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


@needs_ray
def test_ray_client_address_is_refused_with_the_way_to_run_it(tmp_path: Path) -> None:
    result = invoke(tmp_path, "--out", tmp_path / "models", "--address", "ray://head:10001")
    assert result.exit_code == 2
    assert "--address auto" in result.stderr and "Traceback" not in result.stderr


# -- on a local Ray ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def photos(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """Three photos (two share the name 'a') and a corrupt file."""
    root = tmp_path_factory.mktemp("photos")
    (root / "more").mkdir()
    paths = [root / "a.png", root / "b.png", root / "more" / "a.png"]
    for seed, path in enumerate(paths):
        Image.fromarray(synthetic_image(seed=seed)).save(path)
    (root / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"cut off here")
    return [root, root / "more" / "a.png"]


@pytest.fixture(scope="module")
def first_run(cluster: Any, photos: list[Path],
              tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Any]:
    models = tmp_path_factory.mktemp("models")
    return models, invoke(*photos, "--out", models, *TINY_ARGS)


def test_three_photos_and_a_corrupt_file(first_run: tuple[Path, Any], photos: list[Path]) -> None:
    from models.checkpoint import load_model

    models, result = first_run
    assert result.exit_code == 1, result.stderr  # one photo failed
    index = index_of(models)
    assert sorted(index) == ["a", "a-2", "b", "broken"]
    assert index["a-2"]["photo"] == str(photos[1]) and "has the same name" in index["a-2"]["note"]
    broken = index["broken"]
    assert broken["status"] == "failed" and broken["attempts"] == 0
    assert broken["error"] == (f"{photos[0] / 'broken.png'}: not an image file Pillow can read "
                               f"(use PNG or JPEG)")
    assert not (models / "broken").exists()
    for name in ("a", "a-2", "b"):
        entry = index[name]
        assert entry["status"] == "trained" and entry["error"] == ""
        assert entry["scales"] == entry["num_scales"] == 3 and entry["attempts"] == 1
        assert entry["swd"] > 0 and entry["diversity"] > 0 and entry["seconds"] > 0
        assert isinstance(entry["seed"], int)  # no --seed: a fresh one per model, as train does
        model = load_model(models / name)
        assert model.complete and model.generate().shape[-2:] == (24, 32)
        assert (models / name / "previews" / "scale_02.png").exists()
        assert not list((models / name).glob(".*.tmp*"))  # no half-written file left
    # stdout: the finished models, then the index; the reason of the failure on stderr
    assert result.stdout.split() == [str(models / n) for n in ("a", "b", "a-2")] + [
        str(models / "index.json")]
    assert "broken: " in result.stderr and "not an image file" in result.stderr
    assert "Traceback" not in result.stderr


def test_rerun_skips_finished_models_and_reports_changed_settings(
        first_run: tuple[Path, Any], photos: list[Path]) -> None:
    models, _ = first_run
    before = index_of(models)
    weights = {n: (models / n / "generators.safetensors").read_bytes() for n in ("a", "a-2", "b")}

    again = invoke(*photos, "--out", models, *TINY_ARGS)
    assert again.exit_code == 1  # the corrupt file still fails
    after = index_of(models)
    for name in ("a", "a-2", "b"):
        assert after[name]["status"] == "skipped" and after[name]["attempts"] == 0
        assert after[name]["swd"] == before[name]["swd"]  # scores of the same model, reused
        assert after[name]["seed"] == before[name]["seed"]  # the saved seed, not a fresh one
        assert (models / name / "generators.safetensors").read_bytes() == weights[name]

    changed = invoke(*photos, "--out", models, *TINY_ARGS, "--iters", "9")
    assert changed.exit_code == 1
    for name, entry in index_of(models).items():
        if name != "broken":
            assert entry["status"] == "failed" and "iters: 8 -> 9" in entry["error"]
            assert entry["scales"] == 3  # what is on disk, untouched
            assert (models / name / "generators.safetensors").read_bytes() == weights[name]


def test_interrupted_run_keeps_finished_scales_and_resumes(cluster: Any, tmp_path: Path) -> None:
    from models.checkpoint import load_model
    from models.config import resolve_config

    photo = tmp_path / "p.png"
    Image.fromarray(synthetic_image(seed=5)).save(photo)
    models = tmp_path / "models"
    models.mkdir()
    config = resolve_config("default", overrides={**FLAGS, "device": "cpu"})

    def ctrl_c_after_first_scale(run: PhotoRun, item: dict[str, Any]) -> None:
        if item["kind"] == "scale":
            raise KeyboardInterrupt  # where a real Ctrl-C lands: in the driver's loop

    runs = [PhotoRun(photo, "p", models / "p")]
    driver = Driver(runs, models, config, 1, 0, max_retries=3, force=False,
                    on_item=ctrl_c_after_first_scale)
    driver.run()
    assert driver.interrupted and runs[0].status == "interrupted"
    assert index_of(models)["p"]["status"] == "interrupted"
    partial = load_model(models / "p")
    assert partial.num_trained == 1
    kept = scale_weights(models / "p", 0)

    result = invoke(photo, "--out", models, *TINY_ARGS)
    assert result.exit_code == 0, result.stderr
    entry = index_of(models)["p"]
    assert entry["status"] == "resumed" and entry["scales"] == 3
    assert "p: training scales 1..2" in result.stderr
    finished = scale_weights(models / "p", 0)
    assert finished.keys() == kept.keys()
    assert all(finished[k].equal(kept[k]) for k in kept)  # scale 0 was not trained again
    assert load_model(models / "p").complete
