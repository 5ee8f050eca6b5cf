import re

import pytest
import torch

from models.config import resolve_config
from models.errors import UsageError
from models.resume import check_memory, estimate_training_bytes
from models.trainer import new_model


def _model(size: int):  # type: ignore[no-untyped-def]
    config = resolve_config("default", overrides={"device": "cpu", "max_size": size})
    return new_model(torch.zeros(1, 3, size * 2 // 3, size), config)


def test_the_suggested_max_size_fits_in_the_memory_available() -> None:
    big = _model(900)
    available = int(estimate_training_bytes(big) * 0.6)
    check_memory(_model(100), available)  # a small model fits: no error
    with pytest.raises(UsageError, match="--max-size 900 needs about") as caught:
        check_memory(big, available)
    suggested = int(re.search(r"use --max-size (\d+)", str(caught.value)).group(1))  # type: ignore[union-attr]
    assert 100 < suggested < 900
    assert estimate_training_bytes(_model(suggested)) <= available


def test_crops_bound_the_memory_of_large_photos() -> None:
    def model(crop: int):  # type: ignore[no-untyped-def]
        config = resolve_config("default", overrides={"device": "cpu", "max_size": 1000,
                                                      "crop_size": crop})
        return new_model(torch.zeros(1, 3, 750, 1000), config)

    whole, cropped = estimate_training_bytes(model(0)), estimate_training_bytes(model(250))
    assert cropped < 0.3 * whole
    assert cropped < 2 * 2**30
