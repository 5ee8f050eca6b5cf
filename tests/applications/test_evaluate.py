"""The quality measures rank what they should."""

import torch

from applications.evaluate import coherence_completeness, diversity, patch_swd, score_samples
from tests.conftest import synthetic_image


def _image(seed: int = 0, size: tuple[int, int] = (40, 48)) -> torch.Tensor:
    array = torch.from_numpy(synthetic_image(*size, seed=seed)).float()
    return array.permute(2, 0, 1)[None] / 127.5 - 1


def test_identity_scores_zero() -> None:
    real = _image()
    assert patch_swd(real, real) == 0.0
    assert coherence_completeness(real, real) == (0.0, 0.0)


def test_blur_and_noise_rank_worse_than_a_flip() -> None:
    real = _image()
    flipped = real.flip(-1)
    blurred = torch.nn.functional.avg_pool2d(real, 5, stride=1, padding=2, count_include_pad=False)
    noisy = (real + 0.4 * torch.randn(real.shape, generator=torch.Generator().manual_seed(1))).clamp(-1, 1)
    swd_flip = patch_swd(flipped, real)
    assert swd_flip < patch_swd(blurred, real)
    assert swd_flip < patch_swd(noisy, real)
    assert coherence_completeness(blurred, real)[0] > coherence_completeness(flipped, real)[0]


def test_sizes_may_differ() -> None:
    assert patch_swd(_image(size=(40, 48)), _image(size=(30, 60))) > 0


def test_copies_are_flagged_and_diversity_is_zero_for_identical_samples() -> None:
    real = _image()
    scores = score_samples([real, real.clone()], real)
    assert scores["copies"] == 2 and scores["l1"] == 0
    assert diversity([real, real], real) == 0
    assert diversity([real, _image(seed=5)], real) > 0
