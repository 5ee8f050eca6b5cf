"""Paint-to-image: inject a rough painting at a coarse scale and let the finer scales add detail.

    outputs = paint_to_image(model, painting, start_scale=1, count=2, seed=0)

The painting is resized to the training size, downscaled to scale K-1 and upsampled to K (so only
its coarse layout and colours count), then G_K ... G_finest run with fresh noise. With
`quantize_colors`, the painting is mapped to the training image's palette and scale K is fine-tuned to
turn palette-quantized inputs into the image's texture, as in the paper.
"""

from __future__ import annotations

import torch

from applications.blend import coarse_input
from applications.palette import kmeans_palette, quantize
from models.geometry import resize
from models.seeds import fresh_seed
from models.singan import SinGAN
from models.trainer import ProgressCallback, finetune_scale


def painting_input(model: SinGAN, painting: torch.Tensor, start_scale: int) -> torch.Tensor:
    """The painting as scale K's input: training size -> scale K-1 -> scale K (1x3xh_Kxw_K)."""
    return coarse_input(model, painting, start_scale)


def paint_to_image(model: SinGAN, painting: torch.Tensor, start_scale: int = 1, count: int = 1,
                   seed: int | None = None, quantize_colors: int = 0,
                   finetune_iters: int | None = 200, retrain: bool = False,
                   progress: ProgressCallback | None = None) -> list[torch.Tensor]:
    """Turn a painting (1x3xhxw in [-1, 1], any size) into `count` images at the training size.

    quantize_colors > 0: map the painting to that many palette colours of the training image and
    train scale `start_scale` to turn palette images into the image's texture first (modifies
    `model`'s generator at that scale): `finetune_iters` iterations (0: none, None: the scale's
    training schedule) continuing from its trained weights (the model must be loaded with its
    discriminators), or with `retrain` from fresh weights, as the paper does (with
    finetune_iters=None: the paper's full schedule). `progress` gets that training's
    models.trainer.TrainProgress reports; an exception it raises stops it.
    """
    model.check_scale(start_scale)
    init = painting_input(model, painting, start_scale)
    if quantize_colors > 0:
        palette = kmeans_palette(model.image, quantize_colors)
        init = quantize(init, palette)
        size = model.geometry.sizes[start_scale]
        rec_input = quantize(painting_input(model, model.image, start_scale), palette)

        def quantized_random_input() -> torch.Tensor:
            # a random image from the frozen coarser scales, in palette colours, at scale K
            # (at K = 0 there is none: the quantized image itself)
            if start_scale == 0:
                return rec_input
            return quantize(resize(model.generate(stop_scale=start_scale - 1), size), palette)

        if finetune_iters != 0:
            finetune_scale(model, start_scale, finetune_iters, quantized_random_input,
                           rec_input=rec_input, seed=fresh_seed() if seed is None else seed,
                           fresh=retrain, progress=progress)
    outputs = []
    for i in range(count):
        noise = model.draw_noise(seed=seed, index=i)
        outputs.append(model.generate(start_scale=start_scale, init=init, noise=noise).clamp(-1, 1))
    return outputs
