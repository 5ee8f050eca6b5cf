"""Training on random windows (crop_size): the windowed passes are the whole-image passes cut to
the window, so a cropped scale learns the same generator, and samples stay whole images."""

from __future__ import annotations

import dataclasses

import pytest
import torch
import torch.nn.functional as F

from models.config import resolve_config
from models.errors import ConfigError
from models.trainer import ScaleTrainer, new_model, train
from models.windows import FAKE_POOL, cut, padded_window, random_window, window_size


def test_windows_keep_the_scales_shape_with_the_crop_as_longer_side() -> None:
    assert window_size((750, 1000), 250) == (188, 250)
    assert window_size((1000, 750), 250) == (250, 188)
    assert window_size((188, 250), 250) is None  # fits: whole images
    assert window_size((750, 1000), 0) is None  # 0: never cropped


@pytest.mark.parametrize("window", [(0, 0, 8, 8), (12, 22, 8, 8), (5, 7, 10, 12), (0, 0, 20, 30)])
def test_a_padded_window_is_that_window_of_the_zero_padded_image(window) -> None:  # type: ignore[no-untyped-def]
    image = torch.randn(2, 3, 20, 30)
    top, left, h, w = window
    expected = cut(F.pad(image, [5] * 4), top, left, h + 10, w + 10)
    assert torch.equal(padded_window(image, top, left, h, w, 5), expected)


def _cropped_trainer(crop: int = 20) -> ScaleTrainer:
    config = resolve_config("default", overrides={"device": "cpu", "max_size": 32, "min_size": 16,
                                                  "crop_size": crop, "precision": "fp32"})
    torch.manual_seed(0)
    model = new_model(torch.rand(1, 3, 24, 32) * 2 - 1, config)
    for n in range(model.geometry.num_scales - 1):
        model.generators.append(ScaleTrainer(model, n).generator.eval())
        model.noise_amps.append(0.1)
    return ScaleTrainer(model, model.geometry.num_scales - 1)


@pytest.mark.parametrize("window", [(0, 0, 20, 20), (4, 12, 20, 20), (2, 5, 20, 20)])
def test_the_generator_on_a_window_is_the_whole_output_cut_to_it(window) -> None:  # type: ignore[no-untyped-def]
    trainer = _cropped_trainer()
    trainer.generator.eval()  # training-mode BatchNorm takes the window's statistics
    prev, noise = torch.randn(1, 3, 24, 32), torch.randn(1, 3, 24, 32)
    whole = trainer.generator(0.3 * noise, prev)
    windowed = trainer._generate(0.3, noise, prev, window)
    assert windowed.shape[-2:] == window[2:]
    torch.testing.assert_close(windowed, cut(whole, *window), rtol=1e-5, atol=1e-5)


def test_fresh_window_noise_is_zero_outside_the_image() -> None:
    """With zero prev and eval-mode weights, the corner window's output only matches a
    whole-image pass whose noise is zero in the padding."""
    trainer = _cropped_trainer()
    trainer.generator.eval()
    prev = torch.zeros(1, 3, 24, 32)
    torch.manual_seed(5)
    windowed = trainer._generate(1.0, None, prev, (0, 0, 20, 20))
    torch.manual_seed(5)
    fresh = torch.randn(1, 3, 30, 30)  # the window's noise with its 5 px margin
    noise = torch.zeros(1, 3, 24, 32)
    noise[..., :24, :25] = fresh[..., 5:29, 5:]  # the part of the window and margin inside
    torch.testing.assert_close(windowed, cut(trainer.generator(noise, prev), 0, 0, 20, 20),
                               rtol=1e-5, atol=1e-5)


def test_cropped_scales_train_on_windows_from_a_pool_and_sample_whole_images() -> None:
    trainer = _cropped_trainer(crop=24)
    assert trainer.size == (24, 32) and trainer.window_size == (18, 24)
    for _ in range(6):
        losses = trainer.step()
    assert all(torch.isfinite(torch.tensor(list(losses.values()))))
    assert len(trainer.pool) == FAKE_POOL and trainer.pool[0].shape == (1, 3, 24, 32)
    # a scale that fits in the crop trains on the whole image
    assert ScaleTrainer(trainer.model, 0).window_size is None


@pytest.mark.parametrize("d_steps", [1, 3])
def test_the_pool_renews_one_image_per_renewal_step_whatever_the_d_steps(d_steps: int) -> None:
    trainer = _cropped_trainer(crop=24)
    trainer.config = dataclasses.replace(trainer.config, d_steps=d_steps)
    calls: list[int] = []
    generate = trainer.model.generate
    trainer.model.generate = lambda **kw: calls.append(1) or generate(**kw)  # type: ignore[method-assign]
    steps = 4 * trainer.renew_every
    for _ in range(steps):
        trainer.step()
    renewals = len(calls) - FAKE_POOL  # the first call fills the pool
    # steps_done counts iterations begun: the first draw of iteration i sees i, a later D
    # step's draw i + 1; each count that is a renewal step renews one image, once
    seen = steps if d_steps > 1 else steps - 1
    assert renewals == sum(1 for done in range(1, seen + 1) if done % trainer.renew_every == 0)


def test_a_cropped_training_gives_a_whole_model(tiny_image_path, tiny_config) -> None:  # type: ignore[no-untyped-def]
    from models.image_io import load_image

    config = dataclasses.replace(tiny_config, iters=4, iters_finest=3, crop_size=20)
    model = train(load_image(tiny_image_path, 32), config)
    assert model.complete and model.generate().shape == (1, 3, 24, 32)
    assert model.config.crop_size == 20


def test_crop_size_must_hold_a_few_receptive_fields() -> None:
    with pytest.raises(ConfigError, match="crop_size"):
        resolve_config("default", overrides={"crop_size": 12})
    assert resolve_config("default", overrides={"crop_size": 0}).crop_size == 0


def test_random_windows_cover_the_border_as_often_as_the_middle() -> None:
    torch.manual_seed(0)
    counts = torch.zeros(12, 40)
    for _ in range(20000):
        top, left, h, w = random_window((12, 40), (4, 6))
        assert 0 <= top <= 12 - h and 0 <= left <= 40 - w and (h, w) == (4, 6)
        counts[top:top + h, left:left + w] += 1
    rows, middle = counts[:, 16:24].mean(dim=1), counts[5:7, 16:24].mean()
    assert abs(rows[0] / middle - 1) < 0.1 and abs(rows[-1] / middle - 1) < 0.1
    assert rows.max() < 2 * middle


def _whole_image_statistics(trainer: ScaleTrainer, prev: torch.Tensor) -> list[torch.Tensor]:
    """The variance per channel that each generator BatchNorm sees on one whole-image pass."""
    seen: list[torch.Tensor] = []
    norms = [m for m in trainer.generator.modules() if isinstance(m, torch.nn.BatchNorm2d)]
    hooks = [norm.register_forward_hook(lambda _m, inputs, _out: seen.append(
        inputs[0].var(dim=(0, 2, 3)))) for norm in norms]
    trainer.generator.eval()
    with torch.no_grad():
        trainer._generate(trainer.noise_amp, None, prev, None)
    for hook in hooks:
        hook.remove()
    return seen


def test_a_windowed_scale_ends_with_the_batchnorm_statistics_of_whole_images() -> None:
    """Samples are whole images in eval mode: running statistics gathered on windows (which
    miss the variation between windows) amplified every layer into a woven texture."""
    trainer = _cropped_trainer(crop=20)
    halves = torch.full((1, 3, 24, 32), -1.0)
    halves[..., 12:, :] = 1.0  # a dark top and a bright bottom: windows see less of both
    trainer.make_fake_input = lambda: halves
    norms = [m for m in trainer.generator.modules() if isinstance(m, torch.nn.BatchNorm2d)]
    for _ in range(6):
        trainer.step()  # the training steps alone: statistics of windows
    from_windows = [norm.running_var.clone() for norm in norms]
    trainer.iters = 1
    trainer.run(None, report_every=10)  # ends with the whole-image calibration
    whole = _whole_image_statistics(trainer, halves)
    for norm, expected, windowed in zip(norms, whole, from_windows, strict=True):
        torch.testing.assert_close(norm.running_var, expected, rtol=0.05, atol=1e-4)
        assert not torch.allclose(windowed, expected, rtol=0.05, atol=1e-4)


def test_windowed_scales_weigh_the_gradient_penalty_with_gp_weight_windowed(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import models.trainer as trainer_module

    # a penalty of exactly 1 and a critic loss of 0: the D loss is then the weight used
    monkeypatch.setattr(trainer_module, "gradient_penalty", lambda d, real, fake: torch.tensor(1.0))
    monkeypatch.setattr(trainer_module, "discriminator_loss",
                        lambda kind, real, fake: 0 * (real.mean() + fake.mean()))
    windowed = _cropped_trainer(crop=24)
    windowed.config = dataclasses.replace(windowed.config, gp_weight=0.1, gp_weight_windowed=2.5)
    whole = ScaleTrainer(windowed.model, 0)
    whole.config = windowed.config
    assert windowed.window_size is not None and whole.window_size is None
    assert windowed.step()["d"] == pytest.approx(2.5)
    assert whole.step()["d"] == pytest.approx(0.1)
