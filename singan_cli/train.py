"""`singan train IMAGE --out DIR`: train a model directory on one image.

    singan train photo.jpg --out model/ [--preset paper] [--config cfg.yaml] [--iters 500]
"""

from __future__ import annotations

import signal
from enum import Enum
from pathlib import Path
from typing import Annotated, Any

import typer

from singan_cli.common import emit, say, user_errors


class Preset(str, Enum):
    default = "default"
    paper = "paper"


class Loss(str, Enum):
    wgan_gp = "wgan-gp"
    hinge = "hinge"
    lsgan = "lsgan"


class Device(str, Enum):
    auto = "auto"
    cpu = "cpu"
    cuda = "cuda"
    mps = "mps"


# Options shared by every command that trains a model (train, sr). Each maps to the config field
# of the same name; None means "keep the preset / config-file value".
PresetOption = Annotated[Preset, typer.Option(help="Settings to start from: default (fast on a "
                                              "CPU) or paper (the paper's numbers).")]
ConfigOption = Annotated[Path | None, typer.Option("--config", help="YAML file of config keys, "
                                                   "applied after the preset; flags override it.")]
MaxSizeOption = Annotated[int | None, typer.Option(min=16, help="Longest side of the finest scale.")]
MinSizeOption = Annotated[int | None, typer.Option(min=8, help="Shortest side of the coarsest scale.")]
ScaleFactorOption = Annotated[float | None, typer.Option(min=0.3, max=0.99,
                                                         help="Size ratio between scales (r).")]
ItersOption = Annotated[int | None, typer.Option(min=1, help="Iterations at the coarsest scale.")]
ItersFinestOption = Annotated[int | None, typer.Option(min=1, help="Iterations at the finest scale.")]
LossOption = Annotated[Loss | None, typer.Option(help="Adversarial loss.")]
SpectralOption = Annotated[bool | None, typer.Option("--spectral-norm/--no-spectral-norm",
                                                     help="Spectral norm on the discriminator.")]
SeedOption = Annotated[int | None, typer.Option(help="Random seed (weights and noise).")]
DeviceOption = Annotated[Device | None, typer.Option(help="Where to train.")]


TRAINING_FLAGS = ("max_size", "min_size", "scale_factor", "iters", "iters_finest", "loss",
                  "spectral_norm", "seed", "device")


def training_overrides(arguments: dict[str, Any]) -> dict[str, Any]:
    """The training flags among a command's arguments -> config overrides (enums to their
    values; flags left unset, None, keep the preset / config-file value)."""
    values = {k: arguments[k] for k in TRAINING_FLAGS}
    return {k: (v.value if isinstance(v, Enum) else v) for k, v in values.items() if v is not None}


def train_command(
    image: Annotated[Path, typer.Argument(help="The training image (PNG, JPEG, ...).")],
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Model directory to write "
                                             "[default: <image name>-singan/].")] = None,
    preset: PresetOption = Preset.default,
    config: ConfigOption = None,
    max_size: MaxSizeOption = None,
    min_size: MinSizeOption = None,
    scale_factor: ScaleFactorOption = None,
    iters: ItersOption = None,
    iters_finest: ItersFinestOption = None,
    loss: LossOption = None,
    spectral_norm: SpectralOption = None,
    seed: SeedOption = None,
    device: DeviceOption = None,
    resume: Annotated[bool, typer.Option(help="Continue an interrupted training in --out.")] = False,
    force: Annotated[bool, typer.Option(help="Overwrite a model already in --out.")] = False,
    dry_run: Annotated[bool, typer.Option(help="Print the resolved config and the scales, "
                                          "then stop.")] = False,
) -> None:
    """Train a SinGAN on one image; writes a model directory (its path goes to stdout)."""
    with user_errors():
        from models.config import resolve_config

        cfg = resolve_config(preset.value, config, training_overrides(locals()))
        out = out or Path(f"{image.stem}-singan")
        run_training(image, out, cfg, resume=resume, force=force, dry_run=dry_run)


def _raise_interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt  # SIGTERM stops training like Ctrl-C: finished scales are kept


def run_training(image_path: Path, out: Path, cfg: Any, resume: bool = False, force: bool = False,
                 dry_run: bool = False, quiet_result: bool = False) -> Any:
    """Load the image, prepare `out`, train with progress on stderr; returns the SinGAN."""
    import yaml

    from models.checkpoint import CONFIG_FILE
    from models.errors import ImageError, TrainingError
    from models.image_io import load_image
    from models.resume import TrainingLock, check_memory, prepare_output
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
        say(yaml.safe_dump({"config": cfg.to_dict()}, sort_keys=False).rstrip())
        for n, (h, w) in enumerate(model.geometry.sizes):
            say(f"scale {n}: {w}x{h}, {cfg.channels_at(n)} channels, "
                f"{cfg.iters_at(n, model.geometry.num_scales)} iterations")
        return model
    check_memory(model)
    previous_sigterm = signal.signal(signal.SIGTERM, _raise_interrupt)
    try:
        with TrainingLock(out):
            model = prepare_output(out, model, resume=resume, force=force)
            h, w = model.geometry.sizes[-1]
            say(f"training on {image_path} ({w}x{h}, {model.geometry.num_scales} scales, "
                f"r = {model.geometry.scale_factor:.3f}) on {model.device}; model -> {out}/"
                + (f" (resuming at scale {model.num_trained})" if model.num_trained else ""))
            with TrainingProgress() as progress:
                model = train(image, cfg, save_dir=out, progress=progress, model=model)
    except KeyboardInterrupt:
        finished = model.num_trained
        raise TrainingError(
            f"interrupted; {finished} of {model.geometry.num_scales} scales are saved in {out}/. "
            f"Continue with: singan train {image_path} --out {out} --resume (same flags)") from None
    finally:
        signal.signal(signal.SIGTERM, previous_sigterm)
    total = sum(model.train_seconds)
    say(f"done in {total:.1f} s; previews in {out / 'previews'}/, settings in {out / CONFIG_FILE}")
    if not quiet_result:
        emit(out)
    return model
