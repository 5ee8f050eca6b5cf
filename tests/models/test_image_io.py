"""The image loader on what real files are: modes, rotation, sizes, damage."""

from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from models.errors import ImageError
from models.image_io import load_image, load_mask, save_image
from tests.conftest import read_png, synthetic_image


def _save(tmp_path: Path, name: str, im: Image.Image, **kwargs) -> Path:  # type: ignore[no-untyped-def]
    path = tmp_path / name
    im.save(path, **kwargs)
    return path


def test_rgb_png_round_trips_exactly(tmp_path: Path) -> None:
    array = synthetic_image()
    image = load_image(_save(tmp_path, "a.png", Image.fromarray(array)))
    assert image.shape == (1, 3, 24, 32) and image.dtype == torch.float32
    assert -1 <= image.min() and image.max() <= 1
    save_image(image, tmp_path / "b.png")
    assert np.array_equal(read_png(tmp_path / "b.png"), array)


def test_exif_rotation_is_applied(tmp_path: Path) -> None:
    im = Image.fromarray(synthetic_image(20, 40))
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise when displayed
    path = _save(tmp_path, "rot.jpg", im, exif=exif)
    assert load_image(path).shape[-2:] == (40, 20)


@pytest.mark.parametrize("mode", ["RGBA", "LA", "P", "L", "CMYK", "1"])
def test_every_common_mode_becomes_rgb(tmp_path: Path, mode: str) -> None:
    im = Image.fromarray(synthetic_image()).convert(mode)
    suffix = ".jpg" if mode == "CMYK" else ".png"
    assert load_image(_save(tmp_path, f"x{suffix}", im)).shape == (1, 3, 24, 32)


def test_transparent_pixels_become_white(tmp_path: Path) -> None:
    rgba = np.zeros((10, 10, 4), dtype=np.uint8)
    path = _save(tmp_path, "t.png", Image.fromarray(rgba, "RGBA"))
    assert torch.allclose(load_image(path), torch.ones(1, 3, 10, 10))


def test_grayscale_gives_three_identical_channels(tmp_path: Path) -> None:
    path = _save(tmp_path, "g.png", Image.fromarray(synthetic_image()).convert("L"))
    image = load_image(path)
    assert torch.equal(image[:, 0], image[:, 1]) and torch.equal(image[:, 1], image[:, 2])


def test_16_bit_is_scaled_not_saturated(tmp_path: Path) -> None:
    array = np.full((8, 8), 32768, dtype=np.uint16)
    path = _save(tmp_path, "deep.png", Image.fromarray(array))
    value = (load_image(path)[0, 0, 0, 0].item() + 1) * 127.5
    assert abs(value - 128) <= 1


def test_large_image_is_downscaled_on_load(tmp_path: Path) -> None:
    path = _save(tmp_path, "big.png", Image.fromarray(synthetic_image(600, 900)))
    assert load_image(path, max_size=250).shape[-2:] == (167, 250)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ImageError, match="nope.png: file not found"):
        load_image(tmp_path / "nope.png")


def test_not_an_image(tmp_path: Path) -> None:
    path = tmp_path / "notes.png"
    path.write_text("hello, I am text")
    with pytest.raises(ImageError, match="not an image file"):
        load_image(path)


@pytest.mark.parametrize("fmt", ["PNG", "JPEG"])
def test_truncated_image(tmp_path: Path, fmt: str) -> None:
    path = tmp_path / f"cut.{fmt.lower()}"
    Image.fromarray(synthetic_image(64, 64)).save(path, format=fmt)
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    with pytest.raises(ImageError, match="damaged or truncated"):
        load_image(path)


def test_mask_is_thresholded_and_resized(tmp_path: Path) -> None:
    gray = np.zeros((48, 64), dtype=np.uint8)
    gray[10:30, 10:40] = 250  # JPEG-ish: not exactly 255
    gray[0, 0] = 100  # below half grey: background
    mask = load_mask(_save(tmp_path, "m.png", Image.fromarray(gray)), size=(24, 32))
    assert mask.shape == (1, 1, 24, 32)
    assert set(mask.unique().tolist()) == {0.0, 1.0}


def test_mask_with_another_aspect_is_refused(tmp_path: Path) -> None:
    path = _save(tmp_path, "m.png", Image.fromarray(np.full((40, 40), 255, dtype=np.uint8)))
    with pytest.raises(ImageError, match="mask is 40x40 but the image is 32x24"):
        load_mask(path, size=(24, 32))


def test_written_files_get_the_usual_permissions(tmp_path: Path) -> None:
    import os

    path = save_image(torch.zeros(1, 3, 4, 4), tmp_path / "x.png")
    mask = os.umask(0)
    os.umask(mask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~mask


def test_a_failed_write_keeps_the_old_file_and_leaves_no_temp(tmp_path: Path) -> None:
    from models.errors import OutputError
    from models.image_io import atomic_write

    target = tmp_path / "result.png"
    target.write_bytes(b"old")

    def disk_full(tmp: Path) -> None:
        tmp.write_bytes(b"half")
        raise OSError(28, "No space left on device")

    with pytest.raises(OutputError, match="No space left on device"):
        atomic_write(target, disk_full)
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["result.png"]


def test_output_under_a_file_is_an_output_error(tmp_path: Path) -> None:
    from models.errors import OutputError

    (tmp_path / "f").write_text("x")
    with pytest.raises(OutputError, match="cannot write"):
        save_image(torch.zeros(1, 3, 4, 4), tmp_path / "f" / "x.png")
