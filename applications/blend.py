"""Harmonization and editing: inject a pasted / edited image at scale K, blend by a soft mask.

    result, blended = harmonize(model, pasted, mask, start_scale=model.num_trained - 3)
    result, blended = edit(model, edited, mask, start_scale=model.num_trained - 4)

As in the paper, the pasted image enters scale K through scale K-1 (downscaled to K-1, upsampled
to K), which takes the hard edge off the paste, and the mask (1 = the changed region) is dilated
with a disk and blurred so that the generated region fades into the untouched input:
blended = soft_mask * result + (1 - soft_mask) * input.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from applications.blend_defaults import (
    EDIT_SCALES_BELOW_FINEST,
    HARMONIZE_COLOUR_WEIGHT,
    HARMONIZE_FINEST_SHARE,
    HARMONIZE_SCALES_BELOW_FINEST,
    HARMONIZE_VOTE_SHARE,
)
from models.geometry import gaussian_blur, resize
from models.losses import edge_reconstruction_loss
from models.patch_match import PATCH, nearest_patch_vote
from models.seeds import Purpose, fresh_seed
from models.singan import SinGAN
from models.trainer import ProgressCallback, finetune_scale

REFERENCE_SIZE = 250  # the paper's mask numbers are pixels of a 250 px (longest side) image


@dataclass(frozen=True)
class MaskShape:
    """How the changed region becomes a blending weight: dilate by `radius`, blur with a
    Gaussian of std `sigma` (both in px of a 250 px image, scaled to the model's size), the
    dilation's footprint a disk (the paper) or a square."""

    radius: float
    sigma: float
    disk: bool = True

    def at_size(self, longest_side: int) -> MaskShape:
        scale = longest_side / REFERENCE_SIZE
        return MaskShape(self.radius * scale, self.sigma * scale, self.disk)


HARMONIZE_MASK = MaskShape(radius=7, sigma=5)  # the paper's harmonization mask
EDIT_MASK = MaskShape(radius=20, sigma=5)  # the paper's editing mask: edits leave wider seams


def default_start_scale(model: SinGAN, scales_below_finest: int) -> int:
    """A start scale counted from the finest trained one, kept >= 1."""
    return max(1, model.num_trained - 1 - scales_below_finest) if model.num_trained > 1 else 0


def harmonize_start_scale(model: SinGAN) -> int:
    """The default scale that receives a paste."""
    return default_start_scale(model, HARMONIZE_SCALES_BELOW_FINEST)


def edit_start_scale(model: SinGAN) -> int:
    """The default scale that receives an edit."""
    return default_start_scale(model, EDIT_SCALES_BELOW_FINEST)


def soft_mask(mask: torch.Tensor, radius: float, sigma: float | None = None,
              disk: bool = False) -> torch.Tensor:
    """Dilate a 1x1xHxW {0,1} mask by `radius` px (disk or square footprint), then blur it with
    a Gaussian of std `sigma` px (default radius / 2). Returns 1x1xHxW in [0, 1]; 1 wherever the
    input mask is 1."""
    sigma = radius / 2 if sigma is None else sigma
    r = int(radius)
    grown = mask
    if r > 0 and disk:
        d = torch.arange(-r, r + 1, dtype=mask.dtype, device=mask.device)
        footprint = (d.view(-1, 1) ** 2 + d.view(1, -1) ** 2 <= radius ** 2).to(mask.dtype)
        # a pixel joins the region when any mask pixel lies within the disk around it (sums of
        # 0/1 products are exact in float, so > 0.5 is an exact binary dilation)
        grown = (F.conv2d(F.pad(mask, [r] * 4), footprint.view(1, 1, 2 * r + 1, 2 * r + 1))
                 > 0.5).to(mask.dtype)
    elif r > 0:
        grown = F.max_pool2d(mask, 2 * r + 1, stride=1, padding=r)
    if sigma <= 0:
        return grown
    return torch.maximum(gaussian_blur(grown, sigma), mask)  # the pasted region itself is always regenerated


def coarse_input(model: SinGAN, image: torch.Tensor, start_scale: int) -> torch.Tensor:
    """`image` as scale K's input the paper's way: training size -> scale K-1 -> scale K, so
    that only what scale K-1 can hold (no hard edges) is injected. 1x3xh_Kxw_K."""
    sizes = model.geometry.sizes
    full = resize(image.to(model.device), sizes[-1])
    return resize(resize(full, sizes[max(start_scale - 1, 0)]), sizes[start_scale])


def vote_towards_image(result: torch.Tensor, real: torch.Tensor, weights: torch.Tensor,
                       share: float) -> torch.Tensor:
    """`result` (1x3xHxW) moved `share` of the way to its nearest-patch vote on `real` (the
    training image, same size) wherever the blending `weights` (1x1xHxW) are > 0: each patch
    there is replaced by its nearest patch of the image and the overlapping votes averaged
    (models.patch_match.nearest_patch_vote), so the region is made of the image's own patches.
    Only the region's bounding box (plus a patch) is searched. Returns 1x3xHxW."""
    rows, cols = torch.nonzero(weights[0, 0] > 0, as_tuple=True)
    if share <= 0 or len(rows) == 0:
        return result
    height, width = result.shape[-2:]
    top, left = max(int(rows.min()) - PATCH, 0), max(int(cols.min()) - PATCH, 0)
    bottom, right = min(int(rows.max()) + PATCH + 1, height), min(int(cols.max()) + PATCH + 1, width)
    if bottom - top < PATCH or right - left < PATCH:
        return result
    box = result[..., top:bottom, left:right]
    voted = result.clone()
    voted[..., top:bottom, left:right] = torch.lerp(box, nearest_patch_vote(box, real), share)
    return voted


def _inject_and_blend(model: SinGAN, image: torch.Tensor, mask: torch.Tensor, start_scale: int,
                      shape: MaskShape, soften_paste: bool, seed: int | None,
                      vote_share: float = 0.0) -> tuple[torch.Tensor, torch.Tensor]:
    model.check_scale(start_scale)
    size = model.geometry.sizes[model.num_trained - 1]
    image = resize(image.to(model.device), size).clamp(-1, 1)
    px = shape.at_size(max(size))
    weights = soft_mask(resize(mask.to(model.device), size).round(), px.radius, px.sigma, px.disk)
    init = coarse_input(model, image, start_scale) if soften_paste else image
    noise = model.draw_noise(seed=seed)
    result = model.generate(start_scale=start_scale, init=init, noise=noise).clamp(-1, 1)
    if vote_share > 0:
        real = model.reals()[model.num_trained - 1].to(result)
        result = vote_towards_image(result, real, weights, vote_share)
    return result, weights * result + (1 - weights) * image


def harmonize(model: SinGAN, pasted: torch.Tensor, mask: torch.Tensor, start_scale: int,
              seed: int | None = 0, finetune_iters: int = 0, mask_shape: MaskShape = HARMONIZE_MASK,
              soften_paste: bool = True, progress: ProgressCallback | None = None,
              vote_share: float = HARMONIZE_VOTE_SHARE) -> tuple[torch.Tensor, torch.Tensor]:
    """Make a pasted object match the image's look.

    Args:
        pasted: 1x3xhxw in [-1, 1], the naive paste (resized to the model's size).
        mask: 1x1xhxw in {0, 1}, 1 on the pasted object.
        finetune_iters: > 0 first fine-tunes scales start_scale..finest with the pasted image
            as their input (that many iterations at each scale below the finest, a third of
            them at the finest): reconstructing the pasted image's edges (which keeps the
            object's shape; its colours only weakly) while the adversarial loss pulls its patches
            towards the image's (after ConSinGAN's harmonization fine-tune, which reconstructs
            the RGB paste; needs the discriminators loaded; modifies `model`).
        mask_shape: dilation and blur of the mask (default: the paper's).
        soften_paste: inject the paste through scale K-1 (the paper); False: straight at K.
        progress: the fine-tune's progress callback (models.trainer.TrainProgress per scale);
            an exception it raises stops the fine-tune.
        vote_share: afterwards move the generated region this share of the way to its
            nearest-patch vote on the image (vote_towards_image; 0 = off): the strokes and
            colours of the image's own patches, at the cost of some of the object's edges.
    Returns:
        (generated image, blended output), each 1x3xHxW in [-1, 1] at the model's size.
    """
    model.check_scale(start_scale)
    if finetune_iters > 0:
        _finetune_on(model, pasted, start_scale, finetune_iters,
                     fresh_seed() if seed is None else seed, progress)
    return _inject_and_blend(model, pasted, mask, start_scale, mask_shape, soften_paste, seed,
                             vote_share)


def edit(model: SinGAN, edited: torch.Tensor, mask: torch.Tensor, start_scale: int,
         seed: int | None = 0, mask_shape: MaskShape = EDIT_MASK,
         soften_paste: bool = True) -> tuple[torch.Tensor, torch.Tensor]:
    """Blend a crude edit (copied / moved regions) into the image; same shapes and options as
    harmonize (without the fine-tune)."""
    return _inject_and_blend(model, edited, mask, start_scale, mask_shape, soften_paste, seed)


def _finetune_iters_at_finest(iters: int) -> int:
    """The finest scale's share of a harmonization fine-tune of `iters` iterations per scale
    (at least 1): the coarser scales decide how far the object takes the image's look, the
    finest, the costliest, only sharpens it (docs/benchmarks.md)."""
    return max(1, round(iters * HARMONIZE_FINEST_SHARE))


def _finetune_on(model: SinGAN, pasted: torch.Tensor, start_scale: int, iters: int,
                 seed: int, progress: ProgressCallback | None) -> None:
    """Fine-tune scales start_scale.. on the pasted image: it is their input and their
    reconstruction target, while the discriminator keeps the training image as real."""
    sizes = model.geometry.sizes
    full = resize(pasted.to(model.device), sizes[-1])
    rec_loss = functools.partial(edge_reconstruction_loss, colour_weight=HARMONIZE_COLOUR_WEIGHT)
    for scale in range(start_scale, model.num_trained):
        if scale == start_scale:
            prev = resize(full, sizes[scale])
        else:
            noise = model.draw_noise(seed=seed, index=scale, purpose=Purpose.FINETUNE_INPUT)
            prev = resize(model.generate(start_scale=start_scale, init=full, noise=noise,
                                         stop_scale=scale - 1), sizes[scale])
        iters_here = _finetune_iters_at_finest(iters) if scale == model.num_trained - 1 else iters
        finetune_scale(model, scale, iters_here, fake_input=lambda prev=prev: prev, rec_input=prev,
                       rec_target=resize(full, sizes[scale]).clamp(-1, 1), seed=seed,
                       progress=progress, rec_loss=rec_loss)
