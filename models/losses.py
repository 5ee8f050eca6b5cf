"""Adversarial losses (from the seed survey), the WGAN-GP gradient penalty, and the
reconstruction losses.

Each adversarial function takes the discriminator's raw score maps; higher scores mean "more
real".
    d_loss = discriminator_loss("wgan-gp", d(real), d(fake))
    g_loss = generator_loss("wgan-gp", d(fake))
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F


def discriminator_loss(kind: str, real_scores: torch.Tensor, fake_scores: torch.Tensor) -> torch.Tensor:
    """Loss the discriminator minimises (lower when real scores exceed fake scores)."""
    if kind == "wgan-gp":
        return fake_scores.mean() - real_scores.mean()
    if kind == "hinge":
        return F.relu(1 - real_scores).mean() + F.relu(1 + fake_scores).mean()
    if kind == "lsgan":
        return 0.5 * ((real_scores - 1) ** 2).mean() + 0.5 * (fake_scores ** 2).mean()
    raise ValueError(f"unknown loss {kind!r}")


def generator_loss(kind: str, fake_scores: torch.Tensor) -> torch.Tensor:
    """Adversarial loss the generator minimises (lower when its fakes score as real)."""
    if kind in ("wgan-gp", "hinge"):
        return -fake_scores.mean()
    if kind == "lsgan":
        return 0.5 * ((fake_scores - 1) ** 2).mean()
    raise ValueError(f"unknown loss {kind!r}")


def gradient_penalty(critic: Callable[[torch.Tensor], torch.Tensor], real: torch.Tensor,
                     fake: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
    """E[(||grad critic(x_hat)||_2 - 1)^2] on random interpolates x_hat of real and fake.

    The norm is taken per pixel over channels, as in the official SinGAN code.
    """
    alpha = torch.rand(real.shape[0], 1, 1, 1, device=real.device, generator=generator)
    mixed = (alpha * real + (1 - alpha) * fake.detach()).requires_grad_(True)
    (grad,) = torch.autograd.grad(critic(mixed).sum(), mixed, create_graph=True)
    return ((grad.norm(2, dim=1) - 1) ** 2).mean()


def edge_magnitude(image: torch.Tensor, eps: float = 1e-6) -> torch.Tensor:
    """Bx3xHxW in [-1, 1] -> Bx1xHxW: the magnitude of the luminance's forward differences.

    eps > 0 keeps the magnitude's gradient finite on flat regions (for losses); 0 measures."""
    luminance = image.mean(dim=1, keepdim=True)
    dx = F.pad(luminance[..., :, 1:] - luminance[..., :, :-1], [0, 1, 0, 0])
    dy = F.pad(luminance[..., 1:, :] - luminance[..., :-1, :], [0, 0, 0, 1])
    return (dx ** 2 + dy ** 2 + eps).sqrt()


def edge_reconstruction_loss(output: torch.Tensor, target: torch.Tensor,
                             colour_weight: float = 0.1, edge_weight: float = 4.0) -> torch.Tensor:
    """A reconstruction that asks mostly for the target's edges, little for its colours.

    output, target: Bx3xHxW in [-1, 1]. MSE of the luminance edge magnitudes (edge_weight) plus
    a weak RGB MSE (colour_weight) that keeps the colours from drifting. Used by harmonization's
    fine-tune: the pasted object keeps its outline while the adversarial loss is free to give it
    the image's colours and strokes (an RGB target kept the object's own colours).
    """
    return (colour_weight * F.mse_loss(output, target)
            + edge_weight * F.mse_loss(edge_magnitude(output), edge_magnitude(target)))
