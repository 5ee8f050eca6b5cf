import shutil
from pathlib import Path

import pytest
import yaml

from models.checkpoint import CONFIG_FILE, GENERATORS_FILE, load_model
from models.errors import ModelDirError


@pytest.fixture
def model_copy(tiny_model_dir: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "model"
    shutil.copytree(tiny_model_dir, copy)
    return copy


def test_save_load_round_trip_gives_identical_samples(tiny_model_dir: Path, tmp_path: Path) -> None:
    from models.checkpoint import save_model

    model = load_model(tiny_model_dir)
    save_model(model, tmp_path / "again")
    again = load_model(tmp_path / "again")
    a = model.generate(noise=model.draw_noise(seed=5))
    b = again.generate(noise=again.draw_noise(seed=5))
    assert a.equal(b)
    assert again.noise_amps == model.noise_amps


def test_directory_holds_the_documented_files(tiny_model_dir: Path) -> None:
    names = {p.name for p in tiny_model_dir.iterdir()}
    assert {"config.yaml", "generators.safetensors", "discriminators.safetensors", "image.png",
            "previews"} <= names
    assert sorted(p.name for p in (tiny_model_dir / "previews").iterdir()) == \
        ["scale_00.png", "scale_01.png", "scale_02.png"]
    # no temp files left behind (the training lock file stays: see models/resume.py)
    assert [p.name for p in tiny_model_dir.glob(".*")] in ([], [".lock"])


def test_missing_directory(tmp_path: Path) -> None:
    with pytest.raises(ModelDirError, match="model directory not found"):
        load_model(tmp_path / "nope")


def test_directory_without_config(tmp_path: Path) -> None:
    with pytest.raises(ModelDirError, match="config.yaml is missing"):
        load_model(tmp_path)


def test_unknown_format_version(model_copy: Path) -> None:
    summary = yaml.safe_load((model_copy / CONFIG_FILE).read_text())
    summary["format_version"] = 99
    (model_copy / CONFIG_FILE).write_text(yaml.safe_dump(summary))
    with pytest.raises(ModelDirError, match="format version 99 is not supported"):
        load_model(model_copy)


def test_truncated_weights(model_copy: Path) -> None:
    weights = model_copy / GENERATORS_FILE
    weights.write_bytes(weights.read_bytes()[:1000])
    with pytest.raises(ModelDirError, match="damaged or truncated"):
        load_model(model_copy)


def test_missing_weights(model_copy: Path) -> None:
    (model_copy / GENERATORS_FILE).unlink()
    with pytest.raises(ModelDirError, match="weights file is missing"):
        load_model(model_copy)


def test_config_whose_shapes_disagree_with_the_weights(model_copy: Path) -> None:
    summary = yaml.safe_load((model_copy / CONFIG_FILE).read_text())
    summary["architecture"]["channels"] = [16] * len(summary["architecture"]["channels"])
    (model_copy / CONFIG_FILE).write_text(yaml.safe_dump(summary))
    with pytest.raises(ModelDirError, match="do not match the architecture"):
        load_model(model_copy)


def test_partial_model_loads_its_finished_scales(model_copy: Path) -> None:
    summary = yaml.safe_load((model_copy / CONFIG_FILE).read_text())
    summary["scales"] = summary["scales"][:2]
    (model_copy / CONFIG_FILE).write_text(yaml.safe_dump(summary))
    model = load_model(model_copy)
    assert model.num_trained == 2 and not model.complete
    assert model.generate().shape[-2:] == model.geometry.sizes[1]
