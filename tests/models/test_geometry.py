
import pytest
import torch

from models.errors import ImageError
from models.geometry import Geometry, build_pyramid, resize

# Worked by hand from the paper's rule (max_size 250, min_size 25, r 0.75): cap the longest
# side, N = ceil(log_0.75(25 / short side)) steps, r' = (25 / short)^(1/N), level l is
# round(H * r'^(N - l)) x round(W * r'^(N - l)). E.g. 188x250: log(25/188) / log(0.75) = 7.01,
# so 8 steps (9 scales), r' = (25/188)^(1/8) = 0.77709; level 1 is 188 * 0.17112 = 32.17 -> 32
# by 250 * 0.17112 = 42.78 -> 43.
HAND_COMPUTED = {
    (188, 250): (0.77709, [(25, 33), (32, 43), (41, 55), (53, 71), (69, 91), (88, 117), (114, 151),
                           (146, 194), (188, 250)]),
    # capped to 250x187.5, which Python's round-half-to-even makes 250x188
    (1000, 750): (0.77709, [(33, 25), (43, 32), (55, 41), (71, 53), (91, 69), (117, 88), (151, 114),
                            (194, 146), (250, 188)]),
    # log(25/60) / log(0.75) = 3.04: 4 steps, r' = (25/60)^(1/4) = 0.80343
    (60, 80): (0.80343, [(25, 33), (31, 41), (39, 52), (48, 64), (60, 80)]),
    (25, 40): (1.0, [(25, 40)]),  # already at min_size: one scale
}


@pytest.mark.parametrize("height,width", list(HAND_COMPUTED))
def test_pyramid_matches_hand_computed_sizes(height: int, width: int) -> None:
    factor, sizes = HAND_COMPUTED[(height, width)]
    geometry = Geometry.for_image(height, width, max_size=250, min_size=25, requested_factor=0.75)
    assert list(geometry.sizes) == sizes
    assert geometry.scale_factor == pytest.approx(factor, abs=1e-5)


def test_image_smaller_than_min_size_is_refused_with_the_minimum() -> None:
    with pytest.raises(ImageError, match="at least min_size = 25 px"):
        Geometry.for_image(20, 300, max_size=250, min_size=25, requested_factor=0.75)


def test_scaled_sizes_multiply_every_level() -> None:
    geometry = Geometry.for_image(40, 60, max_size=250, min_size=20, requested_factor=0.75)
    scaled = geometry.scaled_sizes(scale_v=0.5, scale_h=2.0)
    assert scaled[-1] == (20, 120)
    assert all(s == (round(h * 0.5), round(w * 2)) for s, (h, w) in zip(scaled, geometry.sizes, strict=True))


def test_pyramid_levels_are_resized_from_the_finest_and_clamped() -> None:
    image = torch.full((1, 3, 40, 60), -1.0)
    image[..., 30:] = 1.0  # a hard black/white edge: bicubic rings past [-1, 1] beside it
    geometry = Geometry.for_image(40, 60, max_size=250, min_size=20, requested_factor=0.75)
    reals = build_pyramid(image, geometry)
    assert [tuple(r.shape[-2:]) for r in reals] == list(geometry.sizes)
    assert torch.equal(reals[-1], image)
    assert resize(image, geometry.sizes[0]).abs().max() > 1.01  # the ringing exists...
    assert all(r.abs().max() <= 1 for r in reals)  # ...and the pyramid clips it
    assert torch.equal(reals[0][..., 0], torch.full((1, 3, 20), -1.0))  # far from the edge: exact
