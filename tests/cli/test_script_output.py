"""Output a script can read: dry-run YAML, info/eval JSON, every config key a flag, the loss plot."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import typer.main
import yaml
from typer.testing import CliRunner

from models.config import TrainConfig, resolve_config
from singan_cli.main import app

runner = CliRunner()

# A value for every TrainConfig field, each unlike the default preset's (so that a flag which is
# parsed but not passed on shows up). A field added to TrainConfig without a value here fails
# test_every_config_key_is_a_flag.
NON_DEFAULT = {
    "max_size": 32, "min_size": 14, "scale_factor": 0.7, "num_layers": 4, "kernel_size": 5,
    "base_channels": 8, "max_channels": 16, "channel_growth_every": 2, "iters": 7,
    "iters_finest": 3, "d_steps": 2, "g_steps": 3, "lr": 0.001, "beta1": 0.4, "lr_decay_at": 0.5,
    "loss": "hinge", "gp_weight": 0.2, "spectral_norm": True, "rec_weight": 20.0,
    "noise_amp_weight": 0.05, "seed": 9, "device": "cpu", "precision": "fp32",
}


def run(*args: object):  # type: ignore[no-untyped-def]
    return runner.invoke(app, [str(a) for a in args])


def as_flags(values: dict[str, object]) -> list[str]:
    flags: list[str] = []
    for key, value in values.items():
        dash = key.replace("_", "-")
        if isinstance(value, bool):
            flags.append(f"--{dash}" if value else f"--no-{dash}")
        else:
            flags += [f"--{dash}", str(value)]
    return flags


def option_names(command: str) -> set[str]:
    click_command = typer.main.get_command(app).commands[command]  # type: ignore[attr-defined]
    return {name for param in click_command.params for name in (*param.opts, *param.secondary_opts)}


def test_every_config_key_is_a_flag(tiny_image_path: Path) -> None:
    keys = [f.name for f in dataclasses.fields(TrainConfig)]
    assert sorted(NON_DEFAULT) == sorted(keys)
    defaults = resolve_config("default").to_dict()
    assert all(NON_DEFAULT[k] != defaults[k] for k in keys)
    for command in ("train", "sr"):  # sr trains its model too
        names = option_names(command)
        missing = [k for k in keys if f"--{k.replace('_', '-')}" not in names]
        assert not missing, f"{command} has no flag for {missing}"
    # and each flag reaches its config key
    result = run("train", tiny_image_path, "--dry-run", *as_flags(NON_DEFAULT))
    assert result.exit_code == 0, result.stderr
    assert yaml.safe_load(result.stdout) == NON_DEFAULT


def test_training_flag_out_of_range_is_a_usage_error(tiny_image_path: Path) -> None:
    result = run("train", tiny_image_path, "--dry-run", "--d-steps", "0")
    assert result.exit_code == 2 and "--d-steps" in result.stderr
    result = run("train", tiny_image_path, "--dry-run", "--precision", "fp16")
    assert result.exit_code == 2 and "--precision" in result.stderr


def test_dry_run_yaml_round_trips_through_config(tiny_image_path: Path, tmp_path: Path) -> None:
    first = run("train", tiny_image_path, "--out", tmp_path / "m", "--dry-run", "--max-size", "32",
                "--min-size", "14", "--lr", "0.0002", "--rec-weight", "50", "--no-spectral-norm",
                "--precision", "bf16", "--loss", "lsgan")
    assert first.exit_code == 0, first.stderr
    resolved = yaml.safe_load(first.stdout)  # stdout is one YAML mapping, nothing else
    assert resolved["lr"] == 0.0002 and resolved["rec_weight"] == 50.0
    assert resolved["precision"] == "bf16" and resolved["loss"] == "lsgan"
    assert resolved["max_size"] == 32 and resolved["spectral_norm"] is False
    assert "scale 0: 19x14" in first.stderr and "scale 2: 32x24" in first.stderr
    assert "scale" not in first.stdout.replace("scale_factor", "")
    config_file = tmp_path / "cfg.yaml"
    config_file.write_text(first.stdout)
    # another preset underneath: the file sets every key, so it gives the same config back
    second = run("train", tiny_image_path, "--dry-run", "--preset", "paper", "--config", config_file)
    assert second.exit_code == 0, second.stderr
    assert second.stdout == first.stdout
    assert resolve_config("paper", config_file).to_dict() == resolved
    assert not (tmp_path / "m").exists()


def test_eval_json_dash_prints_only_json(tiny_model_dir: Path) -> None:
    result = run("eval", tiny_model_dir, "-n", "2", "--seed", "0", "--json", "-")
    assert result.exit_code == 0, result.stderr
    scores = json.loads(result.stdout)  # the whole of stdout is one JSON document
    assert scores["samples"] == 2 and scores["model"] == str(tiny_model_dir)
    assert scores["swd"] > 0 and 0 <= scores["copies"] <= 2
    assert "swd" in result.stderr  # the table went to stderr
    assert not Path("-").exists()


def test_eval_json_file_prints_its_path(tiny_model_dir: Path, tmp_path: Path) -> None:
    path = tmp_path / "scores.json"
    result = run("eval", tiny_model_dir, "-n", "2", "--seed", "0", "--json", path)
    assert result.exit_code == 0, result.stderr
    assert result.stdout == f"{path}\n"  # only the path: the table is on stderr
    assert "diversity" in result.stderr
    assert json.loads(path.read_text())["samples"] == 2
