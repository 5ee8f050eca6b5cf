import torch

from models.networks import Discriminator, Generator


def test_generator_keeps_the_size_and_adds_to_prev() -> None:
    g = Generator(channels=8).eval()
    noise, prev = torch.randn(2, 3, 17, 23), torch.rand(2, 3, 17, 23)
    out = g(noise, prev)
    assert out.shape == prev.shape
    # residual path: the conv branch ends in tanh, so out - prev lies in (-1, 1)
    assert (out - prev).abs().max() < 1


def test_generator_with_a_zero_last_conv_returns_prev_exactly() -> None:
    g = Generator(channels=8).eval()
    last_conv = g.body[0][-1]
    torch.nn.init.zeros_(last_conv.weight)
    torch.nn.init.zeros_(last_conv.bias)
    prev = torch.rand(1, 3, 12, 16)
    assert torch.equal(g(torch.randn_like(prev), prev), prev)


def test_discriminator_is_a_patch_critic_with_an_11px_receptive_field() -> None:
    d = Discriminator(channels=8, spectral_norm=True).eval()
    scores = d(torch.randn(1, 3, 30, 40))
    assert scores.shape == (1, 1, 20, 30)
    # a change at pixel (0, 0) only reaches scores whose 11x11 window covers it
    base = torch.zeros(1, 3, 30, 40)
    bumped = base.clone()
    bumped[..., 0, 0] = 1
    changed = (d(bumped) - d(base)).abs()[0, 0] > 0
    assert changed[0, 0] and not changed[1:, :].any() and not changed[:, 1:].any()
