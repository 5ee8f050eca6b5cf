"""Random samples at any size and aspect, from any start scale.

    images = sample(model, count=4, start_scale=0, scale_h=2.0, scale_v=1.0, seed=7)

`model` is a trained SinGAN or a training-free one (models.patch_match.patch_model): the same
walk either way.
"""

from __future__ import annotations

from collections.abc import Callable

import torch

from models.errors import UsageError
from models.patch_match import with_patch_scales
from models.singan import SinGAN

# the patch scales that "vary the layout" means (the studio's Sample tab): the README's advice
# for scenes, `--patch-scales 6` (docs/benchmarks.md)
LAYOUT_PATCH_SCALES = 6


def layout_patch_scales(model: SinGAN) -> int:
    """LAYOUT_PATCH_SCALES, or fewer on a model with fewer trained scales: at least its finest
    scale stays the trained generator's."""
    return max(0, min(LAYOUT_PATCH_SCALES, model.num_trained - 1))


def sample(model: SinGAN, count: int = 1, start_scale: int = 0, scale_h: float = 1.0,
           scale_v: float = 1.0, seed: int | None = None,
           on_sample: Callable[[int], None] | None = None, patch_scales: int = 0,
           ) -> list[torch.Tensor]:
    """Draw `count` random images.

    Args:
        start_scale: 0 = fully random; K > 0 keeps the reconstruction (≈ the training image) at
            scales below K, so only finer structure varies.
        scale_h, scale_v: output width / height relative to the training image.
        seed: sample i uses the stream (seed, i) (see SinGAN.draw_noise): the same seed gives
            the same images whatever `count`, and different seeds give different sets.
        on_sample: called with i after sample i is made (progress).
        patch_scales: draw the layout at this many of the coarsest scales by matching the
            photo's patches (models.patch_match.with_patch_scales) instead of the trained
            generators: more varied layouts (a trained landscape's samples keep its layout),
            at the risk of objects breaking apart. Needs start_scale 0.
    Returns:
        `count` tensors 1x3xHxW in [-1, 1], H = round(h * scale_v), W = round(w * scale_h).
    """
    model.check_scale(start_scale)
    if patch_scales:
        if start_scale:
            raise UsageError("patch scales draw the layout that a start scale above 0 keeps: "
                             "use one or the other")
        model = with_patch_scales(model, patch_scales)
    sizes = model.geometry.scaled_sizes(scale_v=scale_v, scale_h=scale_h)
    images = []
    for i in range(count):
        noise = model.draw_noise(sizes, seed=seed, index=i)
        images.append(model.generate(start_scale=start_scale, noise=noise, sizes=sizes).clamp(-1, 1))
        if on_sample is not None:
            on_sample(i)
    return images
