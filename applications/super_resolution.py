"""Super-resolution: apply the finest generator k times, each time upsampling by factor^(1/k).

    config = sr_config(base_config, image_size=(h, w))      # train with these settings
    big = super_resolve(model, factor=4.0, seed=0)          # 1x3x(4h)x(4w) in [-1, 1]

The model is trained on the low-resolution image itself with reconstruction weight 100 and a
scale ratio of about 2^(-1/3), so that the finest generator has learned to add the detail of a
2^(1/3) upsampling; k = round(log(factor) / log(1 / r)) such steps reach the factor.

`detail` scales the generator's residual at every step. 1.0 is the paper's procedure, which
over-sharpens as the steps compound; the default 0.35 stays near bicubic's PSNR and is much
sharper (benchmarks/sr_quality.py; numbers in docs/benchmarks.md).
"""

from __future__ import annotations

import dataclasses
import math

import torch

from models.config import TrainConfig, validate
from models.geometry import resize
from models.seeds import Purpose, seeded_generator
from models.singan import SinGAN

SR_SCALE_FACTOR = 2 ** (-1 / 3)
SR_REC_WEIGHT = 100.0
DEFAULT_DETAIL = 0.35


def sr_config(config: TrainConfig, image_size: tuple[int, int],
              user_set: frozenset[str] = frozenset()) -> TrainConfig:
    """The training config for SR on an image of `image_size` (h, w).

    The model trains on the whole image unless the user set max_size (`user_set` holds the
    field names given as flags): then on a copy downscaled to it (less time and memory), and
    super_resolve still enlarges the whole image. rec_weight and scale_factor take the SR values
    unless the user set them.
    """
    longest = max(image_size)
    size = min(config.max_size, longest) if "max_size" in user_set else longest
    changes: dict[str, object] = {"max_size": size}
    if "rec_weight" not in user_set:
        changes["rec_weight"] = SR_REC_WEIGHT
    if "scale_factor" not in user_set:
        changes["scale_factor"] = SR_SCALE_FACTOR
    return validate(dataclasses.replace(config, **changes))


def sr_steps(factor: float, scale_factor: float) -> int:
    """How many generator applications reach `factor` with steps close to 1 / scale_factor."""
    return max(1, round(math.log(factor) / math.log(1 / scale_factor)))


@torch.no_grad()
def super_resolve(model: SinGAN, factor: float, seed: int | None = 0,
                  image: torch.Tensor | None = None, detail: float = DEFAULT_DETAIL) -> torch.Tensor:
    """Upscale `image` (default: the model's training image) by `factor` > 1.

    Args:
        detail: weight of the generator's added detail per step (0 = bicubic, 1 = the paper).
    Returns 1x3xHxW in [-1, 1] with H, W = round(factor * h), round(factor * w) exactly.
    """
    if factor <= 1:
        raise ValueError("factor must be > 1")
    out = model.image if image is None else image.to(model.device)
    height, width = out.shape[-2:]
    # a one-scale model has no ratio between scales (r = 1): step by the ratio it asked for
    ratio = model.geometry.scale_factor if model.geometry.num_scales > 1 else model.config.scale_factor
    steps = sr_steps(factor, ratio)
    step = factor ** (1 / steps)
    finest = model.generators[-1]
    amp = model.noise_amps[-1]
    gen = seeded_generator(seed, Purpose.SUPER_RESOLUTION) if seed is not None else None
    for i in range(1, steps + 1):
        scale = factor if i == steps else step ** i
        size = (round(height * scale), round(width * scale))
        prev = resize(out, size)
        noise = torch.randn(prev.shape, generator=gen).to(model.device)
        out = prev + detail * (finest(amp * noise, prev) - prev)
    return out.clamp(-1, 1)
