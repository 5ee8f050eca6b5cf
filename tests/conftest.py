"""Shared fixtures: a synthetic image made in code and one tiny model trained once per run."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

TINY_FLAGS = {"max_size": 32, "min_size": 14, "iters": 40, "iters_finest": 20}


def synthetic_image(height: int = 24, width: int = 32, seed: int = 0) -> np.ndarray:
    """HxWx3 uint8: coloured stripes, a disc and a little noise (structure at several scales)."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    r = 128 + 100 * np.sin(x / 3.0)
    g = 128 + 100 * np.cos(y / 4.0)
    b = np.where((x - width / 2) ** 2 + (y - height / 2) ** 2 < (height / 4) ** 2, 230.0, 40.0)
    image = np.stack([r, g, b], axis=-1) + rng.normal(0, 8, (height, width, 3))
    return np.clip(image, 0, 255).astype(np.uint8)


@pytest.fixture(scope="session")
def tiny_image_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("images") / "tiny.png"
    Image.fromarray(synthetic_image()).save(path)
    return path


@pytest.fixture(scope="session")
def tiny_config():  # type: ignore[no-untyped-def]
    from models.config import resolve_config

    return resolve_config("default", overrides={**TINY_FLAGS, "device": "cpu"})


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory: pytest.TempPathFactory, tiny_image_path: Path, tiny_config) -> Path:  # type: ignore[no-untyped-def]
    """A 3-scale model (14x19 .. 24x32) trained once and shared; tests must not modify it."""
    from models.image_io import load_image
    from models.trainer import train

    out = tmp_path_factory.mktemp("models") / "tiny"
    train(load_image(tiny_image_path, tiny_config.max_size), tiny_config, save_dir=out)
    return out


@pytest.fixture
def tiny_model(tiny_model_dir: Path):  # type: ignore[no-untyped-def]
    from models.checkpoint import load_model

    return load_model(tiny_model_dir)


def read_png(path: Path) -> np.ndarray:
    """The pixels of an image file as an HxWx3 (or HxW) uint8 array, file closed."""
    with Image.open(path) as im:
        return np.asarray(im.convert("RGB"))
