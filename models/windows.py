"""The random windows that large scales train on, and the pool of coarser fakes they reuse.

    window = window_size((667, 1000), crop_size=250)       # (167, 250), or None: whole images
    top, left, h, w = random_window((667, 1000), window)
    real_window = cut(real, top, left, h, w)

A patch GAN only ever judges 11 px patches, so a scale larger than `crop_size` can learn from
windows of its own shape what it would learn from the whole image, at the cost of a window.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

FAKE_POOL = 8  # random coarser images kept per windowed scale
FAKE_POOL_RENEW_EVERY = 4  # windowed steps between two renewed pool images, per window area
CALIBRATION_PASSES = 16  # whole-image passes that re-estimate a windowed scale's BatchNorm statistics


def window_size(size: tuple[int, int], crop_size: int) -> tuple[int, int] | None:
    """The (h, w) of the random windows a scale of `size` trains on: the scale's own shape with
    its longer side shrunk to crop_size, so that a window of a large photo is what the whole
    image of a crop_size px model is; None (whole images) when the scale fits or crop_size is 0.
    """
    h, w = size
    if not crop_size or max(h, w) <= crop_size:
        return None
    shrink = crop_size / max(h, w)
    return max(1, min(h, round(h * shrink))), max(1, min(w, round(w * shrink)))


def random_window(size: tuple[int, int], window: tuple[int, int]) -> tuple[int, int, int, int]:
    """A random (top, left, height, width) of `window`'s size inside an image of `size` (h, w),
    drawn from torch's global RNG.

    The corner is drawn from [-(height - 1), h - 1] and clamped into the image: the border rows
    are then in a window as often as the middle ones, and no row more than twice as often (a
    corner drawn from [0, h - height] would show the border rows `height` times less often).
    """
    (h, w), (height, width) = size, window
    top = min(max(int(torch.randint(-(height - 1), h, ())), 0), h - height)
    left = min(max(int(torch.randint(-(width - 1), w, ())), 0), w - width)
    return top, left, height, width


def cut(image: torch.Tensor, top: int, left: int, height: int, width: int) -> torch.Tensor:
    """The window [top:top+height, left:left+width] of a BxCxHxW tensor (a view)."""
    return image[..., top:top + height, left:left + width]


def padded_window(image: torch.Tensor, top: int, left: int, height: int, width: int,
                  pad: int) -> torch.Tensor:
    """The window of a BxCxHxW tensor grown by `pad` px on every side, zeros where it leaves the
    image: the same as that window of the zero-padded image, without padding the whole image."""
    full_h, full_w = image.shape[-2:]
    t, b, lft, r = top - pad, top + height + pad, left - pad, left + width + pad
    inner = image[..., max(t, 0):min(b, full_h), max(lft, 0):min(r, full_w)]
    return F.pad(inner, [max(-lft, 0), max(r - full_w, 0), max(-t, 0), max(b - full_h, 0)])
