"""The generation walk, pinned down with stand-in generators whose outputs are known exactly.

Each stand-in returns prev + noise + a constant of its own. Fed constant images and constant
noise, every image in the walk is a constant (resizing a constant image leaves it unchanged), so
the expected output is a sum worked out by hand in each test.
"""

from __future__ import annotations

import pytest
import torch

from models.config import TrainConfig
from models.geometry import Geometry
from models.singan import SinGAN

SIZES = ((6, 8), (9, 12), (12, 16))
AMPS = [0.8, 0.5, 0.25]  # noise_amp per scale (not the trainer's rule: any values will do)
CONSTANTS = [0.1, 0.02, 0.003]  # what each stand-in adds: one decimal place per scale
Z_REC = 0.4
NOISE = [1.0, -2.0, 3.0]  # so the scaled noise per scale is 0.8, -1.0, 0.75


class AddConstant(torch.nn.Module):
    """Stand-in generator: (noise, prev) -> prev + noise + constant; records what it was given."""

    def __init__(self, constant: float):
        super().__init__()
        self.constant = constant
        self.calls: list[tuple[torch.Tensor, torch.Tensor]] = []

    def forward(self, noise: torch.Tensor, prev: torch.Tensor) -> torch.Tensor:
        self.calls.append((noise.clone(), prev.clone()))
        return prev + noise + self.constant


def stub_model(sizes: tuple[tuple[int, int], ...] = SIZES, amps: list[float] = AMPS,
               constants: list[float] = CONSTANTS, image_value: float = 0.0,
               config: TrainConfig | None = None) -> SinGAN:
    return SinGAN(config=config or TrainConfig(),
                  geometry=Geometry(sizes=sizes, scale_factor=0.75),
                  image=torch.full((1, 3, *sizes[-1]), image_value),
                  generators=[AddConstant(c) for c in constants],  # type: ignore[misc]
                  noise_amps=list(amps), z_rec=torch.full((1, 3, *sizes[0]), Z_REC))


def constant_noise(values: list[float], sizes=SIZES, batch: int = 1) -> list[torch.Tensor]:  # type: ignore[no-untyped-def]
    return [torch.full((batch, 3, h, w), v) for v, (h, w) in zip(values, sizes, strict=True)]


def is_constant(image: torch.Tensor, value: float, size: tuple[int, int] | None = None) -> bool:
    if size is not None and tuple(image.shape[-2:]) != size:
        return False
    return torch.allclose(image, torch.full_like(image, value), atol=1e-5)


def calls(model: SinGAN, scale: int) -> list[tuple[torch.Tensor, torch.Tensor]]:
    return model.generators[scale].calls  # type: ignore[return-value]


def test_from_the_coarsest_scale_every_generator_adds_its_scaled_noise() -> None:
    model = stub_model()
    out = model.generate(noise=constant_noise(NOISE))
    # zeros, then per scale: + noise_amp * z + constant = (0.8 + 0.1) + (-1.0 + 0.02) + (0.75 + 0.003)
    assert is_constant(out, 0.673, SIZES[-1])
    (noise0, prev0), = calls(model, 0)
    assert torch.equal(prev0, torch.zeros(1, 3, *SIZES[0]))  # nothing injected at scale 0
    assert is_constant(noise0, 0.8)
    (noise1, prev1), = calls(model, 1)
    assert is_constant(noise1, -1.0, SIZES[1]) and is_constant(prev1, 0.9, SIZES[1])
    (noise2, prev2), = calls(model, 2)
    assert is_constant(noise2, 0.75, SIZES[2]) and is_constant(prev2, -0.08, SIZES[2])


def test_reconstruction_uses_z_rec_at_the_coarsest_and_no_noise_above() -> None:
    model = stub_model()
    assert is_constant(model.reconstruct(0), 0.8 * Z_REC + 0.1, SIZES[0])  # 0.42
    assert is_constant(model.reconstruct(), 0.32 + 0.1 + 0.02 + 0.003, SIZES[-1])
    for scale in (1, 2):
        assert all(torch.equal(noise, torch.zeros_like(noise)) for noise, _ in calls(model, scale))


@pytest.mark.parametrize("start,expected", [
    (1, 0.42 + (-1.0 + 0.02) + (0.75 + 0.003)),  # reconstruction of scale 0 is 0.42
    (2, 0.44 + (0.75 + 0.003)),  # reconstruction up to scale 1 is 0.44
])
def test_a_later_start_scale_starts_from_the_reconstruction_below_it(start: int,
                                                                     expected: float) -> None:
    model = stub_model()
    out = model.generate(start_scale=start, noise=constant_noise(NOISE))
    assert is_constant(out, expected, SIZES[-1])
    noise, _ = calls(model, start)[-1]
    assert is_constant(noise, AMPS[start] * NOISE[start])  # the noise of the start scale is used


def test_an_injected_image_is_the_input_of_the_start_scale_at_its_size() -> None:
    model = stub_model()
    init = torch.full((1, 3, 30, 40), -0.5)  # any size: resized to the start scale
    out = model.generate(start_scale=1, init=init, noise=constant_noise(NOISE))
    assert is_constant(out, -0.5 + (-1.0 + 0.02) + (0.75 + 0.003), SIZES[-1])
    assert calls(model, 0) == []  # the scales below are not run
    _, prev = calls(model, 1)[0]
    assert is_constant(prev, -0.5, SIZES[1])


def test_other_sizes_a_stop_scale_and_a_batch() -> None:
    model = stub_model()
    sizes = [(3, 16), (5, 24), (6, 32)]  # half as tall, twice as wide
    noise = [torch.cat([n, -n]) for n in constant_noise(NOISE, sizes)]  # 2 images
    out = model.generate(noise=noise, sizes=sizes, stop_scale=1)
    assert out.shape == (2, 3, 5, 24)
    assert is_constant(out[:1], 0.8 + 0.1 - 1.0 + 0.02)
    assert is_constant(out[1:], -0.8 + 0.1 + 1.0 + 0.02)
    assert calls(model, 2) == []


def test_trainer_sets_the_noise_amplitude_from_the_reconstruction_error() -> None:
    """noise_amp[n] = noise_amp_weight * RMSE(real_n, up(reconstruction_{n-1})): with a constant
    training image (-0.3) and a stand-in scale 0 whose reconstruction is 1.0 * 0.4 + 0.1 = 0.5,
    the RMSE is 0.8, so noise_amp_weight 0.2 gives 0.16."""
    from models.trainer import train

    config = TrainConfig(iters=1, iters_finest=1, d_steps=1, g_steps=1, base_channels=4,
                         max_channels=8, channel_growth_every=1,  # new width: no warm start
                         noise_amp_weight=0.2, device="cpu", precision="fp32")
    sizes = ((12, 16), (16, 20))
    model = stub_model(sizes=sizes, amps=[1.0], constants=[0.1], image_value=-0.3, config=config)
    trained = train(model.image, config, model=model)
    assert trained.num_trained == 2
    assert trained.noise_amps[1] == pytest.approx(0.16, abs=1e-6)


def test_the_coarsest_scale_is_trained_with_noise_amplitude_one(tiny_model) -> None:  # type: ignore[no-untyped-def]
    assert tiny_model.noise_amps[0] == 1.0
