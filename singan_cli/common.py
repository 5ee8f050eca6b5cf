"""What every subcommand shares: the stderr console, the error boundary, the output rule, the
--seed and --device options.

The output rule, the same for every command: a result never replaces an existing file unless
--force is given (checked before any work starts); one result is written to --out exactly;
several results are numbered `<stem>_NNN<suffix>`, continuing after the highest number already
there, so earlier results are kept.
"""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from enum import Enum
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from models.errors import Fix, OutputError, SinganError, UsageError

if TYPE_CHECKING:
    import torch


class Device(str, Enum):
    auto = "auto"
    cpu = "cpu"
    cuda = "cuda"
    mps = "mps"


# Options shared by every command that runs a model.
DeviceOption = Annotated[Device, typer.Option(help="Where to run: auto = cuda, then mps, then "
                                              "cpu.")]
SeedOption = Annotated[int | None, typer.Option(help="Same seed, same result; without it a fresh "
                                                "seed is drawn and printed on stderr.")]
ForceOption = Annotated[bool, typer.Option("--force", help="Replace existing output files.")]
PatchScalesOption = Annotated[int, typer.Option(
    min=0, help="Draw the layout at this many of the coarsest scales by matching the photo's "
    "patches instead of the trained generators: layouts vary more (landscapes), objects may "
    "break apart. 6 for a default 250 px model; 0 = the model alone.")]
MaskOption = Annotated[Path, typer.Option("--mask", "-m", help="White where the image was "
                                          "changed (any image; JPEG is fine).")]


@cache
def err_console() -> Console:
    """Console on stderr for progress and messages (stdout carries only result paths)."""
    return Console(stderr=True)


def say(message: str) -> None:
    """A plain informational line on stderr (no markup interpretation)."""
    err_console().print(message, markup=False, highlight=False, soft_wrap=True)


def debug_enabled() -> bool:
    return os.environ.get("SINGAN_DEBUG", "") not in ("", "0")


# How the command line words each fix the core names (models/errors.py). {out}: the option that
# chose the model directory (--out, or --model for sr); other names: the error's facts.
CLI_FIXES = {
    Fix.OTHER_OUTPUT: "choose another {out}",
    Fix.RESUME_OR_FORCE: "use --resume to continue it, --force to overwrite it, or another {out}",
    Fix.SAME_SETTINGS_OR_FORCE: "use the same flags or --force",
    Fix.FORCE: "use --force to start over",
    Fix.WAIT_OR_OTHER_OUTPUT: "wait for it or choose another {out}",
    Fix.FREE_DISK: "free some space or choose another {out}",
    Fix.MAX_SIZE: "use --max-size {fits} or less",
    Fix.MIN_SIZE: "free memory or lower --min-size",
    Fix.LARGER_IMAGE_OR_MIN_SIZE: "use a larger image, or lower --min-size",
    Fix.DEVICE: "use --device cpu or auto",
    Fix.START_SCALE: "see `singan info`",
    Fix.LR_OR_SEED: "try a lower --lr or another --seed",
    Fix.TRAIN_MODEL: "train one with `singan train IMAGE --out {path}`",
    Fix.RESUME_TRAINING: "continue it with `singan train IMAGE --out {path} --resume`",
}


def cli_message(exc: SinganError, out_option: str = "--out") -> str:
    """The error's facts, then its fix in command-line words."""
    if exc.fix is None:
        return str(exc)
    return f"{exc}; " + CLI_FIXES[exc.fix].format(out=out_option, path=exc.path, **exc.facts)


@contextmanager
def user_errors(out_option: str = "--out") -> Iterator[None]:
    """Turn SinganError into one red line on stderr and exit 1 (UsageError: exit 2).

    `out_option`: the option that names the model directory the command writes (sr: --model),
    used in the wording of fixes. Set SINGAN_DEBUG=1 to get the full traceback instead. On
    success, says the seeds that pick_seed drew.
    """
    _drawn_seeds.clear()
    try:
        yield
    except SinganError as exc:
        if debug_enabled():
            raise
        err_console().print(f"error: {cli_message(exc, out_option)}", style="red", markup=False,
                            highlight=False, soft_wrap=True)
        raise typer.Exit(2 if isinstance(exc, UsageError) else 1) from None
    except KeyboardInterrupt:
        if debug_enabled():
            raise
        err_console().print("interrupted", style="red", markup=False, highlight=False)
        raise typer.Exit(130) from None
    for seed in _drawn_seeds:
        say(f"seed {seed} (pass --seed {seed} to repeat)")
    _drawn_seeds.clear()


def emit(path: Path) -> None:
    """A result path on stdout."""
    typer.echo(str(path))


_drawn_seeds: list[int] = []


def pick_seed(seed: int | None) -> int:
    """`seed`, or a fresh one when None. A fresh seed is said on stderr when the command ends
    well (user_errors), "seed N (pass --seed N to repeat)", so that an error stays one line."""
    if seed is None:
        seed = secrets.randbelow(2**31)
        _drawn_seeds.append(seed)
    return seed


def pick_device(device: Device | str) -> torch.device:
    """The torch device for --device (auto: cuda, then mps, then cpu); a missing one is a usage
    error (exit 2)."""
    from models.devices import resolve_device

    return resolve_device(device.value if isinstance(device, Device) else device)


def refuse_existing(paths: list[Path], force: bool, option: str = "--out") -> None:
    """Raise OutputError naming the first of `paths` that exists, unless force; `option` is
    the flag that chose the paths (the message tells the user to change it)."""
    if force:
        return
    for path in paths:
        if path.exists() or path.is_symlink():
            raise OutputError(f"{path}: already exists; pass --force to replace it, or choose "
                              f"another {option}")


def next_free_paths(directory: Path, stem: str, suffix: str, count: int) -> list[Path]:
    """`count` paths directory/stem_NNN.suffix numbered after the highest one already there, so
    that one run's results are consecutive and nothing is overwritten."""
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"{directory}: cannot create the output folder ({exc.strerror or exc}); "
                          f"choose another --out") from None
    pattern = re.compile(rf"{re.escape(stem)}_(\d+){re.escape(suffix)}")
    taken = [int(m.group(1)) for p in directory.iterdir() if (m := pattern.fullmatch(p.name))]
    first = max(taken) + 1 if taken else 0
    return [directory / f"{stem}_{index:03d}{suffix}" for index in range(first, first + count)]


def output_paths(out: Path, count: int, force: bool) -> list[Path]:
    """Where `count` results named by --out go: `out` itself for one (refused if it exists,
    unless force), else `<stem>_NNN<suffix>` beside it, numbered on (see next_free_paths)."""
    if count == 1:
        refuse_existing([out], force)
        return [out]
    return next_free_paths(out.parent, out.stem, out.suffix or ".png", count)
