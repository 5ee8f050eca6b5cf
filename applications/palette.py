"""Colour palettes: k-means on an image's colours and mapping an image onto them (a few lines of
torch, no extra dependency). Used by paint2image --quantize.

    palette = kmeans_palette(image, num_colors=5)    # Kx3 in [-1, 1]
    flat = quantize(painting, palette)                # every pixel one of the K colours
"""

from __future__ import annotations

import torch

from models.seeds import Purpose, seeded_generator


def kmeans_palette(image: torch.Tensor, num_colors: int = 5, iters: int = 30) -> torch.Tensor:
    """K-means (k-means++ init) on the pixels of a 1x3xHxW image in [-1, 1].

    The palette belongs to the image, not to a run: its random picks come from one fixed stream
    (models/seeds.py), the same for every seed, so the studio's paint canvas shows the colours
    `paint2image --quantize` maps to. The stream is a CPU generator (torch has none that works
    on every device), so CPU and GPU pick the same centres.
    Returns Kx3 centres on the image's device (K <= num_colors: fewer for an image with fewer
    distinct colours).
    """
    pixels = image[0].reshape(3, -1).T.float()
    gen = seeded_generator(0, Purpose.PALETTE)
    first = torch.randint(len(pixels), (1,), generator=gen).to(pixels.device)
    centers = pixels[first]
    while len(centers) < num_colors:  # k-means++: far pixels are likelier next centres
        dist = torch.cdist(pixels, centers).min(dim=1).values ** 2
        if dist.sum() == 0:
            break
        weights = (dist / dist.sum()).cpu()
        pick = torch.multinomial(weights, 1, generator=gen).to(pixels.device)
        centers = torch.cat([centers, pixels[pick]])
    for _ in range(iters):
        labels = torch.cdist(pixels, centers).argmin(dim=1)
        for k in range(len(centers)):
            members = pixels[labels == k]
            if len(members):
                centers[k] = members.mean(dim=0)
    return centers


def quantize(image: torch.Tensor, palette: torch.Tensor) -> torch.Tensor:
    """Replace every pixel of a Bx3xHxW image by its nearest palette colour."""
    b, c, h, w = image.shape
    pixels = image.permute(0, 2, 3, 1).reshape(-1, c)
    nearest = palette.to(image.device)[torch.cdist(pixels, palette.to(image.device)).argmin(dim=1)]
    return nearest.reshape(b, h, w, c).permute(0, 3, 1, 2)
