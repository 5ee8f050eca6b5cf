import pytest
import torch

from models.losses import (
    discriminator_loss,
    edge_reconstruction_loss,
    generator_loss,
    gradient_penalty,
)
from models.networks import Discriminator


@pytest.mark.parametrize("kind", ["wgan-gp", "hinge", "lsgan"])
def test_discriminator_loss_is_lower_when_it_prefers_real(kind: str) -> None:
    high, low = torch.full((1, 1, 4, 4), 0.9), torch.full((1, 1, 4, 4), -0.9)
    assert discriminator_loss(kind, real_scores=high, fake_scores=low) < \
        discriminator_loss(kind, real_scores=low, fake_scores=high)


@pytest.mark.parametrize("kind", ["wgan-gp", "hinge", "lsgan"])
def test_generator_loss_is_lower_when_fakes_score_as_real(kind: str) -> None:
    assert generator_loss(kind, torch.full((1, 1, 4, 4), 0.9)) < \
        generator_loss(kind, torch.full((1, 1, 4, 4), -0.9))


def test_gradient_penalty_is_zero_for_a_unit_gradient_critic() -> None:
    def critic(x: torch.Tensor) -> torch.Tensor:  # gradient (1, 0, 0) per pixel: norm 1
        return x[:, :1]

    real, fake = torch.rand(1, 3, 16, 16), torch.rand(1, 3, 16, 16)
    assert gradient_penalty(critic, real, fake).item() == pytest.approx(0.0, abs=1e-6)
    penalty = gradient_penalty(Discriminator(8), real, fake)
    assert penalty.item() > 0 and penalty.requires_grad


def test_edge_reconstruction_asks_for_edges_more_than_colours() -> None:
    F = torch.nn.functional
    target = torch.full((1, 3, 16, 16), -0.5)
    target[..., 8:] = 0.5  # one vertical edge
    # the same edge in other colours: a per-channel shift keeps every luminance difference
    recoloured = target + torch.tensor([0.5, -0.5, 0.0]).view(1, 3, 1, 1)
    blurred = F.avg_pool2d(F.pad(target, [1] * 4, mode="replicate"), 3, stride=1)
    assert edge_reconstruction_loss(target, target).item() < 1e-6
    shift_cost = edge_reconstruction_loss(recoloured, target).item()
    assert shift_cost == pytest.approx(0.1 * F.mse_loss(recoloured, target).item(), rel=1e-3)
    # plain MSE calls the recolouring the worse of the two; the edge loss the blur
    assert F.mse_loss(recoloured, target) > 5 * F.mse_loss(blurred, target)
    assert edge_reconstruction_loss(blurred, target) > 3 * shift_cost
