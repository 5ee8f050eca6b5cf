"""The paper's way in harmonize / edit / paint2image (issue 11, section 2), against facts that
do not come from the implementation: Gaussian tails, disk areas, stub generators."""

from __future__ import annotations

import pytest
import torch

from models.singan import SinGAN


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
    step = trainer._ScaleTrainer.step
    monkeypatch.setattr(trainer._ScaleTrainer, "step", lambda self: steps.append(1) or step(self))
    model = load_model(tiny_model_dir)
    _quantized_paint(model, finetune_iters=None, retrain=True)
    assert len(steps) == model.config.iters_at(1, 3) > 20  # tiny preset: 40 at scale 0 .. 20 at 2
