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


def _batchnorm_pair(channels: int = 5):  # type: ignore[no-untyped-def]
    from models.networks import RowBatchNorm2d

    torch.manual_seed(0)
    plain = torch.nn.BatchNorm2d(channels)
    torch.nn.init.normal_(plain.weight, 1.0, 0.3)
    torch.nn.init.normal_(plain.bias, 0.0, 0.3)
    rows = RowBatchNorm2d(channels)
    rows.load_state_dict(plain.state_dict())
    return plain, rows


def test_row_batchnorm_matches_batchnorm2d_with_its_double_backward() -> None:
    plain, rows = _batchnorm_pair()
    assert plain.state_dict().keys() == rows.state_dict().keys()  # checkpoints stay compatible
    x = torch.randn(2, 5, 7, 9) * 3 + 1
    results = []
    for norm, image in ((plain, x.clone()), (rows, x.contiguous(memory_format=torch.channels_last))):
        image.requires_grad_(True)
        out = norm(image)
        # a gradient-penalty-like loss: needs the double backward through the norm
        (grad,) = torch.autograd.grad((out ** 3).sum(), image, create_graph=True)
        (grad.square().sum() + out.sum()).backward()
        results.append((out, grad, norm.weight.grad, norm.bias.grad, norm.running_mean,
                        norm.running_var))
    assert results[1][0].is_contiguous(memory_format=torch.channels_last)
    for a, b in zip(*results, strict=True):
        assert torch.allclose(a, b, rtol=1e-4, atol=1e-4)
    plain.eval()
    rows.eval()
    cl = x.contiguous(memory_format=torch.channels_last)
    assert torch.allclose(plain(x), rows(cl), atol=1e-5)


def test_networks_are_channels_last_so_the_fast_path_is_taken() -> None:
    from models.networks import RowBatchNorm2d

    g, d = Generator(channels=8), Discriminator(channels=8, spectral_norm=True)
    seen = []
    for net in (g, d):
        for module in net.modules():
            if isinstance(module, RowBatchNorm2d):
                module.register_forward_pre_hook(
                    lambda m, args: seen.append(args[0].is_contiguous(memory_format=torch.channels_last)))
    prev = torch.rand(1, 3, 12, 16)  # a plain NCHW input, as the applications pass
    d(g(torch.randn_like(prev), prev))
    assert seen and all(seen)
