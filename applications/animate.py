"""Animation: a random walk of the noise around the reconstruction noise (the paper's GIFs).

    frames = animate(model, num_frames=100, alpha=0.1, beta=0.9, start_scale=0, loop=True)

At every scale >= start_scale the noise follows z_t = alpha * c + (1 - alpha) * (z_{t-1} + d_t)
with momentum d_t = beta * (z_{t-1} - z_{t-2}) + (1 - beta) * fresh noise, where c is the
reconstruction noise (z_rec at the coarsest scale, zero above). Scales below start_scale stay on
c, so a higher start scale moves only finer detail. With loop=True the walk's drift is removed
linearly so that the frame after the last equals the first: the GIF loops without a jump.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import torch

from models.seeds import Purpose, fresh_seed, seeded_generator
from models.singan import SinGAN


def noise_walk(center: torch.Tensor, num_frames: int, alpha: float, beta: float,
               gen: torch.Generator, loop: bool) -> list[torch.Tensor]:
    """num_frames noise tensors (shape of `center`) following the momentum walk."""
    prev2 = center
    prev1 = 0.95 * center + 0.05 * torch.randn(center.shape, generator=gen)
    walk = []
    for _ in range(num_frames + 1):  # one extra: the frame after the last, for looping
        step = beta * (prev1 - prev2) + (1 - beta) * torch.randn(center.shape, generator=gen)
        current = alpha * center + (1 - alpha) * (prev1 + step)
        prev2, prev1 = prev1, current
        walk.append(current)
    if loop:  # remove the drift so that walk[num_frames] == walk[0]
        drift = walk[num_frames] - walk[0]
        walk = [z - (t / num_frames) * drift for t, z in enumerate(walk)]
    return walk[:num_frames]


def animate(model: SinGAN, num_frames: int = 100, alpha: float = 0.1, beta: float = 0.9,
            start_scale: int = 0, loop: bool = False, seed: int | None = 0,
            on_frame: Callable[[int], None] | None = None) -> Iterator[torch.Tensor]:
    """Yield `num_frames` frames, each 1x3xHxW in [-1, 1] at the model's size. The same seed
    gives the same clip; seed None a new one each call."""
    model.check_scale(start_scale)
    gen = seeded_generator(fresh_seed() if seed is None else seed, Purpose.ANIMATE)
    assert model.z_rec is not None
    centers = [model.z_rec.cpu()] + [torch.zeros(1, 3, *size)
                                     for size in model.geometry.sizes[1: model.num_trained]]
    walks = [noise_walk(c, num_frames, alpha, beta, gen, loop) if n >= start_scale else None
             for n, c in enumerate(centers)]
    for t in range(num_frames):
        noise = [(w[t] if w is not None else centers[n]).to(model.device) for n, w in enumerate(walks)]
        yield model.generate(start_scale=0, noise=noise).clamp(-1, 1)
        if on_frame:
            on_frame(t)
