"""sample and super_resolve on stand-in generators (prev + noise + a constant; see
tests/models/test_generation_walk.py): sizes, step counts and clipping worked out by hand."""

from __future__ import annotations

import torch

from applications.sample import sample
from applications.super_resolution import super_resolve
from models.config import TrainConfig
from models.geometry import Geometry
from models.singan import SinGAN
from tests.models.test_generation_walk import AddConstant, is_constant

SIZES = ((6, 8), (9, 12), (12, 16))


def silent_model(constants: list[float], sizes=SIZES, scale_factor: float = 0.75,  # type: ignore[no-untyped-def]
                 amps: list[float] | None = None) -> SinGAN:
    """Stand-ins with noise amplitude 0 (unless `amps`): outputs are exact constants."""
    return SinGAN(config=TrainConfig(), geometry=Geometry(sizes=sizes, scale_factor=scale_factor),
                  image=torch.zeros(1, 3, *sizes[-1]),
                  generators=[AddConstant(c) for c in constants],  # type: ignore[misc]
                  noise_amps=amps or [0.0] * len(constants), z_rec=torch.zeros(1, 3, *sizes[0]))


def test_samples_have_the_asked_size_at_every_scale() -> None:
    model = silent_model([0.1, 0.02, 0.003])
    (image,) = sample(model, 1, scale_h=2.0, scale_v=0.5, seed=0)
    assert is_constant(image, 0.123, (6, 32))
    # half as tall, twice as wide at every scale (4.5 rounds to 4)
    assert [tuple(g.calls[0][1].shape[-2:]) for g in model.generators] == [(3, 16), (4, 24), (6, 32)]


def test_samples_are_clipped_to_the_image_range() -> None:
    (bright,) = sample(silent_model([0.9, 0.5, 0.5]), 1, seed=0)  # the walk gives 1.9
    (dark,) = sample(silent_model([-0.9, -0.5, -0.5]), 1, seed=0)  # -1.9
    assert torch.equal(bright, torch.ones_like(bright))
    assert torch.equal(dark, -torch.ones_like(dark))


def test_sr_runs_the_finest_generator_once_per_step_scaled_by_detail() -> None:
    # r = 2^(-1/3): x2 takes 3 steps of 2^(1/3) = 1.2599 each; 12x16 -> 15x20 -> 19x25 -> 24x32
    model = silent_model([0.0, 0.0, 0.1], scale_factor=2 ** (-1 / 3))
    big = super_resolve(model, 2.0, detail=0.5)
    assert is_constant(big, 3 * 0.5 * 0.1, (24, 32))  # each step adds detail * 0.1
    finest = model.generators[-1]
    assert [tuple(prev.shape[-2:]) for _, prev in finest.calls] == [(15, 20), (19, 25), (24, 32)]
    assert model.generators[0].calls == []  # only the finest generator is used


def test_sr_noise_has_the_finest_noise_amplitude_and_the_output_is_clipped() -> None:
    model = silent_model([0.0, 0.0, 0.5], scale_factor=2 ** (-1 / 3), amps=[1.0, 1.0, 0.25])
    big = super_resolve(model, 2.0, detail=1.0, seed=3)
    for noise, _ in model.generators[-1].calls:
        assert abs(noise.std().item() - 0.25) < 0.03 and abs(noise.mean().item()) < 0.05
    # 3 steps of +0.5 on a mid-gray image: 1.5, clipped at white wherever the noise summed over
    # the steps (std about 0.4) takes off less than 0.5, about 9 pixels in 10
    assert big.max() == 1.0
    assert (big == 1.0).float().mean() > 0.8
