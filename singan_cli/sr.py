"""`singan sr IMAGE --factor 4`: super-resolution with a model trained on IMAGE itself.

    singan sr photo.jpg --factor 4 --out photo_x4.png [--model sr_model/] [--iters 500]

With --model DIR the SR model is kept in DIR together with `sr.yaml`, a record of what it was
made from (a fingerprint of the low-res image and the training settings). A later run reuses DIR
only for the same image, refuses another image, other settings or a model DIR that `singan
train` made, each in one line naming the difference, and continues a DIR whose training was
interrupted.
"""

from __future__ import annotations

import hashlib
import shlex
import tempfile
from pathlib import Path
from typing import Annotated, Any

import typer

from singan_cli.common import (
    ForceOption,
    emit,
    pick_device,
    pick_seed,
    refuse_existing,
    say,
    user_errors,
)
from singan_cli.training_flags import (
    ConfigOption,
    Preset,
    sets_key,
    training_overrides,
    with_training_flags,
)
from singan_cli.training_run import run_training

SR_FILE = "sr.yaml"
# settings that may differ when an SR model is reused: where it runs, and the seed (on reuse
# --seed only sets the enlargement's noise)
NOT_COMPARED = ("device", "seed")


def image_fingerprint(image: Any) -> dict[str, Any]:
    """{"width", "height", "sha256" of the 8-bit pixels} of a 1x3xHxW image in [-1, 1]."""
    from models.image_io import tensor_to_uint8

    pixels = tensor_to_uint8(image)
    return {"width": int(pixels.shape[1]), "height": int(pixels.shape[0]),
            "sha256": hashlib.sha256(pixels.tobytes()).hexdigest()}


def read_record(model_dir: Path) -> dict[str, Any]:
    """The sr.yaml of an SR model directory: {"image": fingerprint, "settings": config dict}."""
    import yaml

    from models.errors import ModelDirError

    path = model_dir / SR_FILE
    try:
        record = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise ModelDirError(f"{path}: cannot read it ({exc.__class__.__name__}); delete "
                            f"{model_dir} or choose another --model") from None
    if not (isinstance(record, dict) and isinstance(record.get("image"), dict)
            and isinstance(record.get("settings"), dict)):
        raise ModelDirError(f"{path}: not an SR record (no image and settings); delete "
                            f"{model_dir} or choose another --model")
    return record


def write_record(model_dir: Path, record: dict[str, Any]) -> None:
    import yaml

    from models.image_io import atomic_write

    text = ("# what `singan sr` trained this model from; another image or other settings are "
            "refused\n" + yaml.safe_dump(record, sort_keys=False))
    atomic_write(model_dir / SR_FILE, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def check_record(model_dir: Path, image_path: Path, record: dict[str, Any],
                 wanted: dict[str, Any], compared: set[str]) -> None:
    """Refuse (ModelDirError) an SR model made from another image, or with other settings for
    the keys in `compared` (those the user set now)."""
    from models.errors import ModelDirError

    saved_image, image = record["image"], wanted["image"]
    if saved_image != image:
        raise ModelDirError(
            f"{model_dir}: this SR model was made from another image ({saved_image.get('width')}x"
            f"{saved_image.get('height')}, sha256 {str(saved_image.get('sha256'))[:12]}), not "
            f"{image_path} ({image['width']}x{image['height']}, sha256 {image['sha256'][:12]}); "
            f"choose another --model")
    saved, now = record["settings"], wanted["settings"]
    differences = [f"{k}: {saved.get(k)!r} -> {now.get(k)!r}" for k in sorted(compared)
                   if saved.get(k) != now.get(k)]
    if differences:
        raise ModelDirError(f"{model_dir}: this SR model was trained with other settings "
                            f"({'; '.join(differences)}); leave those flags out to reuse it, or "
                            f"choose another --model")


def start_sr_model(image_path: Path, model_dir: Path, cfg: Any, record: dict[str, Any]) -> None:
    """Create the SR model directory (an empty model, then sr.yaml) before training, so that a
    run stopped at any moment leaves a directory the next run recognises and continues."""
    from models.errors import ImageError
    from models.image_io import load_image
    from models.memory import check_memory
    from models.output_dir import TrainingLock, prepare_output
    from models.trainer import new_model

    try:
        fresh = new_model(load_image(image_path, cfg.max_size), cfg)
    except ImageError as exc:  # the geometry does not know the file's name
        exc.path = image_path
        raise
    check_memory(fresh)  # before anything is written: a refused size leaves no directory
    with TrainingLock(model_dir):
        prepare_output(model_dir, fresh)
        write_record(model_dir, record)


def sr_rerun_command(image: Path, factor: float, out: Path, model_dir: Path, detail: float,
                     seed: int, given: dict[str, Any], force: bool, preset: Preset | None,
                     config: Path | None) -> str:
    """The `singan sr` command line that repeats this run into `model_dir` (the settings given
    now, not the defaults; a reused SR model takes its saved settings)."""
    words = ["singan", "sr", str(image), "--factor", f"{factor:g}", "--out", str(out),
             "--model", str(model_dir), "--detail", f"{detail:g}", "--seed", str(seed)]
    words += ["--preset", preset.value] if preset is not None else []
    words += ["--config", str(config)] if config is not None else []
    for key, value in given.items():
        if key != "seed":
            flag = "--" + key.replace("_", "-")
            words += [flag if value is True else f"--no-{flag[2:]}"] if isinstance(value, bool) \
                else [flag, str(value)]
    return shlex.join(words + (["--force"] if force else []))


@with_training_flags
def sr_command(
    image: Annotated[Path, typer.Argument(help="The low-resolution image to enlarge.")],
    factor: Annotated[float, typer.Option(min=1.01, max=16, help="Enlargement (any value > 1).")] = 4.0,
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Output PNG \\[default: "
                                             "<image>_x<factor>.png].")] = None,
    model_dir: Annotated[Path | None, typer.Option("--model", help="SR model directory: trained "
                                                   "and saved there on first use, reused after "
                                                   "(for the same image only), continued if it "
                                                   "was interrupted.")] = None,
    detail: Annotated[float, typer.Option(min=0.0, max=1.0, help="Strength of the added detail "
                                          "per step: 0 = bicubic, 1 = the paper's full residual "
                                          "(over-sharpens).")] = 0.35,
    preset: Annotated[Preset | None, typer.Option(help="Settings to start from: default (fast "
                                                  "on a CPU) or paper (the paper's numbers) "
                                                  "\\[default: default].")] = None,
    config: ConfigOption = None,
    force: ForceOption = False,
    **training: Any,
) -> None:
    """Enlarge IMAGE by --factor, adding detail learned from IMAGE itself (output path to stdout).

    The model trains on the whole image; --max-size trains it on a copy downscaled to that size
    (less time and memory) and still enlarges the whole image.
    """
    with user_errors(out_option="--model"):
        from applications.super_resolution import sr_config, super_resolve
        from models.checkpoint import CONFIG_FILE, load_model, saved_scale_count
        from models.config import config_from_dict, resolve_config
        from models.errors import ConfigError, ModelDirError, TrainingError
        from models.image_io import load_image, save_image

        given = training_overrides(training)
        out = out or image.with_name(f"{image.stem}_x{factor:g}.png")
        refuse_existing([out], force)  # before training, which takes minutes
        low_res = load_image(image)
        seed = pick_seed(given.get("seed"))
        base = resolve_config((preset or Preset.default).value, config, given)
        if "seed" not in given and not sets_key(config, "seed"):  # a new model trains with it
            base = config_from_dict({"seed": seed}, base)
        cfg = sr_config(base, tuple(low_res.shape[-2:]), frozenset(given))
        pick_device(cfg.device)  # a missing GPU is said before anything is written
        wanted = {"image": image_fingerprint(low_res),
                  "settings": {k: v for k, v in cfg.to_dict().items() if k != "device"}}
        model = None
        if model_dir is not None and (model_dir / SR_FILE).exists():
            record = read_record(model_dir)
            # flags given now must match; unset ones take the saved values (a preset or config
            # file given now is compared whole, except the training size, which it does not set)
            compared = set(given) if preset is None and config is None else \
                set(wanted["settings"]) - ({"max_size"} - set(given))
            check_record(model_dir, image, record, wanted, compared - set(NOT_COMPARED))
            try:
                cfg = config_from_dict({**record["settings"], "device": cfg.device},
                                       source=str(model_dir / SR_FILE))
            except ConfigError as exc:
                raise ModelDirError(f"{exc}; delete {model_dir} or choose another --model") from None
            try:
                model = load_model(model_dir, device=pick_device(cfg.device))
            except ModelDirError:
                model = None  # no finished scale yet (if damaged, resuming below says so)
            if model is not None and model.complete:
                say(f"reusing the SR model in {model_dir}/")
            else:
                model = None
        elif model_dir is not None and (model_dir / CONFIG_FILE).exists():
            raise ModelDirError(f"{model_dir}: holds a model that `singan train` made, not an SR "
                                f"model (no {SR_FILE}); choose another --model")
        elif model_dir is not None:
            start_sr_model(image, model_dir, cfg, wanted)
        if model is None:  # train, or continue an interrupted SR model
            rerun = sr_rerun_command(image, factor, out,
                                     model_dir or image.with_name(f"{image.stem}-sr-model"),
                                     detail, seed, given, force, preset, config)
            with tempfile.TemporaryDirectory(prefix="singan-sr-") as scratch:
                try:
                    model = run_training(image, model_dir or Path(scratch) / "model", cfg,
                                         resume=True, quiet_result=True, keep_interrupt=True)
                except KeyboardInterrupt:
                    if model_dir is None:
                        raise TrainingError(f"interrupted; nothing was kept (no --model). To keep "
                                            f"the finished scales so that a rerun continues "
                                            f"them: {rerun}") from None
                    raise TrainingError(f"interrupted; {saved_scale_count(model_dir)} finished "
                                        f"scales are saved in {model_dir}/. Continue with: "
                                        f"{rerun}") from None
        big = super_resolve(model, factor, seed=seed, image=low_res.to(model.device),
                            detail=detail)
        emit(save_image(big, out))
