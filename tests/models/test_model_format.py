"""The model directory format: what loading for sampling needs, what it must refuse, and old
versions that must keep loading (tests/fixtures/model_v1 was written by the version-1 trainer)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import torch
import yaml
from safetensors.torch import load_file

from models.checkpoint import CONFIG_FILE, FORMAT_VERSION, load_model
from models.errors import ModelDirError

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def _fixed_noise(model) -> list[torch.Tensor]:  # type: ignore[no-untyped-def]
    """The noise tests/fixtures/README.md describes (independent of SinGAN.draw_noise)."""
    gen = torch.Generator().manual_seed(123)
    return [torch.randn(1, 3, h, w, generator=gen) for h, w in model.geometry.sizes]


@pytest.fixture
def v1_copy(tmp_path: Path) -> Path:
    copy = tmp_path / "model_v1"
    shutil.copytree(FIXTURES / "model_v1", copy)
    return copy


def test_a_version_1_directory_samples_what_version_1_sampled(v1_copy: Path) -> None:
    expected = load_file(str(FIXTURES / "model_v1_expected.safetensors"))
    model = load_model(v1_copy)
    assert model.complete and model.geometry.sizes == ((10, 12), (16, 20))
    # float16 references: 1e-3 is well above their rounding, far below any real change
    assert torch.allclose(model.reconstruct(), expected["reconstruction"].float(), atol=2e-3)
    sample = model.generate(noise=_fixed_noise(model))
    assert torch.allclose(sample, expected["sample_noise_seed123"].float(), atol=2e-3)


def test_a_version_1_directory_loads_for_fine_tuning(v1_copy: Path) -> None:
    model = load_model(v1_copy, with_discriminators=True)
    assert len(model.discriminators) == 2
    assert model.config.base_channels == 4 and model.config.iters == 20


@pytest.fixture
def v2_dir(v1_copy: Path, tmp_path: Path) -> Path:
    """The version-1 fixture saved again by this version (format 2), discriminators included."""
    from models.checkpoint import save_model

    return save_model(load_model(v1_copy, with_discriminators=True), tmp_path / "model_v2")


def _edit(directory: Path, change) -> None:  # type: ignore[no-untyped-def]
    summary = yaml.safe_load((directory / CONFIG_FILE).read_text())
    change(summary)
    (directory / CONFIG_FILE).write_text(yaml.safe_dump(summary))


def _later_version_record(summary: dict) -> None:
    """What a later version might write: a renamed option, a new one, a narrowed range."""
    training = summary["training"]
    training["learning_rate"] = training.pop("lr")
    training["ema_decay"] = 0.999
    training["loss"] = "relativistic"
    training["iters"] = -1


def test_config_yaml_keeps_what_sampling_needs_apart_from_the_training_record(v1_copy: Path,
                                                                             v2_dir: Path) -> None:
    summary = yaml.safe_load((v2_dir / CONFIG_FILE).read_text())
    assert list(summary) == ["format_version", "singan_version", "architecture", "geometry",
                             "scales", "training"]
    assert summary["format_version"] == FORMAT_VERSION == 2
    assert summary["architecture"] == {"num_layers": 3, "kernel_size": 3, "spectral_norm": False,
                                       "channels": [4, 4], "coarse_noise": "rgb"}
    assert [sorted(entry) for entry in summary["scales"]] == \
        [["noise_amp", "scale", "size", "train_seconds"]] * 2
    v1 = yaml.safe_load((v1_copy / CONFIG_FILE).read_text())
    # the record is kept as it was, plus keys added since at the values v1 models were trained
    # with: coarse_noise rgb, crop_size 0 (whole images), gp_weight_windowed = their gp_weight
    assert summary["training"] == {**v1["config"], "coarse_noise": "rgb", "crop_size": 0,
                                   "gp_weight_windowed": v1["config"]["gp_weight"]}
    assert [s["noise_amp"] for s in summary["scales"]] == [s["noise_amp"] for s in v1["scales"]]


def test_a_training_record_from_a_later_version_does_not_stop_sampling(v2_dir: Path) -> None:
    _edit(v2_dir, _later_version_record)
    model = load_model(v2_dir)
    expected = load_file(str(FIXTURES / "model_v1_expected.safetensors"))
    assert torch.allclose(model.generate(noise=_fixed_noise(model)),
                          expected["sample_noise_seed123"].float(), atol=2e-3)
    assert model.config_problem and "learning_rate" in model.config_problem
    # the keys this version understands are kept, the others are defaults
    assert (model.config.base_channels, model.config.d_steps, model.config.max_size) == (4, 1, 20)
    assert (model.config.lr, model.config.loss, model.config.iters) == (5e-4, "wgan-gp", 2000)


def test_resuming_or_fine_tuning_needs_a_training_record_this_version_understands(
        v2_dir: Path) -> None:
    _edit(v2_dir, _later_version_record)
    with pytest.raises(ModelDirError, match="resuming or fine-tuning needs") as error:
        load_model(v2_dir, with_discriminators=True)
    assert "learning_rate" in str(error.value) and "\n" not in str(error.value)


def test_resume_refuses_a_training_record_it_does_not_understand(v2_dir: Path) -> None:
    from models.config import config_from_dict, validate
    from models.image_io import load_image
    from models.output_dir import prepare_output
    from models.trainer import new_model

    record = yaml.safe_load((v2_dir / CONFIG_FILE).read_text())["training"]
    fresh = new_model(load_image(v2_dir / "image.png"), validate(config_from_dict(record)))
    _edit(v2_dir, _later_version_record)
    with pytest.raises(ModelDirError, match="resuming or fine-tuning needs"):
        prepare_output(v2_dir, fresh, resume=True)


def test_a_training_record_that_disagrees_with_the_architecture(v2_dir: Path) -> None:
    def wider(summary: dict) -> None:
        summary["training"]["base_channels"] = summary["training"]["max_channels"] = 8

    _edit(v2_dir, wider)
    model = load_model(v2_dir)  # sampling builds the networks from the architecture
    assert model.generators[0].body[0][0][0].out_channels == 4
    assert "disagrees with the architecture" in (model.config_problem or "")
    with pytest.raises(ModelDirError, match="disagrees with the architecture"):
        load_model(v2_dir, with_discriminators=True)


def test_a_model_with_a_partial_config_is_not_saved_over_its_record(v2_dir: Path,
                                                                    tmp_path: Path) -> None:
    from models.checkpoint import save_model

    _edit(v2_dir, _later_version_record)
    with pytest.raises(ModelDirError, match="cannot save"):
        save_model(load_model(v2_dir), tmp_path / "copy")


@pytest.mark.parametrize("change", [
    lambda s: s["training"].update(lr=[0.1, 0.2]),
    lambda s: s["training"].update(hook={"module": "os", "call": "system"}),
    lambda s: s.update(training=["max_size", 20]),
    lambda s: s["architecture"].update(channels=["4", 4]),
    lambda s: s["architecture"].update(num_layers=3.0),
    lambda s: s["architecture"].update(spectral_norm="no"),
    lambda s: s["architecture"].update(channels=[4]),
    lambda s: s["geometry"].update(sizes=[[10, "12"], [16, 20]]),
    lambda s: s["geometry"].update(scale_factor="0.625"),
    lambda s: s["scales"][0].update(noise_amp="1.0"),
    lambda s: s["scales"][0].update(noise_amp=-1.0),
    lambda s: s["scales"][1].update(notes=["a", "list"]),
    lambda s: s.update(singan_version={"a": 1}),
    lambda s: s.pop("architecture"),
], ids=["list-in-training", "mapping-in-training", "training-not-a-mapping", "string-width",
        "float-layers", "string-bool", "widths-per-scale", "string-size", "string-factor",
        "string-noise-amp", "negative-noise-amp", "list-in-scale", "version-not-a-string",
        "no-architecture"])
def test_values_that_are_not_the_expected_scalars_are_refused(v2_dir: Path, change) -> None:  # type: ignore[no-untyped-def]
    _edit(v2_dir, change)
    with pytest.raises(ModelDirError, match="malformed") as error:
        load_model(v2_dir)
    assert "\n" not in str(error.value)


def test_an_architecture_this_version_cannot_build_is_refused(v2_dir: Path) -> None:
    _edit(v2_dir, lambda s: s["architecture"].update(attention_layers=2))
    with pytest.raises(ModelDirError, match="unknown architecture entries"):
        load_model(v2_dir)


def test_unknown_scalar_records_in_a_scale_entry_are_ignored(v2_dir: Path) -> None:
    _edit(v2_dir, lambda s: s["scales"][1].update(iterations_done=10))
    assert load_model(v2_dir).num_trained == 2


def test_a_newer_format_asks_for_a_newer_singan(v2_dir: Path) -> None:
    _edit(v2_dir, lambda s: s.update(format_version=FORMAT_VERSION + 1))
    with pytest.raises(ModelDirError, match="made by a newer singan: upgrade singan"):
        load_model(v2_dir)


def test_a_model_config_yaml_works_as_a_training_config_file(v1_copy: Path, v2_dir: Path) -> None:
    from models.config import load_config_file

    v1_record = yaml.safe_load((v1_copy / CONFIG_FILE).read_text())["config"]
    # keys added since at the values the model trained with
    added = {"gp_weight_windowed": v1_record["gp_weight"]}
    assert load_config_file(v1_copy / CONFIG_FILE) == {**v1_record, **added}
    assert load_config_file(v2_dir / CONFIG_FILE) == {**v1_record, "coarse_noise": "rgb",
                                                      "crop_size": 0, **added}


def test_version_1_widths_follow_version_1s_rule(tmp_path: Path) -> None:
    """Format 1 stored no widths: they came from base_channels doubling every
    channel_growth_every scales up to max_channels."""
    from models.checkpoint import upgrade_summary

    v1 = {"format_version": 1, "singan_version": "0.1.0",
          "config": {"num_layers": 5, "kernel_size": 3, "spectral_norm": True, "base_channels": 32,
                     "max_channels": 128, "channel_growth_every": 4},
          "geometry": {"scale_factor": 0.75, "sizes": [[25, 25]] * 10},
          "scales": [{"scale": 0, "size": [25, 25], "channels": 32, "noise_amp": 1.0}]}
    v2 = upgrade_summary(v1, tmp_path / CONFIG_FILE)
    assert v2["architecture"] == {"num_layers": 5, "kernel_size": 3, "spectral_norm": True,
                                  "channels": [32, 32, 32, 32, 64, 64, 64, 64, 128, 128],
                                  "coarse_noise": "rgb"}
    assert v2["scales"] == [{"scale": 0, "size": [25, 25], "noise_amp": 1.0}]
    assert v2["training"] is v1["config"]
