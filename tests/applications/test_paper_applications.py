"""The paper's way in harmonize / edit / paint2image (issue 11, section 2), against facts that
do not come from the implementation: Gaussian tails, disk areas, stub generators."""

from __future__ import annotations

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
