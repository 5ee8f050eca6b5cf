"""The model directory: the single door for reading and writing trained models.

    save_model(model, Path("model/"))     # after every finished scale
    model = load_model(Path("model/"))    # never executes code: safetensors + yaml.safe_load

Layout (file names are fixed; nothing in config.yaml is a path):
    config.yaml                 format_version, singan_version, training config, geometry,
                                per finished scale: size, channels, noise_amp, train_seconds
    generators.safetensors      scale_NN.<param> for every finished scale, and z_rec
    discriminators.safetensors  scale_NN.<param> (for fine-tuning)
    image.png                   the training image as used (after capping)
    previews/scale_NN.png       the real image and a few samples after each scale

Each file is written to a temp file and renamed; config.yaml is written last and lists the
finished scales, so the directory always loads up to its last finished scale.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import torch
import yaml
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file

from models.config import config_from_dict, validate
from models.errors import ConfigError, ImageError, ModelDirError
from models.geometry import Geometry
from models.image_io import atomic_write, image_grid, load_image, save_image
from models.networks import Discriminator, Generator
from models.singan import SinGAN
from models.version import __version__

FORMAT_VERSION = 1
CONFIG_FILE = "config.yaml"
GENERATORS_FILE = "generators.safetensors"
DISCRIMINATORS_FILE = "discriminators.safetensors"
IMAGE_FILE = "image.png"
PREVIEW_DIR = "previews"
TRAIN_LOG_FILE = "train_log.csv"
TRAIN_LOG_LOSSES = ("d", "g_adv", "rec")
TOP_LEVEL_KEYS = {"format_version", "singan_version", "config", "geometry", "scales"}


def _flat_state(networks: list[torch.nn.Module]) -> dict[str, torch.Tensor]:
    return {f"scale_{n:02d}.{key}": value.detach().cpu().contiguous()
            for n, net in enumerate(networks) for key, value in net.state_dict().items()}


def _scale_state(tensors: dict[str, torch.Tensor], scale: int) -> dict[str, torch.Tensor]:
    prefix = f"scale_{scale:02d}."
    return {k[len(prefix):]: v for k, v in tensors.items() if k.startswith(prefix)}


def model_summary(model: SinGAN) -> dict[str, Any]:
    """The content of config.yaml (plain Python scalars only, so safe_dump round-trips)."""
    return {
        "format_version": FORMAT_VERSION,
        "singan_version": __version__,
        "config": model.config.to_dict(),
        "geometry": {
            "scale_factor": float(model.geometry.scale_factor),
            "sizes": [[int(h), int(w)] for h, w in model.geometry.sizes],
        },
        "scales": [
            {"scale": n, "size": [int(h), int(w)], "channels": model.config.channels_at(n),
             "noise_amp": float(model.noise_amps[n]),
             "train_seconds": round(float(model.train_seconds[n]), 2)}
            for n, (h, w) in enumerate(model.geometry.sizes[: model.num_trained])
        ],
    }


def save_model(model: SinGAN, directory: Path) -> Path:
    """Write (or update) the model directory; consistent on disk after every call."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    if not (directory / IMAGE_FILE).exists():
        save_image(model.image, directory / IMAGE_FILE)
    generators = _flat_state(model.generators)
    if model.z_rec is not None:
        generators["z_rec"] = model.z_rec.detach().cpu().contiguous()
    atomic_write(directory / GENERATORS_FILE, lambda tmp: save_file(generators, str(tmp)))
    if model.discriminators:
        discriminators = _flat_state(model.discriminators)
        atomic_write(directory / DISCRIMINATORS_FILE, lambda tmp: save_file(discriminators, str(tmp)))
    text = yaml.safe_dump(model_summary(model), sort_keys=False)
    atomic_write(directory / CONFIG_FILE, lambda tmp: tmp.write_text(text, encoding="utf-8"))
    return directory


def write_preview(model: SinGAN, directory: Path, count: int = 4, seed: int = 0) -> Path:
    """previews/scale_NN.png: the real image at the newest scale, then `count` samples."""
    scale = model.num_trained - 1
    real = model.reals()[scale]
    samples = [model.generate(noise=model.draw_noise(seed=seed, index=i), stop_scale=scale)
               for i in range(count)]
    path = Path(directory) / PREVIEW_DIR / f"scale_{scale:02d}.png"
    return save_image(image_grid([real, *samples]), path)


def _read_summary(directory: Path) -> dict[str, Any]:
    if not directory.exists():
        raise ModelDirError(f"{directory}: model directory not found (train one with "
                            f"`singan train IMAGE --out {directory}`)")
    if not directory.is_dir():
        raise ModelDirError(f"{directory}: is a file, expected a model directory made by "
                            f"`singan train`")
    config_path = directory / CONFIG_FILE
    if not config_path.exists():
        raise ModelDirError(f"{directory}: not a singan model directory ({CONFIG_FILE} is "
                            f"missing); train one with `singan train IMAGE --out {directory}`")
    try:
        summary = yaml.safe_load(config_path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError, OSError) as exc:
        raise ModelDirError(f"{config_path}: unreadable ({str(exc).splitlines()[0]}); "
                            f"the model directory is damaged, train again") from None
    if not isinstance(summary, dict):
        raise ModelDirError(f"{config_path}: not a singan model config; train again")
    unknown = set(summary) - TOP_LEVEL_KEYS
    if unknown:
        raise ModelDirError(f"{config_path}: unknown entries {sorted(unknown)}; a model directory "
                            f"holds only its own fixed files, so this config was edited or made "
                            f"by another tool")
    version = summary.get("format_version")
    if version != FORMAT_VERSION:
        raise ModelDirError(f"{config_path}: model format version {version!r} is not supported "
                            f"by singan {__version__} (expects {FORMAT_VERSION}); train the model "
                            f"again with this version")
    return summary


def _parse_geometry(summary: dict[str, Any], where: Path) -> tuple[Geometry, list[dict[str, Any]]]:
    try:
        geometry = Geometry(sizes=tuple((int(h), int(w)) for h, w in summary["geometry"]["sizes"]),
                            scale_factor=float(summary["geometry"]["scale_factor"]))
        scales = list(summary["scales"] or [])
        for n, entry in enumerate(scales):
            if int(entry["scale"]) != n or [int(x) for x in entry["size"]] != list(geometry.sizes[n]):
                raise ValueError(f"scale {n} does not match the geometry")
            if not math.isfinite(float(entry["noise_amp"])):
                raise ValueError(f"scale {n} has a non-finite noise_amp")
    except (KeyError, TypeError, ValueError, IndexError) as exc:
        raise ModelDirError(f"{where}: geometry or scales are malformed ({exc}); "
                            f"train the model again") from None
    if len(scales) > geometry.num_scales:
        raise ModelDirError(f"{where}: lists more scales than the geometry has; train again")
    return geometry, scales


def _load_weights(path: Path, device: torch.device) -> dict[str, torch.Tensor]:
    if not path.exists():
        raise ModelDirError(f"{path}: weights file is missing; the model directory is incomplete "
                            f"(train again, or resume training)")
    try:
        return load_file(str(path), device=str(device))
    except (SafetensorError, OSError, ValueError, RuntimeError) as exc:
        raise ModelDirError(f"{path}: weights file is damaged or truncated ({exc}); "
                            f"train the model again") from None


def load_model(directory: Path, device: str | torch.device = "cpu",
               with_discriminators: bool = False, allow_empty: bool = False) -> SinGAN:
    """Load a model directory (up to its last finished scale) onto `device`.

    Raises ModelDirError with a one-line message for a missing, partial, damaged or
    foreign-version directory. `allow_empty` accepts a directory whose training has not finished
    its first scale (for resuming).
    """
    directory = Path(directory)
    device = torch.device(device)
    summary = _read_summary(directory)
    where = directory / CONFIG_FILE
    try:
        config = validate(config_from_dict(summary.get("config") or {}, source=str(where)),
                          source=str(where))
    except ConfigError as exc:
        raise ModelDirError(f"{exc}; the model directory is damaged, train again") from None
    geometry, scales = _parse_geometry(summary, where)
    if not scales and not allow_empty:
        raise ModelDirError(f"{directory}: no finished scale yet (training was stopped during "
                            f"the first scale); continue it with `singan train IMAGE --out "
                            f"{directory} --resume`")
    try:
        image = load_image(directory / IMAGE_FILE).to(device)
    except ImageError as exc:
        raise ModelDirError(f"{exc} (the model's training image); train the model again") from None
    if tuple(image.shape[-2:]) != geometry.sizes[-1]:
        raise ModelDirError(f"{directory / IMAGE_FILE}: size {tuple(image.shape[-2:])} does not "
                            f"match the geometry {geometry.sizes[-1]}; train again")
    tensors = _load_weights(directory / GENERATORS_FILE, device)
    model = SinGAN(config=config, geometry=geometry, image=image,
                   noise_amps=[float(s["noise_amp"]) for s in scales],
                   train_seconds=[float(s.get("train_seconds", 0.0)) for s in scales])
    model.z_rec = tensors.get("z_rec")
    if model.z_rec is None or tuple(model.z_rec.shape) != (1, 3, *geometry.sizes[0]):
        raise ModelDirError(f"{directory / GENERATORS_FILE}: reconstruction noise z_rec is missing "
                            f"or has the wrong shape; train again")
    need_discriminators = with_discriminators and bool(scales)  # none exist before scale 0 ends
    disc_tensors = _load_weights(directory / DISCRIMINATORS_FILE, device) if need_discriminators else {}
    for n in range(len(scales)):
        channels = config.channels_at(n)
        generator = Generator(channels, config.num_layers, config.kernel_size).to(device)
        _load_state(generator, _scale_state(tensors, n), directory / GENERATORS_FILE, n)
        model.generators.append(generator.eval().requires_grad_(False))
        if with_discriminators:
            disc = Discriminator(channels, config.num_layers, config.kernel_size,
                                 config.spectral_norm).to(device)
            _load_state(disc, _scale_state(disc_tensors, n), directory / DISCRIMINATORS_FILE, n)
            model.discriminators.append(disc)
    return model


def _load_state(net: torch.nn.Module, state: dict[str, torch.Tensor], path: Path, scale: int) -> None:
    try:
        net.load_state_dict(state, strict=True)
    except RuntimeError as exc:
        first = str(exc).splitlines()[0] if str(exc) else "mismatch"
        detail = "missing" if not state else f"do not match the config ({first[:120]})"
        raise ModelDirError(f"{path}: weights of scale {scale} {detail}; the model directory is "
                            f"damaged or edited, train again") from None


def write_train_log(directory: Path, scale: int, rows: list[tuple[int, dict[str, float]]]) -> Path:
    """Record the losses of a finished scale in train_log.csv (a record; loading never reads it).

    Columns: scale, iteration, then TRAIN_LOG_LOSSES. Rows of this scale or later already in the
    file (from a training that was stopped and started over) are replaced.
    """
    path = Path(directory) / TRAIN_LOG_FILE
    header = ",".join(("scale", "iteration", *TRAIN_LOG_LOSSES))
    kept: list[str] = []
    if path.exists():
        for line in path.read_text(encoding="utf-8").splitlines()[1:]:
            first = line.split(",", 1)[0]
            if first.isdigit() and int(first) < scale:
                kept.append(line)
    new = [",".join([str(scale), str(it), *(f"{losses.get(k, float('nan')):.6g}"
                                             for k in TRAIN_LOG_LOSSES)]) for it, losses in rows]
    text = "\n".join([header, *kept, *new]) + "\n"
    atomic_write(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))
    return path


def saved_scale_count(directory: Path) -> int:
    """How many finished scales the model directory lists (0 if it holds no readable model)."""
    try:
        summary = yaml.safe_load((Path(directory) / CONFIG_FILE).read_text(encoding="utf-8"))
        return len(summary.get("scales") or [])
    except (OSError, yaml.YAMLError, AttributeError, UnicodeDecodeError):
        return 0
