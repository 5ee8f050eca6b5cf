"""Training configuration: one frozen dataclass, presets, YAML in and out, validation.

    cfg = resolve_config(preset="default", config_file=Path("cfg.yaml"), overrides={"iters": 50})

Paper symbols -> field names:
    r (scale factor between levels)     -> scale_factor (requested; the geometry re-derives it)
    N + 1 (number of scales)            -> derived from max_size, min_size, scale_factor
    alpha (reconstruction weight)       -> rec_weight
    sigma_n (noise amplitude)           -> noise_amp_weight * RMSE(real_n, up(rec_{n-1}))
    lambda (gradient penalty weight)    -> gp_weight
    nfc / min_nfc                       -> base_channels / max_channels
"""

from __future__ import annotations

import dataclasses
import typing
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import yaml

from models.errors import ConfigError

LOSSES = ("wgan-gp", "hinge", "lsgan")
DEVICES = ("auto", "cpu", "cuda", "mps")
PRECISIONS = ("auto", "bf16", "fp32")
COARSE_NOISES = ("rgb", "gray")
# architecture limits, shared with the model-directory loader (models/checkpoint.py)
MAX_LAYERS = 16
KERNEL_SIZES = (1, 3, 5, 7)
MAX_WIDTH = 1024


@dataclass(frozen=True)
class TrainConfig:
    """Everything that decides how a model is trained. Saved in the model's config.yaml."""

    # pyramid
    max_size: int = 250  # longest side of the finest scale (the image is downscaled to this)
    min_size: int = 25  # shortest side of the coarsest scale
    scale_factor: float = 0.75  # requested ratio between neighbouring scales (r)
    # networks
    num_layers: int = 5  # conv blocks per generator / discriminator (receptive field 2*n+1)
    kernel_size: int = 3
    base_channels: int = 32  # width at the coarsest scales
    max_channels: int = 128  # width cap; width doubles every `channel_growth_every` scales
    channel_growth_every: int = 4
    # crops: a scale whose longer side exceeds crop_size trains on random windows of its own
    # shape with that longer side (the patch GAN only ever sees 11 px patches), so a step's cost
    # stops growing with the image; 0 = whole images (the paper)
    crop_size: int = 0
    # optimisation
    iters: int = 2000  # iterations at the coarsest scale
    iters_finest: int = 2000  # iterations at the finest scale (geometric in between)
    d_steps: int = 3  # discriminator steps per iteration
    g_steps: int = 3  # generator steps per iteration
    lr: float = 5e-4  # Adam learning rate for G and D
    beta1: float = 0.5
    lr_decay_at: float = 0.8  # fraction of a scale's iterations after which lr is multiplied by 0.1
    loss: str = "wgan-gp"  # adversarial loss: wgan-gp | hinge | lsgan
    gp_weight: float = 0.1  # gradient penalty weight (wgan-gp only)
    # the same on scales that train on windows (crop_size): with 0.1 the finest windowed
    # generator of a large photo learns to amplify its noise into a fine diagonal hatching that
    # its critic scores as real (docs/benchmarks.md, "Clean large photos")
    gp_weight_windowed: float = 1.0
    spectral_norm: bool = False  # spectral normalisation on the discriminator convs
    rec_weight: float = 10.0  # weight of the reconstruction loss (alpha)
    noise_amp_weight: float = 0.1  # sigma_n = noise_amp_weight * RMSE(real_n, up(rec_{n-1}))
    # noise at the coarsest scale: 3 independent channels, or one channel repeated (the paper:
    # the coarsest variation is then in layout and brightness, not in colour)
    coarse_noise: str = "rgb"  # rgb | gray
    # run
    seed: int = 0
    device: str = "auto"  # auto | cpu | cuda | mps
    # bf16 autocast for training (weights and optimiser stay fp32): "auto" uses it where the
    # device computes bf16 natively (AMX / AVX512-BF16 CPUs, Ampere+ GPUs), fp32 elsewhere
    precision: str = "auto"  # auto | bf16 | fp32

    def channels_at(self, scale: int) -> int:
        """Network width at `scale` (0 = coarsest)."""
        return min(self.base_channels * 2 ** (scale // self.channel_growth_every), self.max_channels)

    def iters_at(self, scale: int, num_scales: int) -> int:
        """Iterations at `scale`: `iters` at the coarsest, `iters_finest` at the finest."""
        if num_scales <= 1:
            return self.iters
        t = scale / (num_scales - 1)
        return max(1, round(self.iters * (self.iters_finest / self.iters) ** t))

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


PRESETS: dict[str, dict[str, Any]] = {
    # The paper's settings (SinGAN, ICCV 2019): 2000 iterations per scale, widths 32 -> 128,
    # 3 D + 3 G steps, WGAN-GP, one noise channel at the coarsest scale. Hours on a 2-core CPU;
    # for a GPU.
    "paper": {"coarse_noise": "gray"},
    # Cheap enough for a laptop CPU: width 32 at every scale, most iterations at the cheap coarse
    # scales (1000 at the coarsest down to 200 at the finest), one D and one G step per iteration.
    # A 16 px coarsest scale (the paper: 25) lets the 11 px receptive field see most of the image
    # there, so samples keep the photo's layout; smaller sizes cost diversity
    # (docs/benchmarks.md).
    # Photos above 250 px train their larger scales on 250 px windows (crop_size), so that
    # each scale above 250 px costs about what the finest scale of a 250 px model does.
    "default": {
        "min_size": 16,
        "crop_size": 250,
        "max_channels": 32,
        "iters": 1000,
        "iters_finest": 200,
        "d_steps": 1,
        "g_steps": 1,
    },
}


def _field_types() -> dict[str, type]:
    hints = typing.get_type_hints(TrainConfig)
    return {f.name: hints[f.name] for f in fields(TrainConfig)}


def _coerce(key: str, value: Any, kind: type, source: str) -> Any:
    """Convert a YAML/CLI value to the field's type, or raise ConfigError naming the key."""
    if kind is bool:
        if isinstance(value, bool):
            return value
    elif kind is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
    elif kind is float:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
        if isinstance(value, str):  # PyYAML reads "1e-4" as a string
            try:
                return float(value)
            except ValueError:
                pass
    elif kind is str:
        if isinstance(value, str):
            return value
    raise ConfigError(f"{source}: '{key}' must be {kind.__name__}, got {value!r}")


def validate(config: TrainConfig, source: str = "config") -> TrainConfig:
    """Check ranges; raise ConfigError naming the field. Returns the config unchanged."""
    c = config
    checks = [
        (c.max_size >= 16, "max_size", "must be >= 16"),
        (c.min_size >= 8, "min_size", "must be >= 8"),
        (c.min_size <= c.max_size, "min_size", "must be <= max_size"),
        (0.3 <= c.scale_factor < 1.0, "scale_factor", "must be in [0.3, 1)"),
        (1 <= c.num_layers <= MAX_LAYERS, "num_layers", f"must be in [1, {MAX_LAYERS}]"),
        (c.kernel_size in KERNEL_SIZES, "kernel_size", "must be 1, 3, 5 or 7"),
        (1 <= c.base_channels <= MAX_WIDTH, "base_channels", f"must be in [1, {MAX_WIDTH}]"),
        (c.base_channels <= c.max_channels <= MAX_WIDTH, "max_channels",
         f"must be in [base_channels, {MAX_WIDTH}]"),
        (c.channel_growth_every >= 1, "channel_growth_every", "must be >= 1"),
        (c.crop_size == 0 or c.crop_size >= 4 * c.num_layers * (c.kernel_size // 2),
         "crop_size", "must be 0 (whole images) or at least 4 x the receptive radius "
         f"({4 * c.num_layers * (c.kernel_size // 2)} px)"),
        (c.iters >= 1, "iters", "must be >= 1"),
        (c.iters_finest >= 1, "iters_finest", "must be >= 1"),
        (c.d_steps >= 1, "d_steps", "must be >= 1"),
        (c.g_steps >= 1, "g_steps", "must be >= 1"),
        (0 < c.lr < 1, "lr", "must be in (0, 1)"),
        (0 <= c.beta1 < 1, "beta1", "must be in [0, 1)"),
        (0 < c.lr_decay_at <= 1, "lr_decay_at", "must be in (0, 1]"),
        (c.loss in LOSSES, "loss", f"must be one of {', '.join(LOSSES)}"),
        (c.gp_weight >= 0, "gp_weight", "must be >= 0"),
        (c.gp_weight_windowed >= 0, "gp_weight_windowed", "must be >= 0"),
        (c.rec_weight >= 0, "rec_weight", "must be >= 0"),
        (c.noise_amp_weight >= 0, "noise_amp_weight", "must be >= 0"),
        (c.coarse_noise in COARSE_NOISES, "coarse_noise", f"must be one of {', '.join(COARSE_NOISES)}"),
        (c.device in DEVICES, "device", f"must be one of {', '.join(DEVICES)}"),
        (c.precision in PRECISIONS, "precision", f"must be one of {', '.join(PRECISIONS)}"),
    ]
    for ok, key, message in checks:
        if not ok:
            raise ConfigError(f"{source}: '{key}' {message} (got {getattr(c, key)!r})")
    return config


def config_from_dict(values: dict[str, Any], base: TrainConfig | None = None,
                     source: str = "config") -> TrainConfig:
    """Apply `values` on top of `base`; unknown keys and wrong types raise ConfigError."""
    types_by_name = _field_types()
    clean: dict[str, Any] = {}
    for key, value in values.items():
        name = str(key).replace("-", "_")
        if name not in types_by_name:
            known = ", ".join(sorted(types_by_name))
            raise ConfigError(f"{source}: unknown key '{key}' (known keys: {known})")
        clean[name] = _coerce(name, value, types_by_name[name], source)
    return dataclasses.replace(base or TrainConfig(), **clean)


def load_config_file(path: Path) -> dict[str, Any]:
    """Read a YAML mapping of config keys (safe_load only)."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{path}: config file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read config file ({exc})") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML ({str(exc).splitlines()[0]})") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: must be a mapping of config keys, e.g. 'iters: 500'")
    if "format_version" in data:  # a model's config.yaml: take the config it was trained with
        section = data.get("training", data.get("config"))  # format 2, format 1
        if not isinstance(section, dict):
            raise ConfigError(f"{path}: this model config holds no training config")
        data = with_keys_added_since(section)
    return data


def with_keys_added_since(record: dict[str, Any]) -> dict[str, Any]:
    """A model's training record with the keys added since it was written, at the values its
    training used (`record` itself is never changed)."""
    if "gp_weight_windowed" not in record and "gp_weight" in record:
        # its windowed scales trained with gp_weight
        record = {**record, "gp_weight_windowed": record["gp_weight"]}
    return record


def resolve_config(preset: str = "default", config_file: Path | None = None,
                   overrides: dict[str, Any] | None = None) -> TrainConfig:
    """Preset, then the config file, then explicit flags; validated."""
    if preset not in PRESETS:
        raise ConfigError(f"unknown preset '{preset}' (choose from {', '.join(PRESETS)})")
    config = config_from_dict(PRESETS[preset], source=f"preset {preset}")
    if config_file is not None:
        config = config_from_dict(load_config_file(config_file), config, source=str(config_file))
    if overrides:
        config = config_from_dict({k: v for k, v in overrides.items() if v is not None}, config,
                                  source="flags")
    return validate(config)


__all__ = ["LOSSES", "DEVICES", "PRECISIONS", "COARSE_NOISES", "MAX_LAYERS", "KERNEL_SIZES",
           "MAX_WIDTH", "PRESETS", "TrainConfig", "config_from_dict", "load_config_file",
           "resolve_config", "validate"]
