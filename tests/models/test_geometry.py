import math

import pytest
import torch

from models.errors import ImageError
from models.geometry import Geometry, build_pyramid, capped_size, resize


@pytest.mark.parametrize("height,width", [(188, 250), (250, 188), (250, 250), (100, 250), (333, 500),
                                          (1000, 750), (60, 80)])
def test_pyramid_follows_the_papers_formula(height: int, width: int) -> None:
    geometry = Geometry.for_image(height, width, max_size=250, min_size=25, requested_factor=0.75)
    h, w = capped_size(height, width, 250)
    assert max(h, w) <= 250
    expected_scales = math.ceil(math.log(25 / min(h, w), 0.75)) + 1
    assert geometry.num_scales == expected_scales
    assert geometry.sizes[-1] == (h, w)
    assert min(geometry.sizes[0]) == 25  # the factor is re-derived to land exactly
    assert geometry.scale_factor >= 0.75 - 1e-9  # never more scales than requested
    for (h0, w0), (h1, w1) in zip(geometry.sizes, geometry.sizes[1:], strict=False):
        assert h0 <= h1 and w0 <= w1
        assert abs(h0 / h1 - geometry.scale_factor) < 0.05


def test_image_smaller_than_min_size_is_refused_with_the_minimum() -> None:
    with pytest.raises(ImageError, match="at least min_size = 25 px"):
        Geometry.for_image(20, 300, max_size=250, min_size=25, requested_factor=0.75)


def test_scaled_sizes_multiply_every_level() -> None:
    geometry = Geometry.for_image(40, 60, max_size=250, min_size=20, requested_factor=0.75)
    scaled = geometry.scaled_sizes(scale_v=0.5, scale_h=2.0)
    assert scaled[-1] == (20, 120)
    assert all(s == (round(h * 0.5), round(w * 2)) for s, (h, w) in zip(scaled, geometry.sizes, strict=True))


def test_pyramid_levels_are_resized_from_the_finest_and_clamped() -> None:
    image = torch.rand(1, 3, 40, 60) * 2 - 1
    geometry = Geometry.for_image(40, 60, max_size=250, min_size=20, requested_factor=0.75)
    reals = build_pyramid(image, geometry)
    assert [tuple(r.shape[-2:]) for r in reals] == list(geometry.sizes)
    assert torch.equal(reals[-1], image)
    assert all(r.min() >= -1 and r.max() <= 1 for r in reals)
    assert torch.allclose(reals[0], resize(image, geometry.sizes[0]).clamp(-1, 1))
