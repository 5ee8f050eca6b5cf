"""Per-scale generator and patch discriminator (the paper's 5-block fully convolutional nets).

    g = Generator(channels=32); fake = g(noise, prev)       # both 1x3xHxW -> 1x3xHxW
    d = Discriminator(channels=32); score_map = d(image)    # 1x3xHxW -> 1x1x(H-10)x(W-10)
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn.utils.parametrizations import spectral_norm as apply_spectral_norm


class RowBatchNorm2d(nn.BatchNorm2d):
    """BatchNorm2d with the same statistics, parameters and state dict, faster on channels-last.

    A channels-last Bx C xHxW tensor is, in memory, a (B*H*W) x C matrix; normalising that matrix
    as BatchNorm1d rows gives exactly BatchNorm2d's per-channel statistics (and running
    estimates), and PyTorch's 2-D kernels, including the double backward the gradient penalty
    needs, are faster than its 4-D channels-last ones (docs/benchmarks.md). Other inputs take
    the ordinary path.
    """

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() != 4 or not x.is_contiguous(memory_format=torch.channels_last):
            return super().forward(x)
        batch, channels, height, width = x.shape
        rows = x.permute(0, 2, 3, 1).reshape(-1, channels)  # a view, no copy
        if self.training and self.track_running_stats:
            self.num_batches_tracked.add_(1)
        use_batch_stats = self.training or not self.track_running_stats
        # momentum None means a cumulative average in BatchNorm2d; keep that meaning
        momentum = (self.momentum if self.momentum is not None
                    else 1.0 / max(1.0, float(self.num_batches_tracked)))
        out = nn.functional.batch_norm(rows, self.running_mean, self.running_var, self.weight,
                                       self.bias, use_batch_stats, momentum, self.eps)
        return out.reshape(batch, height, width, channels).permute(0, 3, 1, 2)


class ConvBlock(nn.Sequential):
    """3x3 conv (no padding) -> BatchNorm -> LeakyReLU(0.2)."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, spectral: bool = False):
        conv = nn.Conv2d(in_channels, out_channels, kernel_size)
        super().__init__(apply_spectral_norm(conv) if spectral else conv,
                         RowBatchNorm2d(out_channels), nn.LeakyReLU(0.2))


def _body(out_channels: int, channels: int, num_layers: int, kernel_size: int,
          spectral: bool = False) -> nn.Sequential:
    """num_layers - 1 conv blocks then a plain conv to `out_channels` (receptive field grows by
    kernel_size - 1 per layer: 11 px for 5 layers of 3x3)."""
    blocks: list[nn.Module] = [ConvBlock(3, channels, kernel_size, spectral)]
    blocks += [ConvBlock(channels, channels, kernel_size, spectral) for _ in range(num_layers - 2)]
    tail = nn.Conv2d(channels, out_channels, kernel_size)
    blocks.append(apply_spectral_norm(tail) if spectral else tail)
    return nn.Sequential(*blocks)


def init_weights(module: nn.Module) -> None:
    """The paper's init: conv weights N(0, 0.02), BatchNorm scale N(1, 0.02), biases 0."""
    for m in module.modules():
        if isinstance(m, nn.Conv2d):
            weight = m.parametrizations.weight.original if hasattr(m, "parametrizations") else m.weight
            nn.init.normal_(weight, 0.0, 0.02)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, nn.BatchNorm2d):
            nn.init.normal_(m.weight, 1.0, 0.02)
            nn.init.zeros_(m.bias)


class Generator(nn.Module):
    """G_n: maps (noise, upsampled previous image) to an image at the same size.

    The input noise + prev is zero-padded by num_layers * (kernel_size // 2) px so that the
    unpadded convs return the input size; the conv output (tanh) is added to prev (residual).
    """

    def __init__(self, channels: int, num_layers: int = 5, kernel_size: int = 3):
        super().__init__()
        self.pad = num_layers * (kernel_size // 2)
        self.body = nn.Sequential(_body(3, channels, num_layers, kernel_size), nn.Tanh())
        init_weights(self)
        # channels-last weights make every conv output channels-last: oneDNN's fastest layout
        # (above all in bf16 training), and what RowBatchNorm2d needs for its fast path
        self.to(memory_format=torch.channels_last)

    def forward(self, noise: torch.Tensor, prev: torch.Tensor) -> torch.Tensor:
        """noise: Bx3xHxW already multiplied by the noise amplitude; prev: Bx3xHxW in about
        [-1, 1]. Returns Bx3xHxW (prev + residual, not clamped)."""
        return self.forward_padded(nn.functional.pad(noise + prev, [self.pad] * 4), prev)

    def forward_padded(self, padded: torch.Tensor, prev: torch.Tensor) -> torch.Tensor:
        """The same with the input already padded: `padded` Bx3x(H+2p)x(W+2p) is noise + prev
        with `pad` px of margin (zeros outside the image), `prev` Bx3xHxW. On a window of a
        zero-padded image (and that window of prev) this gives exactly that window of the whole
        image's output (in eval mode; in training, BatchNorm takes the window's statistics)."""
        return self.body(padded) + prev


class Discriminator(nn.Module):
    """D_n: a patch critic, one raw score per 11x11 patch (no sigmoid)."""

    def __init__(self, channels: int, num_layers: int = 5, kernel_size: int = 3,
                 spectral_norm: bool = False):
        super().__init__()
        self.body = _body(1, channels, num_layers, kernel_size, spectral_norm)
        init_weights(self)
        self.to(memory_format=torch.channels_last)  # see Generator

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        """image: Bx3xHxW in [-1, 1] -> Bx1x(H-2p)x(W-2p) scores, higher = more real."""
        return self.body(image)
