"""The paper's way in harmonize / edit / paint2image (issue 11, section 2), against facts that
do not come from the implementation: Gaussian tails, disk areas, stub generators."""

from __future__ import annotations

import functools
import math

import pytest
import torch
from torch import nn

from applications.blend import (
    HARMONIZE_MASK,
    MaskShape,
    edit,
    harmonize,
    soft_mask,
    vote_towards_image,
)
from models.config import TrainConfig
from models.geometry import Geometry
from models.singan import SinGAN


class _Constant(nn.Module):
    """A stub G_n that ignores its input and outputs a constant grey."""

    def forward(self, noise: torch.Tensor, prev: torch.Tensor) -> torch.Tensor:
        return torch.full_like(prev, 0.5)


class _Identity(nn.Module):
    """A stub G_n that passes the upsampled previous image through (no noise, no detail)."""

    def forward(self, noise: torch.Tensor, prev: torch.Tensor) -> torch.Tensor:
        return prev


def _stub_model(height: int, width: int, generator: type[nn.Module]) -> SinGAN:
    geometry = Geometry.for_image(height, width, max(height, width), 16, 0.75)
    image = torch.full((1, 3, height, width), -1.0)
    count = geometry.num_scales
    return SinGAN(config=TrainConfig(), geometry=geometry, image=image,
                  generators=[generator() for _ in range(count)], noise_amps=[0.1] * count,
                  z_rec=torch.zeros(1, 3, *geometry.sizes[0]))


def _phi(x: float) -> float:
    """The standard normal CDF."""
    return 0.5 * (1 + math.erf(x / math.sqrt(2)))


def test_disk_dilation_has_the_disks_area() -> None:
    point = torch.zeros(1, 1, 41, 41)
    point[..., 20, 20] = 1
    disk = soft_mask(point, 7, sigma=0, disk=True)
    square = soft_mask(point, 7, sigma=0, disk=False)
    assert disk.sum() == 149  # integer points with x^2 + y^2 <= 49
    assert square.sum() == 15 * 15


def test_paper_mask_profile_across_a_straight_edge() -> None:
    """Dilating a half plane by 7 px and blurring with sigma 5 gives Phi((7 - d) / 5) at d px
    beyond the mask's edge."""
    mask = torch.zeros(1, 1, 60, 80)
    mask[..., :, :30] = 1  # columns 0..29 are the region
    soft = soft_mask(mask, 7, sigma=5, disk=True)[0, 0, 30]
    for d in (1, 4, 7, 10, 14, 20):
        assert soft[29 + d].item() == pytest.approx(_phi((7.5 - d) / 5), abs=0.02)
    assert torch.all(soft[:30] == 1)


@pytest.mark.parametrize(("apply", "radius"), [(harmonize, 7), (edit, 20)])
def test_default_masks_are_the_papers_at_250_px(apply, radius: int) -> None:  # type: ignore[no-untyped-def]
    """Read the blending weight back from a stub model: blended = w * raw + (1 - w) * input."""
    model = _stub_model(250, 250, _Constant)
    mask = torch.zeros(1, 1, 250, 250)
    mask[..., :, :100] = 1
    raw, blended = apply(model, model.image, mask, start_scale=model.num_trained - 1)
    weight = ((blended - model.image) / (raw - model.image))[0, 0, 125]
    assert torch.all(weight[:100] == 1)
    for d in (1, radius, radius + 5, radius + 10):
        assert weight[99 + d].item() == pytest.approx(_phi((radius + 0.5 - d) / 5), abs=0.02)


def test_mask_numbers_scale_with_the_models_size() -> None:
    assert HARMONIZE_MASK.at_size(125) == MaskShape(3.5, 2.5, disk=True)


@pytest.mark.parametrize("apply", [functools.partial(harmonize, vote_share=0), edit])
def test_the_paste_enters_through_the_coarser_scale(apply) -> None:  # type: ignore[no-untyped-def]
    """With identity generators the raw output is the injected image itself: a 1 px line loses
    most of its contrast through scale K-1 (the paper), and keeps it when injected at K
    (harmonize without its nearest-patch vote, which would take the line away)."""
    model = _stub_model(64, 64, _Identity)
    pasted = model.image.clone()
    pasted[..., :, 31] = 1.0  # a white 1 px line on black
    mask = torch.zeros(1, 1, 64, 64)
    mask[..., :, 31] = 1
    finest = model.num_trained - 1
    soft, _ = apply(model, pasted, mask, start_scale=finest)
    hard, _ = apply(model, pasted, mask, start_scale=finest, soften_paste=False)
    assert hard[..., 31].min() == 1.0
    assert soft[..., 31].max() < 0.5
    assert soft[..., 31].min() > -1.0  # still there, only softened


def test_the_vote_moves_the_region_halfway_to_the_images_patches_and_nothing_else() -> None:
    """An image of dark values in [-1, 0] with a bright square (1.0, in none of its patches)
    pasted in: with share 0.5 the square's pixels land halfway between 1 and a vote of dark
    patches, so at most 0.5; pixels farther than a patch from the weights keep their value."""
    real = -torch.rand(1, 3, 32, 32, generator=torch.Generator().manual_seed(0))
    result = real.clone()
    result[..., 12:20, 12:20] = 1.0
    weights = torch.zeros(1, 1, 32, 32)
    weights[..., 12:20, 12:20] = 1.0
    voted = vote_towards_image(result, real, weights, share=0.5)
    assert voted[..., 12:20, 12:20].max() <= 0.5
    assert voted[..., 12:20, 12:20].min() >= 0.0
    far = torch.ones(32, 32, dtype=torch.bool)
    far[12 - 7:20 + 7, 12 - 7:20 + 7] = False
    assert torch.equal(voted[..., far], result[..., far])
    assert torch.equal(vote_towards_image(result, real, weights, share=0.0), result)


def _generator_states(model: SinGAN) -> list[dict[str, torch.Tensor]]:
    return [{k: v.clone() for k, v in g.state_dict().items()} for g in model.generators]


def _changed(before: list[dict[str, torch.Tensor]], model: SinGAN) -> list[bool]:
    after = _generator_states(model)
    return [any(not torch.equal(b[k], a[k]) for k in b) for b, a in zip(before, after, strict=True)]


def test_finetune_with_zero_iterations_changes_nothing(tiny_model_dir) -> None:  # type: ignore[no-untyped-def]
    from models.checkpoint import load_model
    from models.trainer import finetune_scale

    model = load_model(tiny_model_dir, with_discriminators=True)
    before = _generator_states(model)
    finetune_scale(model, 1, 0, fake_input=lambda: model.reals()[1])
    assert _changed(before, model) == [False, False, False]


def _quantized_paint(model: SinGAN, **options) -> list[bool]:  # type: ignore[no-untyped-def]
    """Which generators a quantized paint2image changed."""
    from applications.paint2image import paint_to_image

    before = _generator_states(model)
    (out,) = paint_to_image(model, torch.rand(1, 3, 24, 32) * 2 - 1, start_scale=1, seed=0,
                            quantize_colors=3, **options)
    assert out.shape == (1, 3, 24, 32)
    return _changed(before, model)


def test_quantize_with_zero_iterations_trains_nothing(tiny_model_dir) -> None:  # type: ignore[no-untyped-def]
    from models.checkpoint import load_model

    model = load_model(tiny_model_dir, with_discriminators=True)
    assert _quantized_paint(model, finetune_iters=0) == [False, False, False]


@pytest.mark.parametrize("retrain", [False, True])
def test_quantize_retrain_starts_from_fresh_weights(tiny_model_dir, retrain: bool) -> None:  # type: ignore[no-untyped-def]
    """Two models that differ only in G_1: retraining scale 1 gives the same G_1 for both (its
    old weights play no part); fine-tuning keeps the difference."""
    from models.checkpoint import load_model

    models = [load_model(tiny_model_dir, with_discriminators=not retrain) for _ in range(2)]
    with torch.no_grad():
        for p in models[1].generators[1].parameters():
            p.add_(0.05)
    for model in models:
        assert _quantized_paint(model, finetune_iters=3, retrain=retrain) == [False, True, False]
    first, second = (m.generators[1].state_dict() for m in models)
    same = all(torch.allclose(first[k].float(), second[k].float(), atol=1e-6) for k in first)
    assert same == retrain


def test_quantize_retrain_runs_the_scales_full_schedule(tiny_model_dir, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from models import trainer
    from models.checkpoint import load_model

    steps = []
    step = trainer.ScaleTrainer.step
    monkeypatch.setattr(trainer.ScaleTrainer, "step", lambda self: steps.append(1) or step(self))
    model = load_model(tiny_model_dir)
    _quantized_paint(model, finetune_iters=None, retrain=True)
    assert len(steps) == model.config.iters_at(1, 3) > 20  # tiny preset: 40 at scale 0 .. 20 at 2


class _NoiseRecorder(nn.Module):
    """A stub G_n that keeps the noise it was given and passes prev through."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: list[torch.Tensor] = []

    def forward(self, noise: torch.Tensor, prev: torch.Tensor) -> torch.Tensor:
        self.seen.append(noise.clone())
        return prev


def _gray(z: torch.Tensor) -> bool:
    return bool(torch.equal(z[:, 0], z[:, 1]) and torch.equal(z[:, 0], z[:, 2]))


@pytest.mark.parametrize("coarse_noise", ["rgb", "gray"])
def test_coarse_noise_setting_in_training_and_sampling(coarse_noise: str) -> None:
    from models.trainer import ScaleTrainer, new_model

    config = TrainConfig(max_size=32, min_size=14, coarse_noise=coarse_noise, device="cpu")
    model = new_model(torch.rand(1, 3, 24, 32) * 2 - 1, config)
    gray = coarse_noise == "gray"
    assert model.z_rec is not None and _gray(model.z_rec) == gray
    trainer = ScaleTrainer(model, 0)  # the fake that scale 0 trains on
    trainer.generator = _NoiseRecorder()
    trainer.fake(torch.zeros_like(trainer.real))
    assert _gray(trainer.generator.seen[0]) == gray
    model.generators = [_NoiseRecorder() for _ in model.geometry.sizes]
    model.noise_amps = [1.0] * len(model.generators)
    model.generate(noise=model.draw_noise(seed=3, batch=2))
    model.generate(batch=2)  # noise drawn inside
    for seen in model.generators[0].seen:
        assert _gray(seen) == gray
    assert not any(_gray(z) for z in model.generators[1].seen)  # only the coarsest scale


def test_paper_preset_draws_gray_coarse_noise_and_default_rgb() -> None:
    from models.config import resolve_config

    assert resolve_config("paper").coarse_noise == "gray"
    assert resolve_config("default").coarse_noise == "rgb"  # no clear winner in the comparison


def test_coarse_noise_is_saved_with_the_model(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from models.checkpoint import load_model
    from models.trainer import train

    config = TrainConfig(max_size=24, min_size=14, iters=2, iters_finest=2, d_steps=1, g_steps=1,
                         coarse_noise="gray", device="cpu")
    train(torch.rand(1, 3, 18, 24) * 2 - 1, config, save_dir=tmp_path / "m")
    model = load_model(tmp_path / "m")
    assert model.config.coarse_noise == "gray" and model.config_problem is None
    assert model.z_rec is not None and _gray(model.z_rec)


def test_finetune_reports_progress_and_a_raising_callback_leaves_the_model_alone(
        tiny_model_dir) -> None:  # type: ignore[no-untyped-def]
    from models.checkpoint import load_model
    from models.trainer import finetune_scale

    model = load_model(tiny_model_dir, with_discriminators=True)
    reports = []
    finetune_scale(model, 1, 4, fake_input=lambda: model.reals()[1], progress=reports.append,
                   report_every=2)
    assert [(r.scale, r.iteration, r.iters, r.scale_done) for r in reports] == [
        (1, 2, 4, False), (1, 4, 4, True)]
    assert set(reports[-1].losses) == {"d", "g_adv", "rec"}

    class Cancelled(Exception):
        pass

    def cancel(report) -> None:  # type: ignore[no-untyped-def]
        raise Cancelled

    before = _generator_states(model)
    with pytest.raises(Cancelled):
        finetune_scale(model, 1, 50, fake_input=lambda: model.reals()[1], progress=cancel,
                       report_every=1)
    assert _changed(before, model) == [False, False, False]


def test_harmonize_and_quantized_paint_pass_progress_to_every_fine_tuned_scale(
        tiny_model_dir) -> None:  # type: ignore[no-untyped-def]
    from applications.blend import harmonize
    from applications.paint2image import paint_to_image
    from models.checkpoint import load_model

    model = load_model(tiny_model_dir, with_discriminators=True)
    image = model.reals()[-1]
    mask = torch.zeros(1, 1, 24, 32)
    mask[..., 8:16, 8:16] = 1
    reports = []
    harmonize(model, image, mask, start_scale=1, finetune_iters=6, progress=reports.append)
    # the finest scale (2) gets a third of the iterations
    assert [(r.scale, r.iteration) for r in reports if r.scale_done] == [(1, 6), (2, 2)]
    reports.clear()
    paint_to_image(model, image, start_scale=1, quantize_colors=3, finetune_iters=3,
                   progress=reports.append)
    assert [(r.scale, r.iteration) for r in reports] == [(1, 3)]


def test_harmonize_finetune_reconstructs_the_pastes_edges_not_its_rgb(
        tiny_model_dir, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import applications.blend as blend
    from applications.blend_defaults import HARMONIZE_COLOUR_WEIGHT
    from models.checkpoint import load_model
    from models.losses import edge_reconstruction_loss

    model = load_model(tiny_model_dir, with_discriminators=True)
    image = model.reals()[-1]
    mask = torch.zeros(1, 1, 24, 32)
    mask[..., 8:16, 8:16] = 1
    targets = []

    def counting(output: torch.Tensor, target: torch.Tensor, **weights: float) -> torch.Tensor:
        targets.append(target.shape[-2:])
        assert weights == {"colour_weight": HARMONIZE_COLOUR_WEIGHT}
        return edge_reconstruction_loss(output, target, **weights)

    monkeypatch.setattr(blend, "edge_reconstruction_loss", counting)
    harmonize(model, image, mask, start_scale=1, finetune_iters=2)
    sizes = model.geometry.sizes
    # every reconstruction term of both fine-tuned scales, at that scale's size
    assert set(targets) == {torch.Size(sizes[1]), torch.Size(sizes[2])}
