from pathlib import Path

import pytest

from models.config import PRESETS, TrainConfig, config_from_dict, resolve_config
from models.errors import ConfigError


def test_paper_preset_has_the_papers_numbers() -> None:
    cfg = resolve_config("paper")
    assert (cfg.iters, cfg.iters_finest, cfg.d_steps, cfg.g_steps) == (2000, 2000, 3, 3)
    assert [cfg.channels_at(n) for n in (0, 3, 4, 8, 12)] == [32, 32, 64, 128, 128]
    assert (cfg.lr, cfg.beta1, cfg.gp_weight, cfg.rec_weight, cfg.loss) == (5e-4, 0.5, 0.1, 10.0, "wgan-gp")
    assert (cfg.max_size, cfg.min_size, cfg.scale_factor) == (250, 25, 0.75)


def test_every_preset_validates() -> None:
    for name in PRESETS:
        assert isinstance(resolve_config(name), TrainConfig)


def test_unknown_key_is_rejected_with_its_name(tmp_path: Path) -> None:
    cfg = tmp_path / "cfg.yaml"
    cfg.write_text("iters: 10\nlearning_rate: 0.1\n")
    with pytest.raises(ConfigError, match="unknown key 'learning_rate'"):
        resolve_config(config_file=cfg)


def test_wrong_type_is_rejected_with_its_name() -> None:
    with pytest.raises(ConfigError, match="'iters' must be int"):
        config_from_dict({"iters": "many"})
    with pytest.raises(ConfigError, match="'spectral_norm' must be bool"):
        config_from_dict({"spectral_norm": "yes please"})


def test_yaml_scientific_notation_string_becomes_float(tmp_path: Path) -> None:
    cfg = tmp_path / "cfg.yaml"
    cfg.write_text("lr: 1e-4\n")  # PyYAML reads this as the string '1e-4'
    assert resolve_config(config_file=cfg).lr == pytest.approx(1e-4)


def test_flags_override_config_file_which_overrides_preset(tmp_path: Path) -> None:
    cfg = tmp_path / "cfg.yaml"
    cfg.write_text("iters: 7\niters_finest: 5\n")
    resolved = resolve_config("paper", cfg, {"iters": 9, "seed": None})
    assert (resolved.iters, resolved.iters_finest, resolved.d_steps) == (9, 5, 3)


def test_out_of_range_value_names_the_key() -> None:
    with pytest.raises(ConfigError, match="'scale_factor'"):
        resolve_config(overrides={"scale_factor": 1.5})
    with pytest.raises(ConfigError, match="'loss'"):
        resolve_config(overrides={"loss": "wasserstein"})


def test_iteration_schedule_runs_from_coarsest_to_finest() -> None:
    cfg = TrainConfig(iters=800, iters_finest=200)
    schedule = [cfg.iters_at(n, 5) for n in range(5)]
    assert schedule[0] == 800 and schedule[-1] == 200
    assert schedule == sorted(schedule, reverse=True)


def test_precision_is_validated() -> None:
    assert resolve_config("default").precision == "auto"
    with pytest.raises(ConfigError, match="precision"):
        resolve_config("default", overrides={"precision": "fp16"})


def test_importing_models_sets_a_short_openmp_spin_unless_the_user_chose(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    code = "import models, os; print(os.environ['OMP_WAIT_POLICY'], os.environ['GOMP_SPINCOUNT'])"
    root = Path(__file__).resolve().parents[2]
    env = {k: v for k, v in os.environ.items() if k not in ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT")}
    run = lambda extra: subprocess.run([sys.executable, "-c", code], cwd=root, env={**env, **extra},  # noqa: E731
                                       capture_output=True, text=True, check=True).stdout.split()
    assert run({}) == ["PASSIVE", "10000"]
    assert run({"GOMP_SPINCOUNT": "0", "OMP_WAIT_POLICY": "ACTIVE"}) == ["ACTIVE", "0"]
