"""Sample quality against the training image: patch SWD, coherence, completeness, L1, diversity.

    scores = evaluate(model, num_samples=16)     # dict of floats, all on the 0-255 pixel scale
    swd = patch_swd(fake, real)                  # 1x3xHxW tensors in [-1, 1]

- swd: sliced Wasserstein-1 distance between all 7x7x3 patches (stride 1) of the two images,
  projected on 256 fixed random unit directions (seed 0), sorted, mean absolute difference of
  the sorted projections (quantiles matched when the counts differ); averaged over 3 levels of
  a Gaussian pyramid (5-tap binomial blur, stride 2). 0 for identical images; lower is better.
- coherence: mean RMS distance from sampled fake patches to their nearest real patch (does every
  part of the sample look like some part of the image?); completeness: the same from real
  patches to fake ones (is every part of the image represented?).
- l1: mean absolute difference to the training image (a copy scores about 0; < 5 is flagged).
- diversity: SinGAN's: mean per-pixel std across samples of the gray image / std of the real.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from models.patch_match import with_patch_scales
from models.singan import SinGAN

PATCH = 7
DIRECTIONS = 256
LEVELS = 3
COPY_L1 = 5.0


def _to_255(image: torch.Tensor) -> torch.Tensor:
    return (image.detach().float().cpu().clamp(-1, 1) + 1) * 127.5


def _patches(image: torch.Tensor) -> torch.Tensor:
    """1x3xHxW -> (num_patches, 147) rows of all 7x7x3 patches at stride 1."""
    return F.unfold(image, PATCH).squeeze(0).T


def _blur_down(image: torch.Tensor) -> torch.Tensor:
    """5-tap binomial blur, then stride 2 (one Gaussian-pyramid level)."""
    taps = torch.tensor([1.0, 4.0, 6.0, 4.0, 1.0]) / 16
    kernel = (taps[:, None] * taps[None, :]).expand(3, 1, 5, 5)
    return F.conv2d(F.pad(image, [2] * 4, mode="reflect"), kernel, stride=2, groups=3)


def _directions() -> torch.Tensor:
    gen = torch.Generator().manual_seed(0)
    dirs = torch.randn(PATCH * PATCH * 3, DIRECTIONS, generator=gen)
    return dirs / dirs.norm(dim=0, keepdim=True)


def _sorted_projections(patches: torch.Tensor, count: int, dirs: torch.Tensor) -> torch.Tensor:
    proj, _ = torch.sort(patches @ dirs, dim=0)
    if len(proj) == count:
        return proj
    quantiles = (torch.arange(count, dtype=torch.float32) + 0.5) / count
    index = (quantiles * len(proj)).long().clamp(max=len(proj) - 1)
    return proj[index]


def patch_swd(fake: torch.Tensor, real: torch.Tensor) -> float:
    """Patch SWD between two 1x3xHxW images in [-1, 1] (sizes may differ), 0-255 scale."""
    a, b = _to_255(fake), _to_255(real)
    dirs = _directions()
    distances = []
    for level in range(LEVELS):
        if level:
            a, b = _blur_down(a), _blur_down(b)
        if min(*a.shape[-2:], *b.shape[-2:]) < PATCH:
            break  # tiny images: only the levels that still hold a patch
        pa, pb = _patches(a), _patches(b)
        count = max(len(pa), len(pb))
        gap = _sorted_projections(pa, count, dirs) - _sorted_projections(pb, count, dirs)
        distances.append(gap.abs().mean().item())
    return sum(distances) / len(distances)


def _nearest_rms(queries: torch.Tensor, pool: torch.Tensor, chunk: int = 1024) -> float:
    """Mean over queries of the RMS distance (per patch value) to the nearest row of pool."""
    best = []
    for start in range(0, len(queries), chunk):
        dist = torch.cdist(queries[start:start + chunk], pool).min(dim=1).values
        best.append(dist / queries.shape[1] ** 0.5)
    return torch.cat(best).mean().item()


def coherence_completeness(fake: torch.Tensor, real: torch.Tensor, samples: int = 2000,
                           seed: int = 0) -> tuple[float, float]:
    """(coherence, completeness) of one fake image against the real one, 0-255 scale."""
    pf, pr = _patches(_to_255(fake)), _patches(_to_255(real))
    gen = torch.Generator().manual_seed(seed)
    some_f = pf[torch.randperm(len(pf), generator=gen)[:samples]]
    some_r = pr[torch.randperm(len(pr), generator=gen)[:samples]]
    return _nearest_rms(some_f, pr), _nearest_rms(some_r, pf)


def diversity(samples: list[torch.Tensor], real: torch.Tensor) -> float:
    """Mean per-pixel std across samples of the gray image, over the real gray image's std."""
    gray = torch.stack([_to_255(s).mean(dim=1) for s in samples])
    return (gray.std(dim=0).mean() / _to_255(real).mean(dim=1).std()).item()


def score_samples(samples: list[torch.Tensor], real: torch.Tensor) -> dict[str, float]:
    """All measures for samples (each 1x3xHxW like `real`, in [-1, 1])."""
    per_sample = [coherence_completeness(s, real, seed=i) for i, s in enumerate(samples)]
    l1 = [(_to_255(s) - _to_255(real)).abs().mean().item() for s in samples]
    return {
        "swd": sum(patch_swd(s, real) for s in samples) / len(samples),
        "coherence": sum(c for c, _ in per_sample) / len(samples),
        "completeness": sum(c for _, c in per_sample) / len(samples),
        "l1": sum(l1) / len(l1),
        "min_l1": min(l1),
        "copies": float(sum(v < COPY_L1 for v in l1)),
        "diversity": diversity(samples, real) if len(samples) > 1 else 0.0,
    }


def seeded_samples(model: SinGAN, count: int, seed: int = 0) -> list[torch.Tensor]:
    """The `count` samples that `evaluate` scores (start scale 0, noise i of `seed`), each
    1x3xHxW in [-1, 1] at the model's finest trained size."""
    return [model.generate(noise=model.draw_noise(seed=seed, index=i)).clamp(-1, 1)
            for i in range(count)]


def evaluate(model: SinGAN, num_samples: int = 16, seed: int = 0,
             patch_scales: int = 0) -> dict[str, float]:
    """Score `num_samples` samples from start scale 0 against the model's training image;
    `patch_scales` as in applications.sample.sample."""
    real = model.reals()[model.num_trained - 1]
    return score_samples(seeded_samples(with_patch_scales(model, patch_scales), num_samples, seed),
                         real)
