"""What every subcommand shares: the stderr console, the error boundary, output-path helpers."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path

import typer
from rich.console import Console

from models.errors import OutputError, SinganError, UsageError


@cache
def err_console() -> Console:
    """Console on stderr for progress and messages (stdout carries only result paths)."""
    return Console(stderr=True)


def say(message: str) -> None:
    """A plain informational line on stderr (no markup interpretation)."""
    err_console().print(message, markup=False, highlight=False, soft_wrap=True)


def debug_enabled() -> bool:
    return os.environ.get("SINGAN_DEBUG", "") not in ("", "0")


@contextmanager
def user_errors() -> Iterator[None]:
    """Turn SinganError into one red line on stderr and exit 1 (UsageError: exit 2).

    Set SINGAN_DEBUG=1 to get the full traceback instead.
    """
    try:
        yield
    except SinganError as exc:
        if debug_enabled():
            raise
        err_console().print(f"error: {exc}", style="red", markup=False, highlight=False,
                            soft_wrap=True)
        raise typer.Exit(2 if isinstance(exc, UsageError) else 1) from None
    except KeyboardInterrupt:
        if debug_enabled():
            raise
        err_console().print("interrupted", style="red", markup=False, highlight=False)
        raise typer.Exit(130) from None


def emit(path: Path) -> None:
    """A result path on stdout."""
    typer.echo(str(path))


def next_free_paths(directory: Path, stem: str, suffix: str, count: int) -> list[Path]:
    """`count` paths directory/stem_NNN.suffix that do not exist yet (never overwrite results)."""
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"{directory}: cannot create the output folder ({exc.strerror or exc}); "
                          f"choose another --out") from None
    taken = {p.name for p in directory.glob(f"{stem}_*{suffix}")}
    paths: list[Path] = []
    index = 0
    while len(paths) < count:
        name = f"{stem}_{index:03d}{suffix}"
        if name not in taken:
            paths.append(directory / name)
        index += 1
    return paths
