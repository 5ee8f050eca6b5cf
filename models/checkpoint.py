"""The model directory: the single door for reading and writing trained models.

    save_model(model, Path("model/"))     # after every finished scale
    model = load_model(Path("model/"))    # never executes code: safetensors + yaml.safe_load

Layout (file names are fixed; nothing in config.yaml is a path):
    config.yaml                 format_version, singan_version, then what sampling needs:
                                architecture (num_layers, kernel_size, spectral_norm, channels per
                                scale, coarse_noise), geometry, per finished scale: size, noise_amp,
                                train_seconds; last the training config, kept as a record
    generators.safetensors      scale_NN.<param> for every finished scale, and z_rec
    discriminators.safetensors  scale_NN.<param> (for fine-tuning)
    image.png                   the training image as used (after capping)
    previews/scale_NN.png       the real image and a few samples after each scale
    train_log.csv               losses per scale and iteration (a record; loading never reads it)

Each file is written to a temp file and renamed; config.yaml is written last and lists the
finished scales, so the directory always loads up to its last finished scale.

Loading for sampling reads the training record leniently (a later version may rename or narrow
its options), and strictly only for resuming or fine-tuning (`with_discriminators=True`). Older
formats are upgraded in one place, `upgrade_summary`.
"""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path
from typing import Any

import torch
import yaml
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file

from models.config import (
    COARSE_NOISES,
    KERNEL_SIZES,
    MAX_LAYERS,
    MAX_WIDTH,
    TrainConfig,
    config_from_dict,
    validate,
    with_keys_added_since,
)
from models.errors import ConfigError, Fix, ImageError, ModelDirError
from models.geometry import Geometry
from models.image_io import atomic_write, image_grid, load_image, save_image
from models.networks import Discriminator, Generator
from models.singan import SinGAN
from models.version import __version__

FORMAT_VERSION = 2
CONFIG_FILE = "config.yaml"
GENERATORS_FILE = "generators.safetensors"
DISCRIMINATORS_FILE = "discriminators.safetensors"
IMAGE_FILE = "image.png"
PREVIEW_DIR = "previews"
TRAIN_LOG_FILE = "train_log.csv"
TRAIN_LOG_LOSSES = ("d", "g_adv", "rec")
TOP_LEVEL_KEYS = ("format_version", "singan_version", "architecture", "geometry", "scales",
                  "training")
REQUIRED_KEYS = ("format_version", "architecture", "geometry", "scales")  # training: a record
ARCHITECTURE_KEYS = ("num_layers", "kernel_size", "spectral_norm", "channels", "coarse_noise")
SCALE_KEYS = ("scale", "size", "noise_amp", "train_seconds")
SCALARS = (str, int, float, bool, type(None))


def _flat_state(networks: list[torch.nn.Module]) -> dict[str, torch.Tensor]:
    return {f"scale_{n:02d}.{key}": value.detach().cpu().contiguous()
            for n, net in enumerate(networks) for key, value in net.state_dict().items()}


def _scale_state(tensors: dict[str, torch.Tensor], scale: int) -> dict[str, torch.Tensor]:
    prefix = f"scale_{scale:02d}."
    return {k[len(prefix):]: v for k, v in tensors.items() if k.startswith(prefix)}


def model_summary(model: SinGAN) -> dict[str, Any]:
    """The content of config.yaml (plain Python scalars only, so safe_dump round-trips)."""
    config = model.config
    return {
        "format_version": FORMAT_VERSION,
        "singan_version": __version__,
        "architecture": {
            "num_layers": config.num_layers,
            "kernel_size": config.kernel_size,
            "spectral_norm": config.spectral_norm,  # discriminators only
            "channels": [config.channels_at(n) for n in range(model.geometry.num_scales)],
            "coarse_noise": config.coarse_noise,  # how sampling draws the scale-0 noise
        },
        "geometry": {
            "scale_factor": float(model.geometry.scale_factor),
            "sizes": [[int(h), int(w)] for h, w in model.geometry.sizes],
        },
        "scales": [
            {"scale": n, "size": [int(h), int(w)], "noise_amp": float(model.noise_amps[n]),
             "train_seconds": round(float(model.train_seconds[n]), 2)}
            for n, (h, w) in enumerate(model.geometry.sizes[: model.num_trained])
        ],
        "training": config.to_dict(),
    }


def save_model(model: SinGAN, directory: Path) -> Path:
    """Write (or update) the model directory; consistent on disk after every call."""
    if model.config_problem:  # its config is partly defaults: writing it would lose the record
        raise ModelDirError(f"{directory}: cannot save a model whose training record this "
                            f"version does not understand ({model.config_problem})")
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
        raise ModelDirError("model directory not found", path=directory, fix=Fix.TRAIN_MODEL)
    if not directory.is_dir():
        raise ModelDirError("is a file, expected a model directory", path=directory,
                            fix=Fix.TRAIN_MODEL)
    config_path = directory / CONFIG_FILE
    if not config_path.exists():
        raise ModelDirError(f"not a singan model directory ({CONFIG_FILE} is missing)",
                            path=directory, fix=Fix.TRAIN_MODEL)
    try:
        summary = yaml.safe_load(config_path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError, OSError) as exc:
        raise ModelDirError(f"{config_path}: unreadable ({str(exc).splitlines()[0]}); "
                            f"the model directory is damaged, train again") from None
    if not isinstance(summary, dict):
        raise ModelDirError(f"{config_path}: not a singan model config; train again")
    return summary


# --- older formats: everything that knows them lives here -----------------------------------

def _v1_to_v2(summary: dict[str, Any]) -> dict[str, Any]:
    """Format 1 kept the whole training config under `config` (its width keys fixed the
    channels of each scale) and channels per scale entry; format 2 keeps the architecture apart
    and the training config as a record."""
    unknown = set(summary) - {"format_version", "singan_version", "config", "geometry", "scales"}
    if unknown:
        raise _UnknownEntries(sorted(unknown))
    config = summary.get("config")
    if not isinstance(config, dict):
        raise ValueError("the 'config' section is missing")
    num_scales = len(summary["geometry"]["sizes"])
    base = _int(config.get("base_channels"), "base_channels", 1, MAX_WIDTH)
    top = _int(config.get("max_channels"), "max_channels", 1, MAX_WIDTH)
    every = _int(config.get("channel_growth_every"), "channel_growth_every", 1, 10_000)
    # format 1's width rule, frozen here so that later changes to channels_at cannot alter it
    channels = [min(base * 2 ** (n // every), top) for n in range(num_scales)]
    scales = summary.get("scales") or []
    if not isinstance(scales, list) or not all(isinstance(entry, dict) for entry in scales):
        raise ValueError("'scales' must be a list of mappings")
    return {
        "format_version": 2,
        "singan_version": summary.get("singan_version"),
        "architecture": {"num_layers": config.get("num_layers"),
                         "kernel_size": config.get("kernel_size"),
                         "spectral_norm": config.get("spectral_norm", False),
                         "channels": channels, "coarse_noise": "rgb"},  # format 1 knew only rgb
        "geometry": summary["geometry"],
        "scales": [{k: v for k, v in entry.items() if k != "channels"} for entry in scales],
        "training": config,
    }


UPGRADES = {1: _v1_to_v2}  # format N -> N + 1


def upgrade_summary(summary: dict[str, Any], where: Path) -> dict[str, Any]:
    """A config.yaml mapping of any supported format, brought to FORMAT_VERSION."""
    version = summary.get("format_version")
    if not isinstance(version, int) or isinstance(version, bool) or (
            version != FORMAT_VERSION and version not in UPGRADES):
        newer = isinstance(version, int) and not isinstance(version, bool) and version > FORMAT_VERSION
        fix = ("it was made by a newer singan: upgrade singan (pip install -U singan-cli)" if newer
               else "train the model again with this version")
        raise ModelDirError(f"{where}: model format version {version!r} is not supported by singan "
                            f"{__version__} (reads 1 to {FORMAT_VERSION}); {fix}")
    try:
        while version != FORMAT_VERSION:
            summary = UPGRADES[version](summary)
            version = summary["format_version"]
    except _UnknownEntries as exc:
        raise _unknown_entries(where, exc.args[0]) from None
    except (KeyError, TypeError, ValueError, IndexError) as exc:
        raise ModelDirError(f"{where}: format {version} config is malformed ({exc}); "
                            f"train the model again") from None
    return summary


# --- reading the current format -------------------------------------------------------------

class _UnknownEntries(Exception):
    pass


def _unknown_entries(where: Path, names: list[str]) -> ModelDirError:
    return ModelDirError(f"{where}: unknown entries {names}; a model directory holds only its own "
                         f"fixed files, so this config was edited or made by another tool")


def _int(value: Any, what: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ValueError(f"{what} must be an integer in [{low}, {high}], got {value!r}")
    return value


def _number(value: Any, what: str, low: float = -math.inf) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) \
            or value < low:
        kind = "a finite number" if low == -math.inf else f"a finite number >= {low:g}"
        raise ValueError(f"{what} must be {kind}, got {value!r}")
    return float(value)


def _size(value: Any, what: str) -> tuple[int, int]:
    if not isinstance(value, list) or len(value) != 2:
        raise ValueError(f"{what} must be [height, width], got {value!r}")
    return _int(value[0], f"{what} height", 1, 100_000), _int(value[1], f"{what} width", 1, 100_000)


def _parse_geometry(summary: dict[str, Any]) -> tuple[Geometry, list[dict[str, Any]]]:
    """The geometry and the finished scales' entries, every value type- and range-checked."""
    section = summary["geometry"]
    if not isinstance(section, dict) or not isinstance(section.get("sizes"), list) \
            or not section["sizes"]:
        raise ValueError("'geometry' must hold 'sizes' (a list of [height, width]) and 'scale_factor'")
    sizes = tuple(_size(size, f"geometry size {n}") for n, size in enumerate(section["sizes"]))
    for n in range(1, len(sizes)):
        if sizes[n][0] < sizes[n - 1][0] or sizes[n][1] < sizes[n - 1][1]:
            raise ValueError(f"geometry size {n} is smaller than size {n - 1}")
    factor = _number(section.get("scale_factor"), "scale_factor", 0.0)
    if not 0 < factor <= 1:
        raise ValueError(f"scale_factor must be in (0, 1], got {factor!r}")
    scales = summary["scales"] or []
    if not isinstance(scales, list) or len(scales) > len(sizes):
        raise ValueError("'scales' must be a list with at most one entry per geometry size")
    for n, entry in enumerate(scales):
        if not isinstance(entry, dict):
            raise ValueError(f"scale entry {n} must be a mapping")
        extra = [k for k, v in entry.items() if k not in SCALE_KEYS and not isinstance(v, SCALARS)]
        if extra:  # unknown scalar records are fine; structures are not
            raise ValueError(f"scale {n} holds non-scalar entries {sorted(map(str, extra))}")
        if entry.get("scale") != n or _size(entry.get("size"), f"scale {n} size") != sizes[n]:
            raise ValueError(f"scale {n} does not match the geometry")
        if isinstance(entry.get("noise_amp"), float) and not math.isfinite(entry["noise_amp"]):
            raise ValueError(f"scale {n} has a non-finite noise_amp")
        _number(entry.get("noise_amp"), f"scale {n} noise_amp", 0.0)
        _number(entry.get("train_seconds", 0.0), f"scale {n} train_seconds", 0.0)
    return Geometry(sizes=sizes, scale_factor=factor), scales


def _parse_architecture(section: Any, num_scales: int) -> dict[str, Any]:
    """num_layers, kernel_size, spectral_norm, channels (one width per planned scale)."""
    if not isinstance(section, dict):
        raise ValueError("'architecture' must be a mapping")
    unknown = set(section) - set(ARCHITECTURE_KEYS)
    if unknown:  # an architecture this version cannot build: refuse rather than guess
        raise ValueError(f"unknown architecture entries {sorted(map(str, unknown))} (made by a "
                         f"newer singan?)")
    if not isinstance(section.get("spectral_norm", False), bool):
        raise ValueError(f"spectral_norm must be true or false, got {section['spectral_norm']!r}")
    if section.get("kernel_size") not in KERNEL_SIZES or isinstance(section["kernel_size"], bool):
        raise ValueError(f"kernel_size must be one of {KERNEL_SIZES}, got {section.get('kernel_size')!r}")
    coarse_noise = section.get("coarse_noise", "rgb")  # absent: written before the key existed
    if coarse_noise not in COARSE_NOISES:
        raise ValueError(f"coarse_noise must be one of {COARSE_NOISES}, got {coarse_noise!r}")
    channels = section.get("channels")
    if not isinstance(channels, list) or len(channels) != num_scales:
        raise ValueError(f"channels must list one width for each of the {num_scales} scales")
    return {"num_layers": _int(section.get("num_layers"), "num_layers", 1, MAX_LAYERS),
            "kernel_size": section["kernel_size"],
            "spectral_norm": section.get("spectral_norm", False), "coarse_noise": coarse_noise,
            "channels": [_int(c, f"channels of scale {n}", 1, MAX_WIDTH) for n, c in enumerate(channels)]}


def _training_config(record: Any, where: Path) -> tuple[TrainConfig, str | None]:
    """The config the model was trained with, and None; or, for a training record this version
    does not fully understand (renamed, new or narrowed options of a later version), the keys it
    does on top of the defaults, and the problem. Non-scalar values are refused (ValueError)."""
    if record is None:
        return TrainConfig(), f"{where}: holds no training record"
    if not isinstance(record, dict):
        raise ValueError("'training' must be a mapping")
    structures = sorted(str(k) for k, v in record.items() if not isinstance(v, SCALARS))
    if structures:
        raise ValueError(f"training entries {structures} must be plain values")
    record = with_keys_added_since(record)
    source = f"{where} (training)"
    try:
        return validate(config_from_dict(record, source=source), source=source), None
    except ConfigError as exc:
        first_error = str(exc)
    config, pending = TrainConfig(), dict(record)
    taken = True
    while taken:  # repeated: a key may fit only after another (min_size <= max_size)
        taken = False
        for key, value in list(pending.items()):
            try:
                config = validate(config_from_dict({key: value}, config))
            except ConfigError:
                continue
            del pending[key]
            taken = True
    if not pending:  # not expected: each key fits alone but not all together
        return config, first_error
    entries = ", ".join(f"{key}: {value!r}" for key, value in sorted(pending.items(), key=str))
    return config, f"{where}: training entries this version does not know or accept ({entries})"


def _architecture_mismatch(config: TrainConfig, architecture: dict[str, Any]) -> str | None:
    for key in ("num_layers", "kernel_size", "spectral_norm", "coarse_noise"):
        if getattr(config, key) != architecture[key]:
            return f"{key} {getattr(config, key)!r} vs {architecture[key]!r}"
    widths = [config.channels_at(n) for n in range(len(architecture["channels"]))]
    if widths != architecture["channels"]:
        return f"channels {widths} vs {architecture['channels']}"
    return None


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

    Sampling needs only the architecture, geometry and noise amplitudes: a training record from a
    later version that this one does not understand leaves `config` partly defaults and says why
    in `config_problem`. `with_discriminators` (what resuming and fine-tuning load) also needs the
    training config itself, and refuses such a record.

    Raises ModelDirError with a one-line message for a missing, partial, damaged, edited or
    foreign-version directory. `allow_empty` accepts a directory whose training has not finished
    its first scale (for resuming).
    """
    directory = Path(directory)
    device = torch.device(device)
    where = directory / CONFIG_FILE
    summary = upgrade_summary(_read_summary(directory), where)
    unknown = set(summary) - set(TOP_LEVEL_KEYS)
    if unknown:
        raise _unknown_entries(where, sorted(map(str, unknown)))
    made_by = summary.get("singan_version")
    try:
        missing = [key for key in REQUIRED_KEYS if key not in summary]
        if missing:
            raise ValueError(f"missing entries {missing}")
        if not isinstance(made_by, (str, type(None))):
            raise ValueError(f"singan_version must be a string, got {made_by!r}")
        geometry, scales = _parse_geometry(summary)
        architecture = _parse_architecture(summary["architecture"], geometry.num_scales)
        config, problem = _training_config(summary.get("training"), where)
    except ValueError as exc:
        raise ModelDirError(f"{where}: malformed ({exc}); the model directory is damaged or edited, "
                            f"train the model again") from None
    mismatch = _architecture_mismatch(config, architecture)
    if problem is None and mismatch:
        problem = f"{where}: the training record disagrees with the architecture ({mismatch})"
    if problem and with_discriminators:
        raise ModelDirError(f"{problem}; sampling works, but resuming or fine-tuning needs a "
                            f"training config singan {__version__} understands (the model was "
                            f"made by singan {made_by}): use that version, or train again")
    config = dataclasses.replace(config, num_layers=architecture["num_layers"],
                                 kernel_size=architecture["kernel_size"],
                                 spectral_norm=architecture["spectral_norm"],
                                 coarse_noise=architecture["coarse_noise"])
    if not scales and not allow_empty:
        raise ModelDirError("no finished scale yet (training was stopped during the first scale)",
                            path=directory, fix=Fix.RESUME_TRAINING)
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
                   train_seconds=[float(s.get("train_seconds", 0.0)) for s in scales],
                   config_problem=problem)
    model.z_rec = tensors.get("z_rec")
    if model.z_rec is None or tuple(model.z_rec.shape) != (1, 3, *geometry.sizes[0]):
        raise ModelDirError(f"{directory / GENERATORS_FILE}: reconstruction noise z_rec is missing "
                            f"or has the wrong shape; train again")
    need_discriminators = with_discriminators and bool(scales)  # none exist before scale 0 ends
    disc_tensors = _load_weights(directory / DISCRIMINATORS_FILE, device) if need_discriminators else {}
    for n in range(len(scales)):
        channels = architecture["channels"][n]
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
        detail = "missing" if not state else f"do not match the architecture ({first[:120]})"
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
