"""The Python training API: the same directory rules as the CLI, streaming by scale, seeds that
mean what users think, and no change to the caller's random state."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
import torch

from applications.sample import sample
from models.checkpoint import TRAIN_LOG_FILE, load_model
from models.errors import Fix, ModelDirError, UsageError
from models.image_io import load_image
from models.trainer import train, train_scales


@pytest.fixture
def quick_config(tiny_config):  # type: ignore[no-untyped-def]
    return dataclasses.replace(tiny_config, iters=3, iters_finest=2)


def test_training_leaves_the_callers_global_random_state_alone(tiny_image_path, quick_config) -> None:  # type: ignore[no-untyped-def]
    torch.manual_seed(1234)
    expected = torch.rand(4)
    torch.manual_seed(1234)
    train(load_image(tiny_image_path, 32), quick_config)
    assert torch.equal(torch.rand(4), expected)


def test_training_is_reproducible_whatever_the_global_state(tiny_image_path, quick_config) -> None:  # type: ignore[no-untyped-def]
    image = load_image(tiny_image_path, 32)
    torch.manual_seed(1)
    a = train(image, quick_config)
    torch.manual_seed(2)
    b = train(image, quick_config)
    assert torch.equal(a.reconstruct(), b.reconstruct())


def test_train_scales_yields_a_loadable_directory_after_every_scale(tiny_image_path, quick_config,
                                                                    tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "model"
    seen = []
    for model in train_scales(load_image(tiny_image_path, 32), quick_config, save_dir=out):
        seen.append(model.num_trained)
        assert load_model(out).num_trained == model.num_trained
    assert seen == [1, 2, 3]
    rows = (out / TRAIN_LOG_FILE).read_text().splitlines()
    assert rows[0] == "scale,iteration,d,g_adv,rec"
    assert sorted({int(r.split(",")[0]) for r in rows[1:]}) == [0, 1, 2]


def test_the_api_refuses_to_overwrite_and_resumes_like_the_cli(tiny_image_path, quick_config,
                                                               tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    image = load_image(tiny_image_path, 32)
    out = tmp_path / "model"
    scales = train_scales(image, quick_config, save_dir=out)
    next(scales)
    scales.close()  # stopped after scale 0: a partial model
    with pytest.raises(ModelDirError, match="already holds a model"):
        train(image, quick_config, save_dir=out)
    with pytest.raises(ModelDirError, match="config differs"):
        train(image, dataclasses.replace(quick_config, lr=1e-4), save_dir=out, resume=True)
    resumed = train(image, quick_config, save_dir=out, resume=True)
    assert resumed.complete and load_model(out).complete
    log_scales = [int(r.split(",")[0]) for r in (out / TRAIN_LOG_FILE).read_text().splitlines()[1:]]
    assert log_scales == sorted(log_scales) and set(log_scales) == {0, 1, 2}
    # the same result as an uninterrupted training
    straight = train(image, quick_config, save_dir=tmp_path / "straight")
    assert torch.equal(resumed.reconstruct(), straight.reconstruct())


def test_the_api_refuses_a_size_that_does_not_fit_in_memory(tiny_image_path, quick_config, tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr("models.memory.available_memory_bytes", lambda: 1000)
    with pytest.raises(UsageError, match="max_size 32 needs about") as caught:
        train(load_image(tiny_image_path, 32), quick_config, save_dir=tmp_path / "model")
    assert caught.value.fix is Fix.MIN_SIZE  # 1000 bytes: no size fits
    assert not (tmp_path / "model").exists()


def test_a_second_training_into_the_same_directory_is_refused(tiny_image_path, quick_config,
                                                              tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    image = load_image(tiny_image_path, 32)
    out = tmp_path / "model"
    first = train_scales(image, quick_config, save_dir=out)
    next(first)  # holds the lock while suspended
    with pytest.raises(ModelDirError, match="another training"):
        train(image, quick_config, save_dir=out, resume=True)
    first.close()


def test_different_seeds_share_no_sample(tiny_model) -> None:  # type: ignore[no-untyped-def]
    zero = sample(tiny_model, 4, seed=0)
    one = sample(tiny_model, 4, seed=1)
    assert not any(a.equal(b) for a in zero for b in one)


def test_sample_i_of_a_seed_does_not_depend_on_the_count(tiny_model) -> None:  # type: ignore[no-untyped-def]
    few = sample(tiny_model, 2, seed=5)
    many = sample(tiny_model, 6, seed=5)
    assert few[0].equal(many[0]) and few[1].equal(many[1])
    assert len({tuple(s.flatten()[:8].tolist()) for s in many}) == 6
