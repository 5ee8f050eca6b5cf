import dataclasses

import pytest

from applications.sample import LAYOUT_PATCH_SCALES, layout_patch_scales, sample
from models.errors import UsageError


@pytest.mark.parametrize("start_scale", [0, 1, 2])
def test_any_aspect_at_any_start_scale(tiny_model, start_scale: int) -> None:  # type: ignore[no-untyped-def]
    (image,) = sample(tiny_model, 1, start_scale=start_scale, scale_h=2.0, scale_v=0.5, seed=0)
    assert image.shape == (1, 3, 12, 64)  # the model is 24x32 (clipping: test_walk_with_stand_ins)


def test_same_seed_same_images_whatever_the_count(tiny_model) -> None:  # type: ignore[no-untyped-def]
    first = sample(tiny_model, 3, seed=11)
    again = sample(tiny_model, 2, seed=11)
    assert all(a.equal(b) for a, b in zip(first, again, strict=False))
    assert not first[0].equal(first[1])


def test_higher_start_scale_keeps_more_of_the_image(tiny_model) -> None:  # type: ignore[no-untyped-def]
    real = tiny_model.reals()[-1]
    free = sum((s - real).abs().mean().item() for s in sample(tiny_model, 4, seed=0))
    kept = sum((s - real).abs().mean().item() for s in sample(tiny_model, 4, start_scale=2, seed=0))
    assert kept < free


def test_out_of_range_start_scale(tiny_model) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(UsageError, match=r"trained scales 0\.\.2"):
        sample(tiny_model, 1, start_scale=3)


def test_layout_patch_scales_leave_the_finest_scale_to_the_model(tiny_model) -> None:  # type: ignore[no-untyped-def]
    assert tiny_model.num_trained == 3
    assert layout_patch_scales(tiny_model) == 2
    one = dataclasses.replace(tiny_model, generators=tiny_model.generators[:1])
    assert layout_patch_scales(one) == 0
    many = dataclasses.replace(tiny_model, generators=tiny_model.generators * 4)
    assert layout_patch_scales(many) == LAYOUT_PATCH_SCALES == 6
