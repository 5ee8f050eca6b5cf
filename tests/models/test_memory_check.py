import pytest
import torch

from models.config import resolve_config
from models.errors import Fix, UsageError
from models.memory import check_memory, estimate_training_bytes
from models.trainer import new_model


def _model(size: int):  # type: ignore[no-untyped-def]
    config = resolve_config("default", overrides={"device": "cpu", "max_size": size})
    return new_model(torch.zeros(1, 3, size * 2 // 3, size), config)


def test_the_suggested_max_size_fits_in_the_memory_available() -> None:
    big = _model(900)
    available = int(estimate_training_bytes(big) * 0.6)
    check_memory(_model(100), available)  # a small model fits: no error
    with pytest.raises(UsageError, match="max_size 900 needs about") as caught:
        check_memory(big, available)
    assert caught.value.fix is Fix.MAX_SIZE
    suggested = caught.value.facts["fits"]
    assert 100 < suggested < 900
    assert estimate_training_bytes(_model(suggested)) <= available


def test_the_budget_on_a_cuda_gpu_is_its_free_memory(monkeypatch: pytest.MonkeyPatch) -> None:
    from models import memory

    asked: list[torch.device] = []
    monkeypatch.setattr(torch.cuda, "mem_get_info",
                        lambda device: asked.append(device) or (3 * 2**30, 16 * 2**30))
    assert memory.memory_budget(torch.device("cuda", 1)) == (3 * 2**30, "free on cuda:1")
    assert asked == [torch.device("cuda", 1)]
    assert memory.memory_budget(torch.device("mps")) == (None, "")  # no way to ask: no check


def test_an_oversized_gpu_training_is_refused_naming_a_size_that_fits(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from models import memory

    big = _model(900)
    budget = int(estimate_training_bytes(big) * 0.6)
    monkeypatch.setattr(memory, "memory_budget", lambda device: (budget, "free on cuda:0"))
    with pytest.raises(UsageError, match="GiB are free on cuda:0") as caught:
        check_memory(big)
    assert caught.value.fix is Fix.MAX_SIZE
    assert estimate_training_bytes(_model(caught.value.facts["fits"])) <= budget


def test_crops_bound_the_memory_of_large_photos() -> None:
    def model(crop: int):  # type: ignore[no-untyped-def]
        config = resolve_config("default", overrides={"device": "cpu", "max_size": 1000,
                                                      "crop_size": crop})
        return new_model(torch.zeros(1, 3, 750, 1000), config)

    whole, cropped = estimate_training_bytes(model(0)), estimate_training_bytes(model(250))
    assert cropped < 0.3 * whole
    assert cropped < 2 * 2**30
