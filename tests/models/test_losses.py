import pytest
import torch

from models.losses import discriminator_loss, generator_loss, gradient_penalty
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
