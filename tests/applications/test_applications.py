"""The five applications on the tiny model: shapes, masks, loops, palettes."""

from __future__ import annotations

import pytest
import torch

from applications.animate import animate, noise_walk
from applications.blend import edit, harmonize, soft_mask
from applications.paint2image import paint_to_image, painting_input
from applications.palette import kmeans_palette, quantize
from applications.super_resolution import sr_config, sr_steps, super_resolve
from models.config import TrainConfig


@pytest.mark.parametrize("factor", [2.0, 3.0, 4.0, 2.5])
def test_sr_output_has_exactly_factor_times_the_pixels(tiny_model, factor: float) -> None:  # type: ignore[no-untyped-def]
    big = super_resolve(tiny_model, factor)
    assert big.shape == (1, 3, round(24 * factor), round(32 * factor))


def test_sr_steps_and_config() -> None:
    assert sr_steps(4.0, 2 ** (-1 / 3)) == 6  # 2^(1/3) per step, six steps to 4x
    assert sr_steps(1.1, 2 ** (-1 / 3)) == 1
    cfg = sr_config(TrainConfig(max_size=250), (300, 400))
    assert cfg.max_size == 400 and cfg.rec_weight == 100 and abs(cfg.scale_factor - 0.7937) < 1e-3
    assert sr_config(TrainConfig(rec_weight=5), (30, 40), frozenset({"rec_weight"})).rec_weight == 5


def test_sr_with_a_one_scale_model_steps_by_the_ratio_it_asked_for(tiny_model) -> None:  # type: ignore[no-untyped-def]
    """A model of one scale has r = 1 (no ratio between scales): SR divided by log(1)."""
    import dataclasses

    from models.geometry import Geometry

    one = dataclasses.replace(tiny_model, geometry=Geometry(sizes=(tiny_model.geometry.sizes[-1],),
                                                            scale_factor=1.0))
    assert one.geometry.num_scales == 1
    big = super_resolve(one, 2.0)
    assert big.shape == (1, 3, 48, 64)


def test_sr_adds_detail_on_top_of_bicubic(tiny_model) -> None:  # type: ignore[no-untyped-def]
    from models.geometry import resize

    big = super_resolve(tiny_model, 2.0)
    bicubic = resize(tiny_model.image, tuple(big.shape[-2:])).clamp(-1, 1)
    difference = (big - bicubic).abs().mean().item()
    assert 1e-4 < difference < 0.5  # close to the bicubic layout, but not equal to it


def test_paint2image_keeps_the_paintings_layout(tiny_model) -> None:  # type: ignore[no-untyped-def]
    painting = torch.full((1, 3, 48, 64), -1.0)
    painting[..., :, 32:] = 1.0  # left black, right white
    (out,) = paint_to_image(tiny_model, painting, start_scale=1, seed=0)
    assert out.shape == (1, 3, 24, 32)
    assert out[..., 16:].mean() > out[..., :16].mean() + 0.5


def test_quantized_painting_uses_only_palette_colours(tiny_model) -> None:  # type: ignore[no-untyped-def]
    palette = kmeans_palette(tiny_model.image, 4)
    assert palette.shape == (4, 3)
    painting = torch.rand(1, 3, 24, 32) * 2 - 1
    flat = quantize(painting_input(tiny_model, painting, 1), palette)
    colours = flat[0].reshape(3, -1).T.unique(dim=0)
    assert len(colours) <= 4
    assert all(torch.isclose(palette, c).all(dim=1).any() for c in colours)


def test_quantize_finetune_changes_only_the_start_scale(tiny_model_dir) -> None:  # type: ignore[no-untyped-def]
    from models.checkpoint import load_model

    model = load_model(tiny_model_dir, with_discriminators=True)
    before = [g.state_dict() for g in model.generators]
    (out,) = paint_to_image(model, torch.rand(1, 3, 24, 32) * 2 - 1, start_scale=1, seed=0,
                            quantize_colors=3, finetune_iters=3)
    after = [g.state_dict() for g in model.generators]
    changed = [any(not torch.equal(b[k], a[k]) for k in b) for b, a in zip(before, after, strict=True)]
    assert changed == [False, True, False]
    assert out.shape == (1, 3, 24, 32)


@pytest.mark.parametrize("apply", [harmonize, edit])
def test_outside_the_mask_the_output_equals_the_input(tiny_model, apply) -> None:  # type: ignore[no-untyped-def]
    image = tiny_model.image.clone()
    image[..., 0:4, 0:5] = torch.tensor([1.0, -1.0, -1.0]).view(1, 3, 1, 1)  # a red paste
    mask = torch.zeros(1, 1, 24, 32)
    mask[..., 0:4, 0:5] = 1
    raw, blended = apply(tiny_model, image, mask, start_scale=1)
    weights = soft_mask(mask, 7)
    far = weights[0, 0] == 0
    assert far.sum() > 100
    assert (blended - image)[0][:, far].abs().max() <= 1 / 255
    assert (blended - raw)[0][:, mask[0, 0] == 1].abs().max() < 1e-6  # inside: the generated image


def test_soft_mask_grows_and_feathers() -> None:
    mask = torch.zeros(1, 1, 20, 20)
    mask[..., 8:12, 8:12] = 1
    soft = soft_mask(mask, 3)
    assert torch.all(soft[mask == 1] == 1)
    assert soft[0, 0, 10, 5] > 0 and soft[0, 0, 10, 0] < soft[0, 0, 10, 5]
    assert soft.min() >= 0 and soft.max() <= 1


def test_looping_walk_returns_to_its_start() -> None:
    center = torch.zeros(1, 3, 8, 8)
    walk = noise_walk(center, 20, alpha=0.1, beta=0.9, gen=torch.Generator().manual_seed(0), loop=True)
    step = (walk[1] - walk[0]).abs().mean()
    assert (walk[-1] - walk[0]).abs().mean() < 2 * step  # the last frame leads back to the first
    free = noise_walk(center, 20, alpha=0.1, beta=0.9, gen=torch.Generator().manual_seed(0), loop=False)
    assert (free[-1] - free[0]).abs().mean() > 2 * step


def test_animation_frames_move_and_loop(tiny_model) -> None:  # type: ignore[no-untyped-def]
    frames = list(animate(tiny_model, 12, loop=True, seed=1))
    assert len(frames) == 12 and frames[0].shape == (1, 3, 24, 32)
    steps = [(a - b).abs().mean().item() for a, b in zip(frames, frames[1:], strict=False)]
    assert max(steps) > 1e-4  # not all identical
    wrap = (frames[-1] - frames[0]).abs().mean().item()
    assert wrap < 2 * max(steps)


def test_higher_start_scale_moves_less(tiny_model) -> None:  # type: ignore[no-untyped-def]
    def motion(start: int) -> float:
        frames = list(animate(tiny_model, 6, start_scale=start, seed=2))
        return sum((a - b).abs().mean().item() for a, b in zip(frames, frames[1:], strict=False))

    assert motion(2) < motion(0)


def test_sr_detail_zero_is_bicubic_and_more_detail_moves_further(tiny_model) -> None:  # type: ignore[no-untyped-def]
    from models.geometry import resize

    steps = sr_steps(2.0, tiny_model.geometry.scale_factor)
    chain = tiny_model.image
    for i in range(1, steps + 1):  # detail 0: k plain bicubic steps
        scale = 2.0 ** (i / steps)
        chain = resize(chain, (round(24 * scale), round(32 * scale)))
    assert torch.allclose(super_resolve(tiny_model, 2.0, detail=0.0), chain.clamp(-1, 1), atol=1e-6)
    bicubic = resize(tiny_model.image, (48, 64)).clamp(-1, 1)
    half = (super_resolve(tiny_model, 2.0, detail=0.5) - bicubic).abs().mean()
    full = (super_resolve(tiny_model, 2.0, detail=1.0) - bicubic).abs().mean()
    assert 0 < half < full
