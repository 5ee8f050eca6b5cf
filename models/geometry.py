"""Pyramid geometry (how many scales, which sizes), the one resize used everywhere and a blur.

    geometry = Geometry.for_image(height=188, width=250, max_size=250, min_size=25,
                                  requested_factor=0.75)
    geometry.sizes  # [(25, 33), ..., (188, 250)], index 0 = coarsest

Rule (the paper's): after capping the longest side at max_size, the number of scales is
ceil(log_r(min_size / min(H, W))) + 1, and r is re-derived so that the coarsest level's shortest
side lands exactly on min_size. Every level is resized directly from the capped image.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from models.errors import Fix, ImageError


def capped_size(height: int, width: int, max_size: int) -> tuple[int, int]:
    """(height, width) with the longest side at most max_size, aspect kept."""
    scale = min(1.0, max_size / max(height, width))
    return max(1, round(height * scale)), max(1, round(width * scale))


@dataclass(frozen=True)
class Geometry:
    """Sizes of every scale. `sizes[0]` is the coarsest, `sizes[-1]` the training image."""

    sizes: tuple[tuple[int, int], ...]
    scale_factor: float  # the re-derived r (size ratio between neighbouring scales)

    @property
    def num_scales(self) -> int:
        return len(self.sizes)

    @classmethod
    def for_image(cls, height: int, width: int, max_size: int, min_size: int,
                  requested_factor: float) -> Geometry:
        """Geometry for an image of this size (before or after capping)."""
        height, width = capped_size(height, width, max_size)
        short = min(height, width)
        if short < min_size:
            raise ImageError(
                f"image is {width}x{height} px after capping at max_size {max_size}; the shorter "
                f"side must be at least min_size = {min_size} px", fix=Fix.LARGER_IMAGE_OR_MIN_SIZE)
        steps = math.ceil(math.log(min_size / short) / math.log(requested_factor)) if short > min_size else 0
        factor = (min_size / short) ** (1 / steps) if steps else 1.0
        sizes = []
        for level in range(steps + 1):
            s = factor ** (steps - level)
            sizes.append((max(1, round(height * s)), max(1, round(width * s))))
        return cls(sizes=tuple(sizes), scale_factor=factor)

    def scaled_sizes(self, scale_v: float = 1.0, scale_h: float = 1.0) -> list[tuple[int, int]]:
        """Per-scale sizes for an output scale_v times as tall and scale_h times as wide."""
        return [(max(1, round(h * scale_v)), max(1, round(w * scale_h))) for h, w in self.sizes]


def resize(image: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """Bicubic resize of a Bx3xHxW tensor to `size` (h, w); antialiased when shrinking.

    Values are not clamped: bicubic may overshoot [-1, 1] slightly, as in the paper.
    """
    if tuple(image.shape[-2:]) == tuple(size):
        return image
    shrinking = size[0] < image.shape[-2] or size[1] < image.shape[-1]
    return F.interpolate(image, size=size, mode="bicubic", align_corners=False, antialias=shrinking)


def gaussian_blur(field: torch.Tensor, sigma: float) -> torch.Tensor:
    """Bx1xhxw blurred by a Gaussian of std `sigma` px (separable, edges replicated; the
    Gaussian is cut at 3 sigma, where it is negligible)."""
    reach = max(1, math.ceil(3 * sigma))
    taps = torch.arange(-reach, reach + 1, dtype=field.dtype, device=field.device)
    kernel = torch.exp(-0.5 * (taps / sigma) ** 2)
    kernel = kernel / kernel.sum()
    field = F.conv2d(F.pad(field, [reach, reach, 0, 0], mode="replicate"), kernel.view(1, 1, 1, -1))
    return F.conv2d(F.pad(field, [0, 0, reach, reach], mode="replicate"), kernel.view(1, 1, -1, 1))


def build_pyramid(image: torch.Tensor, geometry: Geometry) -> list[torch.Tensor]:
    """The real image at every scale, each resized directly from `image`, clamped to [-1, 1].

    Args:
        image: 1x3xHxW in [-1, 1], already capped (H, W) == geometry.sizes[-1].
    Returns:
        list of 1x3xh_nxw_n tensors, index 0 = coarsest.
    """
    return [resize(image, size).clamp(-1, 1) for size in geometry.sizes]
