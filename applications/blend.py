"""Harmonization and editing: inject a pasted / edited image at scale K, blend by a soft mask.

    result, blended = harmonize(model, pasted, mask, start_scale=model.num_trained - 3)
    result, blended = edit(model, edited, mask, start_scale=model.num_trained - 4)

The mask (1 = the changed region) is dilated and feathered so that the generated region fades
into the untouched input: blended = soft_mask * result + (1 - soft_mask) * input.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from models.geometry import resize
from models.singan import SinGAN
from models.trainer import finetune_scale

HARMONIZE_DILATION = 3  # px at the training size: the paste's edge must be regenerated
EDIT_DILATION = 7  # edits leave wider seams (copy-pasted blocks), so regenerate a wider band


def default_start_scale(model: SinGAN, scales_below_finest: int) -> int:
    """A start scale counted from the finest trained one, kept >= 1."""
    return max(1, model.num_trained - 1 - scales_below_finest) if model.num_trained > 1 else 0


def soft_mask(mask: torch.Tensor, dilation: int, feather: int | None = None) -> torch.Tensor:
    """Dilate a 1x1xHxW {0,1} mask by `dilation` px, then blur its edge (Gaussian, sigma =
    feather / 2). Returns 1x1xHxW in [0, 1]; 1 wherever the input mask is 1."""
    feather = dilation if feather is None else feather
    grown = F.max_pool2d(mask, 2 * dilation + 1, stride=1, padding=dilation) if dilation else mask
    if feather <= 0:
        return grown
    radius = feather
    x = torch.arange(-radius, radius + 1, dtype=mask.dtype, device=mask.device)
    kernel = torch.exp(-0.5 * (x / (feather / 2)) ** 2)
    kernel = kernel / kernel.sum()
    blurred = F.conv2d(F.pad(grown, [radius] * 4, mode="replicate"), kernel.view(1, 1, 1, -1))
    blurred = F.conv2d(blurred, kernel.view(1, 1, -1, 1))
    return torch.maximum(blurred, mask)  # the pasted region itself is always regenerated


def _inject_and_blend(model: SinGAN, image: torch.Tensor, mask: torch.Tensor, start_scale: int,
                      dilation: int, seed: int | None) -> tuple[torch.Tensor, torch.Tensor]:
    model.check_scale(start_scale)
    size = model.geometry.sizes[model.num_trained - 1]
    image = resize(image.to(model.device), size).clamp(-1, 1)
    weights = soft_mask(resize(mask.to(model.device), size).round(), dilation)
    noise = model.draw_noise(seed=seed)
    result = model.generate(start_scale=start_scale, init=image, noise=noise).clamp(-1, 1)
    return result, weights * result + (1 - weights) * image


def harmonize(model: SinGAN, pasted: torch.Tensor, mask: torch.Tensor, start_scale: int,
              seed: int | None = 0, finetune_iters: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """Make a pasted object match the image's look.

    Args:
        pasted: 1x3xhxw in [-1, 1], the naive paste (resized to the model's size).
        mask: 1x1xhxw in {0, 1}, 1 on the pasted object.
        finetune_iters: > 0 first fine-tunes scales start_scale..finest with the pasted image
            as their input: reconstructing the pasted image (which keeps the object's shape)
            while the adversarial loss pulls its patches towards the image's (ConSinGAN's
            harmonization fine-tune; needs the discriminators loaded; modifies `model`).
    Returns:
        (raw generator output, blended output), each 1x3xHxW in [-1, 1] at the model's size.
    """
    model.check_scale(start_scale)
    if finetune_iters > 0:
        _finetune_on(model, pasted, start_scale, finetune_iters, seed or 0)
    return _inject_and_blend(model, pasted, mask, start_scale, HARMONIZE_DILATION, seed)


def edit(model: SinGAN, edited: torch.Tensor, mask: torch.Tensor, start_scale: int,
         seed: int | None = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """Blend a crude edit (copied / moved regions) into the image; same shapes as harmonize."""
    return _inject_and_blend(model, edited, mask, start_scale, EDIT_DILATION, seed)


def _finetune_on(model: SinGAN, pasted: torch.Tensor, start_scale: int, iters: int,
                 seed: int) -> None:
    """Fine-tune scales start_scale.. on the pasted image: it is their input and their
    reconstruction target, while the discriminator keeps the training image as real."""
    sizes = model.geometry.sizes
    full = resize(pasted.to(model.device), sizes[-1])
    for scale in range(start_scale, model.num_trained):
        if scale == start_scale:
            prev = resize(full, sizes[scale])
        else:
            prev = resize(model.generate(start_scale=start_scale, init=full, stop_scale=scale - 1),
                          sizes[scale])
        finetune_scale(model, scale, iters, fake_input=lambda prev=prev: prev, rec_input=prev,
                       rec_target=resize(full, sizes[scale]).clamp(-1, 1), seed=seed + scale)
