"""Output a script can read: dry-run YAML, info/eval JSON, every config key a flag, the loss plot."""

from __future__ import annotations

import dataclasses
import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import typer.main
import yaml
from PIL import Image
from typer.testing import CliRunner

from models.config import TrainConfig, resolve_config
from models.errors import ModelDirError
from singan_cli.loss_plot import COLOURS, PLOT_SIZE, draw_loss_plot, read_train_log
from singan_cli.main import app

runner = CliRunner()

# A value for every TrainConfig field, each unlike the default preset's (so that a flag which is
# parsed but not passed on shows up). A field added to TrainConfig without a value here fails
# test_every_config_key_is_a_flag.
NON_DEFAULT = {
    "max_size": 32, "min_size": 14, "scale_factor": 0.7, "num_layers": 4, "kernel_size": 5,
    "base_channels": 8, "max_channels": 16, "channel_growth_every": 2, "crop_size": 40,
    "iters": 7, "iters_finest": 3, "d_steps": 2, "g_steps": 3, "lr": 0.001, "beta1": 0.4, "lr_decay_at": 0.5,
    "loss": "hinge", "gp_weight": 0.2, "gp_weight_windowed": 0.3, "spectral_norm": True, "rec_weight": 20.0,
    "noise_amp_weight": 0.05, "coarse_noise": "gray", "seed": 9, "device": "cpu", "precision": "fp32",
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


def test_info_json_is_the_whole_stdout(tiny_model_dir: Path) -> None:
    result = run("info", tiny_model_dir, "--json")
    assert result.exit_code == 0, result.stderr
    info = json.loads(result.stdout)
    assert info["complete"] is True and info["num_scales"] == info["scales_trained"] == 3
    assert [(s["width"], s["height"]) for s in info["scales"]] == [(19, 14), (24, 18), (32, 24)]
    assert (info["width"], info["height"]) == (32, 24)
    assert info["scales"][0]["noise_amp"] == 1.0  # the coarsest scale is pure noise
    assert all(s["trained"] and s["train_seconds"] > 0 for s in info["scales"])
    assert info["config"]["iters"] == 40 and info["config"]["max_size"] == 32
    assert info["config_problem"] is None
    assert info["train_log"] == str(tiny_model_dir / "train_log.csv")


def _colour_pixels(path: Path, colour: tuple[int, int, int]) -> int:
    pixels = np.asarray(Image.open(path).convert("RGB")).astype(int)
    return int((np.abs(pixels - np.array(colour)).sum(axis=-1) < 60).sum())


def test_info_plot_writes_a_png_of_the_loss_curves(tiny_model_dir: Path, tmp_path: Path) -> None:
    path = tmp_path / "loss.png"
    result = run("info", tiny_model_dir, "--plot", path)
    assert result.exit_code == 0, result.stderr
    assert result.stdout == f"{path}\n" and "coarsest" in result.stderr  # table on stderr
    with Image.open(path) as im:
        assert im.format == "PNG" and im.size == PLOT_SIZE
    for colour in COLOURS[:3]:  # one curve per loss: d, g_adv, rec
        assert _colour_pixels(path, colour) > 200
    again = run("info", tiny_model_dir, "--plot", path)
    assert again.exit_code == 1 and "--force" in again.stderr
    assert run("info", tiny_model_dir, "--plot", path, "--force").exit_code == 0
    both = run("info", tiny_model_dir, "--json", "--plot", path, "--force")
    assert json.loads(both.stdout)["plot"] == str(path)


def test_info_plot_without_a_loss_log_is_one_line(tiny_model_dir: Path, tmp_path: Path) -> None:
    copy = tmp_path / "old"
    shutil.copytree(tiny_model_dir, copy)
    (copy / "train_log.csv").unlink()
    result = run("info", copy, "--plot", tmp_path / "loss.png")
    assert result.exit_code == 1
    assert len(result.stderr.strip().splitlines()) == 1 and "train_log.csv" in result.stderr
    assert "Traceback" not in result.stderr and not (tmp_path / "loss.png").exists()


def test_loss_log_reader_and_plot(tmp_path: Path) -> None:
    path = tmp_path / "train_log.csv"
    rows = ["scale,iteration,d,g_adv,rec"]
    rows += [f"{s},{i},{-1 - i / 100},{0.5},{1 / i}" for s in range(3) for i in range(10, 110, 10)]
    rows[5] = "0,50,nan,0.5,0.02"  # a missing value leaves a gap, not an error
    path.write_text("\n".join(rows) + "\n")
    log = read_train_log(path)
    assert log.losses == ("d", "g_adv", "rec") and list(log.scales) == [0, 1, 2]
    assert log.scales[2][-1] == (100, (-2.0, 0.5, 0.01))
    image = draw_loss_plot(log, title="x")
    assert image.size == PLOT_SIZE and image.mode == "RGB"
    path.write_text("\n".join([*rows, "1,oops,1,2"]) + "\n")
    with pytest.raises(ModelDirError, match="line 32"):
        read_train_log(path)
    path.write_text("a,b,c\n")
    with pytest.raises(ModelDirError, match="not a loss log"):
        read_train_log(path)
