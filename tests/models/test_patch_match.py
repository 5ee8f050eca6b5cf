"""The training-free scales (models/patch_match.py) in the same walk as a trained model."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from models.config import resolve_config
from models.errors import UsageError
from models.patch_match import (
    SORT_SPLIT_MIN,
    STRONG_NOISE_AMP,
    STRONG_SHIFT,
    PatchMatchStep,
    argsort_rows,
    nearest_patch_vote,
    nearest_rows,
    patch_model,
    photo_model,
    photo_projections,
    shifted_sideways,
    sliced_patch_distance,
    with_patch_scales,
)
from tests.conftest import synthetic_image


def _photo() -> torch.Tensor:
    return torch.from_numpy(synthetic_image(24, 32)).permute(2, 0, 1)[None].float() / 127.5 - 1


def _model():  # type: ignore[no-untyped-def]
    config = resolve_config("default", overrides={"device": "cpu", "max_size": 32, "min_size": 14})
    return patch_model(_photo(), config, steps=6, finest_steps=3)


def test_the_photo_is_at_distance_zero_from_itself_and_a_shuffle_is_not() -> None:
    photo = _photo()
    directions = torch.randn(16, 3, 7, 7)
    directions = directions / directions.flatten(1).norm(dim=1)[:, None, None, None]
    target = photo_projections(photo, directions)
    assert sliced_patch_distance(photo, target, directions).item() < 1e-10
    noise = torch.rand_like(photo) * 2 - 1
    assert sliced_patch_distance(noise, target, directions).item() > 0.01


def test_a_nearest_patch_vote_leaves_the_photo_as_it_is() -> None:
    photo = _photo()
    torch.testing.assert_close(nearest_patch_vote(photo, photo), photo, rtol=0, atol=1e-5)


def test_the_tiled_nearest_search_finds_what_a_whole_row_argmin_finds() -> None:
    gen = torch.Generator().manual_seed(0)
    queries, keys = torch.randn(50, 5, generator=gen), torch.randn(37, 5, generator=gen)
    expected = torch.cdist(queries, keys).argmin(dim=1)
    # tiles of 8 keys (the last one short) and chunks of 16 queries: every block boundary crossed
    assert torch.equal(nearest_rows(queries, keys, chunk=16, key_tile=8), expected)
    assert torch.equal(nearest_rows(queries, keys), expected)


def test_the_walk_samples_without_training_and_follows_the_seed() -> None:
    model = _model()
    assert model.complete and model.num_trained == model.geometry.num_scales >= 2
    first = model.generate(noise=model.draw_noise(seed=1))
    assert first.shape == (1, 3, 24, 32) and first.min() >= -1 and first.max() <= 1
    assert torch.equal(first, model.generate(noise=model.draw_noise(seed=1)))
    assert not torch.equal(first, model.generate(noise=model.draw_noise(seed=2)))


def test_training_free_samples_come_in_any_aspect() -> None:
    from applications.sample import sample

    (wide,) = sample(_model(), 1, scale_h=1.5, seed=0)
    assert wide.shape == (1, 3, 24, 48)


def test_the_finest_scales_end_with_a_vote_and_keep_their_share_of_the_steps() -> None:
    config = resolve_config("default", overrides={"device": "cpu", "max_size": 32, "min_size": 14})
    plain = patch_model(_photo(), config, steps=90, finest_steps=30, vote_scales=0)
    voting = patch_model(_photo(), config, steps=90, finest_steps=30, vote_scales=2,
                         vote_step_share=0.5)
    last = len(plain.generators) - 1
    assert [s.vote for s in voting.generators] == [n >= last - 1 for n in range(last + 1)]
    assert not any(s.vote for s in plain.generators)
    for n, (a, b) in enumerate(zip(plain.generators, voting.generators, strict=True)):
        share = 0.5 if n >= last - 1 else 1.0
        assert abs(b.steps - a.steps * share) <= 1  # type: ignore[operator]


def test_the_sideways_shift_moves_columns_and_keeps_rows() -> None:
    rows = torch.linspace(-1, 1, 16).view(1, 1, 16, 1).expand(1, 3, 16, 24)  # horizontal bands
    columns = torch.linspace(-1, 1, 24).view(1, 1, 1, 24).expand(1, 3, 16, 24)  # vertical bands
    field = torch.randn(2, 1, 16, 24, generator=torch.Generator().manual_seed(0))
    torch.testing.assert_close(shifted_sideways(rows, field, 0.3), rows.expand(2, -1, -1, -1))
    moved = shifted_sideways(columns, field, 0.3)
    assert moved.shape == (2, 3, 16, 24) and (moved - columns).abs().mean() > 0.05
    assert not torch.equal(moved[0], moved[1])  # each field its own shift
    torch.testing.assert_close(shifted_sideways(columns, torch.zeros_like(field), 0.3),
                               columns.expand(2, -1, -1, -1))


def test_optimising_brings_the_patches_closer_to_the_photo() -> None:
    config = resolve_config("default", overrides={"device": "cpu", "max_size": 32, "min_size": 14})
    photo = _photo()
    still = patch_model(photo, config, steps=1, finest_steps=1)
    moved = patch_model(photo, config, steps=60, finest_steps=60)
    for step in (*still.generators, *moved.generators):
        step.vote = False  # type: ignore[union-attr]
    directions = torch.randn(32, 3, 7, 7)
    directions = directions / directions.flatten(1).norm(dim=1)[:, None, None, None]
    target = photo_projections(photo, directions)
    noise = still.draw_noise(seed=0)
    gaps = [sliced_patch_distance(m.generate(noise=noise), target, directions).item() for m in (still, moved)]
    assert gaps[1] < 0.5 * gaps[0]


def test_the_photo_is_sorted_once_per_direction_set_and_kept_for_later_samples(monkeypatch) -> None:
    import models.patch_match as patch_match

    calls = []
    real_projections = patch_match.photo_projections
    monkeypatch.setattr(patch_match, "photo_projections",
                        lambda *args: calls.append(1) or real_projections(*args))
    photo = _photo()
    step = patch_match.PatchMatchStep(photo, steps=10, direction_sets=3)
    noise = torch.zeros_like(photo)
    first = step(noise, photo)
    assert len(calls) == 3
    assert torch.equal(step(noise, photo), first) and len(calls) == 3


def test_photo_model_reads_the_photo_at_the_default_presets_size() -> None:
    asked: list[int] = []

    def read_photo(max_size: int) -> torch.Tensor:
        asked.append(max_size)
        return _photo()

    model = photo_model(read_photo, "cpu")
    assert asked == [resolve_config("default").max_size]
    assert model.geometry.sizes[-1] == (24, 32) and model.complete and model.device.type == "cpu"


def test_the_rows_sorted_on_several_threads_come_out_in_numpys_order() -> None:
    import numpy as np

    values = np.random.default_rng(0).standard_normal((2, 64, SORT_SPLIT_MIN // 64 + 7))
    threads = torch.get_num_threads()
    torch.set_num_threads(3)
    try:
        assert np.array_equal(argsort_rows(values), np.argsort(values, axis=-1))
    finally:
        torch.set_num_threads(threads)


def test_a_trained_models_coarsest_scales_can_be_matched_instead(tiny_model) -> None:  # type: ignore[no-untyped-def]
    varied = with_patch_scales(tiny_model, 2)
    assert [type(g).__name__ for g in varied.generators] == ["PatchMatchStep", "PatchMatchStep",
                                                             "Generator"]
    assert varied.generators[2] is tiny_model.generators[2]
    assert varied.noise_amps[2] == tiny_model.noise_amps[2]
    assert all(type(g).__name__ == "Generator" for g in tiny_model.generators)  # left as it was
    assert with_patch_scales(tiny_model, 0) is tiny_model
    noise = tiny_model.draw_noise(seed=0)
    # the layout is the training-free walk's, the finest scale the trained generator's
    matched = patch_model(tiny_model.image, tiny_model.config, noise_amp=STRONG_NOISE_AMP,
                          shift=STRONG_SHIFT)
    assert varied.noise_amps[0] == STRONG_NOISE_AMP  # the option's strong noise, no second draw
    assert varied.generators[0].redraw is None  # type: ignore[union-attr]
    torch.testing.assert_close(varied.generate(noise=noise, stop_scale=1),
                               matched.generate(noise=noise, stop_scale=1))
    image = varied.generate(noise=noise)
    assert image.shape == tiny_model.generate(noise=noise).shape
    assert not torch.equal(image, tiny_model.generate(noise=noise))
    with pytest.raises(UsageError, match="out of range"):
        with_patch_scales(tiny_model, 4)


class _NextScale(nn.Module):
    """Stands in for the next scale's step: returns its photo for the images listed in
    `copies` (they came back to the photo's layout) and something far from it for the rest."""

    def __init__(self, real: torch.Tensor, copies: list[int]) -> None:
        super().__init__()
        self.real, self.copies = real, copies

    def forward(self, noise: torch.Tensor, prev: torch.Tensor) -> torch.Tensor:
        out = self.real.expand(len(prev), -1, -1, -1).clone()
        far = [i for i in range(len(prev)) if i not in self.copies]
        out[far] += 0.5
        return out


def test_a_layout_that_comes_back_to_the_photo_is_drawn_again_with_strong_noise() -> None:
    model = _model()
    coarsest = model.generators[0]
    assert model.noise_amps[0] == 1.0 and coarsest.redraw == (3.0, 0.3)  # type: ignore[union-attr]
    assert coarsest.copy_check == (model.generators[1],)  # type: ignore[union-attr]
    real, steps, vote = coarsest.real, coarsest.steps, coarsest.vote  # type: ignore[union-attr]
    noise = torch.randn(2, 3, *real.shape[-2:], generator=torch.Generator().manual_seed(0))
    prev = torch.zeros_like(noise)

    def plain(noise: torch.Tensor, shift: float) -> torch.Tensor:
        step = PatchMatchStep(real, steps, lr=0.05, from_real=True, shift=shift, vote=vote)
        return step(noise, prev[:len(noise)])

    gentle, strong = plain(noise, 0.5), plain(noise[:1] * 3.0, 0.3)
    assert not torch.allclose(gentle[:1], strong)
    next_real = model.generators[1].real  # type: ignore[union-attr]
    coarsest.copy_check = (_NextScale(next_real, copies=[0]),)  # type: ignore[union-attr]
    drawn = coarsest(noise, prev)
    torch.testing.assert_close(drawn[:1], strong)  # came back: drawn again, noise x3, shift 0.3
    torch.testing.assert_close(drawn[1:], gentle[1:])  # a new layout: kept
    coarsest.copy_check = (_NextScale(next_real, copies=[]),)  # type: ignore[union-attr]
    torch.testing.assert_close(coarsest(noise, prev), gentle)
    wide_noise = torch.randn(1, 3, real.shape[-2], 2 * real.shape[-1],
                             generator=torch.Generator().manual_seed(1))
    wide_prev = torch.zeros_like(wide_noise)
    coarsest.copy_check = (_NextScale(next_real, copies=[0]),)  # type: ignore[union-attr]
    gentle_wide = PatchMatchStep(real, steps, lr=0.05, from_real=True, shift=0.5, vote=vote)(
        wide_noise, wide_prev)
    torch.testing.assert_close(coarsest(wide_noise, wide_prev), gentle_wide)  # not checked
