"""Fuzzing the two loaders and untrusted model directories: every bad input ends in our own
one-line error (ImageError / ModelDirError) or a sensible result, never another exception."""

from __future__ import annotations

import io
import pickle  # noqa: TID251 - only to plant a malicious file and prove it is never unpickled
import shutil
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from models.checkpoint import CONFIG_FILE, GENERATORS_FILE, load_model
from models.errors import ImageError, ModelDirError
from models.image_io import load_image, read_rgb
from tests.conftest import synthetic_image

FUZZ = settings(max_examples=40, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture])


def _encoded(fmt: str, **kwargs) -> bytes:  # type: ignore[no-untyped-def]
    buffer = io.BytesIO()
    Image.fromarray(synthetic_image(40, 40)).save(buffer, format=fmt, **kwargs)
    return buffer.getvalue()


def _load_or_image_error(path: Path) -> None:
    try:
        image = load_image(path, max_size=64)
    except ImageError as exc:
        assert str(path) in str(exc) and "\n" not in str(exc)
    else:
        assert image.ndim == 4 and image.shape[1] == 3
        assert image.min() >= -1 and image.max() <= 1


@FUZZ
@given(data=st.binary(max_size=2048))
def test_random_bytes(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "random.png"
    path.write_bytes(data)
    _load_or_image_error(path)


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "GIF", "TIFF", "WEBP"])
@FUZZ
@given(cut=st.floats(min_value=0.0, max_value=0.999))
def test_truncated_files(tmp_path: Path, fmt: str, cut: float) -> None:
    data = _encoded(fmt)
    path = tmp_path / f"cut.{fmt.lower()}"
    path.write_bytes(data[: int(len(data) * cut)])
    _load_or_image_error(path)


@FUZZ
@given(position=st.integers(min_value=0, max_value=10_000), value=st.integers(0, 255))
def test_corrupted_png_bytes(tmp_path: Path, position: int, value: int) -> None:
    data = bytearray(_encoded("PNG"))
    data[position % len(data)] = value
    path = tmp_path / "flip.png"
    path.write_bytes(bytes(data))
    _load_or_image_error(path)


def _png_claiming(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims width x height pixels."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0" * 16)) + \
        chunk(b"IEND", b"")


def test_decompression_bomb_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "bomb.png"
    path.write_bytes(_png_claiming(100_000, 100_000))
    assert path.stat().st_size < 200
    with pytest.raises(ImageError, match="too large to open safely"):
        load_image(path)


def test_zero_byte_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.jpg"
    path.touch()
    with pytest.raises(ImageError, match="not an image file"):
        load_image(path)


def test_one_pixel_image_loads(tmp_path: Path) -> None:
    path = tmp_path / "dot.png"
    Image.new("RGB", (1, 1), (10, 20, 30)).save(path)
    assert load_image(path).shape == (1, 3, 1, 1)


@pytest.mark.parametrize("mode,array", [
    ("I;16", (np.arange(64 * 64).reshape(64, 64) * 16).astype(np.uint16)),
    ("F", np.linspace(0, 1, 64 * 64, dtype=np.float32).reshape(64, 64)),
])
def test_16_bit_and_float_tiffs(tmp_path: Path, mode: str, array: np.ndarray) -> None:
    path = tmp_path / "deep.tif"
    im = Image.fromarray(array)
    assert im.mode == mode
    im.save(path)
    image = load_image(path)
    assert image.shape == (1, 3, 64, 64)
    assert image.max() > 0.9 and image.min() < -0.9  # full range kept, not saturated


def test_alpha_only_image(tmp_path: Path) -> None:
    la = np.zeros((16, 16, 2), dtype=np.uint8)
    la[..., 1] = np.linspace(0, 255, 16, dtype=np.uint8)  # black, fading in over white
    path = tmp_path / "alpha.png"
    Image.fromarray(la, "LA").save(path)
    image = load_image(path)
    assert image[0, 0, 0, 0] > 0.9 and image[0, 0, 0, -1] < -0.9


def test_cmyk_jpeg(tmp_path: Path) -> None:
    path = tmp_path / "cmyk.jpg"
    Image.fromarray(synthetic_image()).convert("CMYK").save(path)
    assert load_image(path).shape == (1, 3, 24, 32)


def test_animated_gif_uses_the_first_frame_and_says_so(tmp_path: Path) -> None:
    frames = [Image.new("RGB", (20, 20), color) for color in ((255, 0, 0), (0, 0, 255))]
    path = tmp_path / "anim.gif"
    frames[0].save(path, save_all=True, append_images=frames[1:])
    notes: list[str] = []
    image = read_rgb(path, notes=notes)
    assert np.asarray(image)[0, 0].tolist()[0] > 200  # red: the first frame
    assert notes and "2 frames" in notes[0] and "first" in notes[0]


# --- untrusted model directories ---------------------------------------------------------------

@pytest.fixture
def model_copy(tiny_model_dir: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "model"
    shutil.copytree(tiny_model_dir, copy)
    return copy


class _Exploit:
    """Unpickling this would create a marker file: proof that code ran."""

    marker: Path

    def __reduce__(self):  # type: ignore[no-untyped-def]
        return (Path.touch, (self.marker,))


def test_planted_pickles_are_never_opened(model_copy: Path, tmp_path: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    exploit = _Exploit()
    exploit.marker = tmp_path / "pwned"
    payload = pickle.dumps(exploit)
    for name in ("Gs.pth", "model.pkl", "generators.pt"):
        (model_copy / name).write_bytes(payload)

    def refuse(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise AssertionError("a pickle loader was called")

    import torch

    monkeypatch.setattr(pickle, "load", refuse)
    monkeypatch.setattr(pickle, "loads", refuse)
    monkeypatch.setattr(torch, "load", refuse)
    load_model(model_copy)  # extra files are ignored
    (model_copy / GENERATORS_FILE).write_bytes(payload)  # a pickle in place of the weights
    with pytest.raises(ModelDirError, match="damaged or truncated"):
        load_model(model_copy)
    assert not exploit.marker.exists()


def test_paths_in_the_config_are_refused(model_copy: Path) -> None:
    summary = yaml.safe_load((model_copy / CONFIG_FILE).read_text())
    summary["image"] = "../../../etc/passwd"
    (model_copy / CONFIG_FILE).write_text(yaml.safe_dump(summary))
    with pytest.raises(ModelDirError, match="unknown entries"):
        load_model(model_copy)


def test_yaml_with_python_tags_is_refused(model_copy: Path) -> None:
    (model_copy / CONFIG_FILE).write_text("!!python/object/apply:os.system ['touch /tmp/x']\n")
    with pytest.raises(ModelDirError, match="unreadable"):
        load_model(model_copy)


@FUZZ
@given(data=st.binary(max_size=600))
def test_random_config_yaml(model_copy: Path, data: bytes) -> None:
    (model_copy / CONFIG_FILE).write_bytes(data)
    with pytest.raises(ModelDirError):
        load_model(model_copy)


@FUZZ
@given(cut=st.floats(min_value=0.0, max_value=0.99), noise=st.binary(max_size=64))
def test_damaged_weights(model_copy: Path, cut: float, noise: bytes) -> None:
    weights = model_copy / GENERATORS_FILE
    original = weights.read_bytes() if not hasattr(test_damaged_weights, "_original") else \
        test_damaged_weights._original  # type: ignore[attr-defined]
    test_damaged_weights._original = original  # type: ignore[attr-defined]
    weights.write_bytes(original[: int(len(original) * cut)] + noise)
    with pytest.raises(ModelDirError):
        load_model(model_copy)


def test_scale_list_that_disagrees_with_the_geometry(model_copy: Path) -> None:
    summary = yaml.safe_load((model_copy / CONFIG_FILE).read_text())
    summary["scales"][1]["size"] = [99, 99]
    (model_copy / CONFIG_FILE).write_text(yaml.safe_dump(summary))
    with pytest.raises(ModelDirError, match="does not match the geometry"):
        load_model(model_copy)


def test_nan_noise_amplitude_is_refused(model_copy: Path) -> None:
    summary = yaml.safe_load((model_copy / CONFIG_FILE).read_text())
    summary["scales"][1]["noise_amp"] = float("nan")
    (model_copy / CONFIG_FILE).write_text(yaml.safe_dump(summary))
    with pytest.raises(ModelDirError, match="non-finite"):
        load_model(model_copy)
