"""`singan train IMAGE --out DIR`: train a model directory on one image.

    singan train photo.jpg --out model/ [--preset paper] [--config cfg.yaml] [--iters 500]
"""

from __future__ import annotations

import functools
import inspect
import signal
import time
import typing
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Annotated, Any

import typer

from models.config import COARSE_NOISES, DEVICES, LOSSES, PRECISIONS, TrainConfig
from singan_cli.common import emit, pick_seed, say, user_errors


class Preset(str, Enum):
    default = "default"
    paper = "paper"


# Options shared by every command that trains a model (train, sr).
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
# rec_weight), on every command that trains (train, sr). None (flag not given) keeps the preset /
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


@with_training_flags
def train_command(
    image: Annotated[Path, typer.Argument(help="The training image (PNG, JPEG, ...).")],
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Model directory to write "
                                             "\\[default: <image name>-singan/].")] = None,
    preset: PresetOption = Preset.default,
    config: ConfigOption = None,
    resume: Annotated[bool, typer.Option(help="Continue an interrupted training in --out.")] = False,
    force: Annotated[bool, typer.Option(help="Overwrite a model already in --out.")] = False,
    dry_run: Annotated[bool, typer.Option(help="Print the resolved config (YAML that --config "
                                          "reads back) on stdout and the scales on stderr, "
                                          "then stop.")] = False,
    threads: ThreadsOption = 0,
    **training: Any,
) -> None:
    """Train a SinGAN on one image; writes a model directory (its path goes to stdout).

    Every config key is a flag of the same name (--rec-weight is rec_weight).
    """
    with user_errors():
        from models.config import resolve_config

        out = out or Path(f"{image.stem}-singan")
        overrides = training_overrides(training)
        if "seed" not in overrides and not sets_key(config, "seed"):
            # no seed given: the saved one when resuming, else a fresh one (said on stderr)
            saved = saved_seed(out) if resume else None
            overrides["seed"] = pick_seed(None) if saved is None else saved
        cfg = resolve_config(preset.value, config, overrides)
        run_training(image, out, cfg, resume=resume, force=force, dry_run=dry_run, threads=threads)


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


def _raise_interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt  # SIGTERM stops training like Ctrl-C: finished scales are kept


def run_training(image_path: Path, out: Path, cfg: Any, resume: bool = False, force: bool = False,
                 dry_run: bool = False, quiet_result: bool = False,
                 keep_interrupt: bool = False, threads: int = 0) -> Any:
    """Load the image, prepare `out`, train with progress on stderr; returns the SinGAN.

    keep_interrupt: let Ctrl-C / SIGTERM through as KeyboardInterrupt (the caller, e.g. sr,
    says how to continue) instead of the `singan train --resume` hint.
    """
    import yaml

    from models.checkpoint import CONFIG_FILE, saved_scale_count
    from models.errors import ImageError, TrainingError
    from models.image_io import load_image
    from models.trainer import new_model, train
    from singan_cli.progress import TrainingProgress

    notes: list[str] = []
    image = load_image(image_path, cfg.max_size, notes)
    for note in notes:
        say(note)
    try:
        model = new_model(image, cfg)
    except ImageError as exc:  # the geometry does not know the file's name
        raise ImageError(f"{image_path}: {exc}") from None
    if dry_run:
        # stdout: every config key, a file that --config reads back; stderr: the plan
        typer.echo("# singan train config; use it with: singan train IMAGE --config FILE\n"
                   + yaml.safe_dump(cfg.to_dict(), sort_keys=False), nl=False)
        for n, (h, w) in enumerate(model.geometry.sizes):
            say(f"scale {n}: {w}x{h}, {cfg.channels_at(n)} channels, "
                f"{cfg.iters_at(n, model.geometry.num_scales)} iterations")
        return model
    previous_sigterm = signal.signal(signal.SIGTERM, _raise_interrupt)
    h, w = model.geometry.sizes[-1]
    # said with the first progress report, so a refused --out stays a one-line error
    header = (f"training on {image_path} ({w}x{h}, {model.geometry.num_scales} scales, "
              f"r = {model.geometry.scale_factor:.3f}) on {model.device}; model -> {out}/")
    started = time.perf_counter()
    try:
        with TrainingProgress(header) as progress:
            # the lock, overwrite/resume rules, disk and memory checks live in the trainer
            model = train(image, cfg, save_dir=out, progress=progress, model=model,
                          resume=resume, force=force, threads=threads)
    except KeyboardInterrupt:
        if keep_interrupt:
            raise
        finished = saved_scale_count(out)
        raise TrainingError(
            f"interrupted; {finished} of {model.geometry.num_scales} scales are saved in {out}/. "
            f"Continue with: singan train {image_path} --out {out} --resume (same flags)") from None
    finally:
        signal.signal(signal.SIGTERM, previous_sigterm)
    total = time.perf_counter() - started
    say(f"done in {total:.1f} s; previews in {out / 'previews'}/, settings in {out / CONFIG_FILE}")
    if not quiet_result:
        emit(out)
    return model
