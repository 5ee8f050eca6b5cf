"""The training flags that `train`, `sr` and `train-many` share: one option per TrainConfig key,
the preset and --config options, and how a command's arguments become config overrides.

    @with_training_flags
    def command(image: Path, preset: PresetOption = Preset.default, config: ConfigOption = None,
                **training: Any) -> None:
        cfg = resolve_config(preset.value, config, training_overrides(training))
"""

from __future__ import annotations

import functools
import inspect
import typing
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Annotated, Any

import typer

from models.config import COARSE_NOISES, DEVICES, LOSSES, PRECISIONS, TrainConfig


class Preset(str, Enum):
    default = "default"
    paper = "paper"


# Options shared by every command that trains a model (train, sr, train-many).
PresetOption = Annotated[Preset, typer.Option(help="Settings to start from: default (fast on a "
                                              "CPU) or paper (the paper's numbers).")]
ConfigOption = Annotated[Path | None, typer.Option("--config", help="YAML file of config keys, "
                                                   "applied after the preset; flags override it.")]


@dataclass(frozen=True)
class Flag:
    """How one TrainConfig field appears on the command line (as --field-name)."""

    help: str
    min: float | None = None  # bounds checked by the option parser (exit 2, the flag named);
    max: float | None = None  # validate() still checks every value, from flags or a file
    choices: tuple[str, ...] = ()


# The one list of training flags: one per TrainConfig field, same name (--rec-weight is
# rec_weight), on every command that trains (train, sr, train-many). None (flag not given) keeps the preset /
# config-file value. A TrainConfig field missing here fails tests/cli/test_script_output.py.
TRAINING_FLAGS: dict[str, Flag] = {
    "max_size": Flag("Longest side of the finest scale (the image is downscaled to it).", min=16),
    "min_size": Flag("Shortest side of the coarsest scale.", min=8),
    "scale_factor": Flag("Size ratio between neighbouring scales (r).", min=0.3, max=0.99),
    "num_layers": Flag("Conv blocks per generator and discriminator.", min=1, max=16),
    "kernel_size": Flag("Conv kernel size: 1, 3, 5 or 7.", min=1, max=7),
    "base_channels": Flag("Network width at the coarsest scales.", min=1, max=1024),
    "max_channels": Flag("Network width cap.", min=1, max=1024),
    "channel_growth_every": Flag("The width doubles every this many scales.", min=1),
    "crop_size": Flag("A scale whose longer side exceeds this trains on random windows of "
                      "its shape with that longer side (0: whole images, the paper).", min=0),
    "iters": Flag("Iterations at the coarsest scale.", min=1),
    "iters_finest": Flag("Iterations at the finest scale (geometric in between).", min=1),
    "d_steps": Flag("Discriminator steps per iteration.", min=1),
    "g_steps": Flag("Generator steps per iteration.", min=1),
    "lr": Flag("Adam learning rate of G and D."),
    "beta1": Flag("Adam beta1."),
    "lr_decay_at": Flag("Fraction of a scale's iterations after which lr is divided by 10."),
    "loss": Flag("Adversarial loss.", choices=LOSSES),
    "gp_weight": Flag("Gradient penalty weight (wgan-gp only).", min=0),
    "gp_weight_windowed": Flag("Gradient penalty weight on the scales that train on windows "
                               "(crop_size).", min=0),
    "spectral_norm": Flag("Spectral norm on the discriminator."),
    "rec_weight": Flag("Weight of the reconstruction loss (the paper's alpha).", min=0),
    "noise_amp_weight": Flag("Noise amplitude of a scale = this x RMSE(real, upsampled "
                             "reconstruction).", min=0),
    "coarse_noise": Flag("Noise at the coarsest scale: rgb (3 channels) or gray (one channel "
                         "on all three, the paper: no colour in the coarsest variation).",
                         choices=COARSE_NOISES),
    "seed": Flag("Random seed (weights and noise); without it a fresh one is drawn and printed "
                 "(--resume takes the saved one)."),
    "device": Flag("Where to train.", choices=DEVICES),
    "precision": Flag("bf16 autocast in training: auto (where the device computes bf16 "
                      "natively), bf16 or fp32.", choices=PRECISIONS),
}


PANEL = "Config keys (--rec-weight sets rec_weight; unset: preset / --config value)"


def _flag_parameter(name: str, kind: type, flag: Flag) -> inspect.Parameter:
    dash = name.replace("_", "-")
    if kind is bool:
        option = typer.Option(f"--{dash}/--no-{dash}", help=flag.help, rich_help_panel=PANEL)
    elif flag.choices:
        # typer lists an Enum's values as the choices; the value is read back in training_overrides
        kind = Enum(name.title().replace("_", ""), {c: c for c in flag.choices}, type=str)
        option = typer.Option(f"--{dash}", help=flag.help, rich_help_panel=PANEL)
    else:
        option = typer.Option(f"--{dash}", min=flag.min, max=flag.max, help=flag.help,
                              rich_help_panel=PANEL)
    return inspect.Parameter(name, inspect.Parameter.POSITIONAL_OR_KEYWORD, default=None,
                             annotation=Annotated[kind | None, option])


# Not a config key: how many threads run does not change what is learned.
ThreadsOption = Annotated[int, typer.Option(min=0, help="CPU threads per training step; 0 = "
                                            "choose per scale from its size and the cores other "
                                            "processes leave free, within OMP_NUM_THREADS.")]


def with_training_flags(command: Callable[..., None]) -> Callable[..., None]:
    """Give `command` one option per TRAINING_FLAGS entry (after its --config option); it
    receives them in its `**training` argument, for `training_overrides`."""
    signature = inspect.signature(command, eval_str=True)
    types = typing.get_type_hints(TrainConfig)
    flags = [_flag_parameter(name, types[name], flag) for name, flag in TRAINING_FLAGS.items()]
    own = [p for p in signature.parameters.values() if p.kind is not p.VAR_KEYWORD]
    at = [p.name for p in own].index("config") + 1 if "config" in signature.parameters else len(own)

    @functools.wraps(command)
    def wrapper(**kwargs: Any) -> None:
        command(**kwargs)

    wrapper.__signature__ = signature.replace(parameters=[*own[:at], *flags, *own[at:]])  # type: ignore[attr-defined]
    return wrapper


def training_overrides(arguments: dict[str, Any]) -> dict[str, Any]:
    """The training flags among a command's arguments -> config overrides (enums to their
    values; flags left unset, None, keep the preset / config-file value)."""
    values = {k: arguments.get(k) for k in TRAINING_FLAGS}
    return {k: (v.value if isinstance(v, Enum) else v) for k, v in values.items() if v is not None}


def sets_key(config_file: Path | None, key: str) -> bool:
    """Whether a --config file sets `key`."""
    from models.config import load_config_file

    return config_file is not None and key in load_config_file(config_file)


def saved_seed(model_dir: Path) -> int | None:
    """The seed of the model in `model_dir`, None if there is none (or it is unreadable: then
    the resume check says what is wrong)."""
    from models.checkpoint import CONFIG_FILE
    from models.config import load_config_file
    from models.errors import ConfigError

    try:
        seed = load_config_file(model_dir / CONFIG_FILE).get("seed")
    except ConfigError:
        return None
    return seed if isinstance(seed, int) else None
