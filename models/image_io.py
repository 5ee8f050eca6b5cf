"""Reading and writing images and masks: the only module that touches image file formats.

    image = load_image(Path("photo.jpg"), max_size=250)   # 1x3xHxW float32 in [-1, 1]
    save_image(image, Path("out.png"))

Real photos come in every mode: EXIF-rotated, RGBA/LA/P (composited on white), L (grayscale:
copied into 3 identical channels), 16-bit (scaled to 8 bit before conversion, since a naive
convert saturates), CMYK. Huge files are downscaled straight after opening.
"""

from __future__ import annotations

import os
import tempfile
import warnings
from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageOps, UnidentifiedImageError

from models.errors import ImageError, OutputError


def _to_rgb(im: Image.Image) -> Image.Image:
    """Any Pillow mode -> RGB, compositing transparency onto white."""
    if im.mode in ("I;16", "I;16B", "I;16L", "I;16N", "I"):
        # 16/32-bit integers: scale to 8 bit first (40000 would saturate to 255 otherwise).
        array = np.asarray(im, dtype=np.float64)
        peak = 65535.0 if im.mode.startswith("I;16") or array.max() > 255 else 255.0
        im = Image.fromarray(np.clip(array / peak * 255.0 + 0.5, 0, 255).astype(np.uint8), "L")
    elif im.mode == "F":
        array = np.asarray(im, dtype=np.float64)
        peak = 1.0 if array.max() <= 1.0 else 255.0
        im = Image.fromarray(np.clip(array / peak * 255.0 + 0.5, 0, 255).astype(np.uint8), "L")
    if im.mode == "P" and "transparency" in im.info:
        im = im.convert("RGBA")
    if im.mode in ("RGBA", "LA", "PA", "RGBa", "La"):
        rgba = im.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(background, rgba).convert("RGB")
    return im.convert("RGB")


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())[:200]


def read_rgb(path: Path, max_size: int | None = None, notes: list[str] | None = None) -> Image.Image:
    """Open `path` as an upright RGB Pillow image, longest side capped at max_size.

    Raises ImageError with a one-line message naming the file for every unreadable input.
    `notes` (if given) receives remarks about the file for the user, without its path (the caller
    names the file as its user knows it), e.g. that only the first frame is used.
    """
    path = Path(path)
    if not path.exists():
        raise ImageError("file not found", path=path)
    if path.is_dir():
        raise ImageError("is a directory, expected an image file", path=path)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path) as opened:
                if max_size is not None and opened.format == "JPEG":
                    opened.draft("RGB", (max_size * 2, max_size * 2))  # fast JPEG downscale
                frames = getattr(opened, "n_frames", 1)
                if frames > 1 and notes is not None:
                    notes.append(f"has {frames} frames; using the first frame")
                opened.load()
                im = ImageOps.exif_transpose(opened)
                rgb = _to_rgb(im)
    except FileNotFoundError:
        raise ImageError("file not found", path=path) from None
    except PermissionError:
        raise ImageError("permission denied (check the file's permissions)", path=path) from None
    except UnidentifiedImageError:
        raise ImageError("not an image file Pillow can read (use PNG or JPEG)", path=path) from None
    except (Image.DecompressionBombWarning, Image.DecompressionBombError):
        raise ImageError(f"image is too large to open safely (more than "
                         f"{Image.MAX_IMAGE_PIXELS} pixels); downscale it first", path=path) from None
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        raise ImageError(f"cannot decode image, the file is damaged or truncated "
                         f"({_one_line(exc)}); re-export it as PNG or JPEG", path=path) from None
    except Exception as exc:  # decoders of damaged files raise all sorts (struct.error, ...)
        raise ImageError(f"cannot decode image, the file is damaged ({type(exc).__name__}: "
                         f"{_one_line(exc)}); re-export it as PNG or JPEG", path=path) from None
    if max_size is not None and max(rgb.size) > max_size:
        scale = max_size / max(rgb.size)
        new = (max(1, round(rgb.width * scale)), max(1, round(rgb.height * scale)))
        rgb = rgb.resize(new, Image.Resampling.BICUBIC, reducing_gap=3.0)
    return rgb


def pil_to_tensor(im: Image.Image) -> torch.Tensor:
    """RGB Pillow image -> 1x3xHxW float32 in [-1, 1]."""
    array = np.asarray(im, dtype=np.float32) / 127.5 - 1.0
    return torch.from_numpy(array.copy()).permute(2, 0, 1).unsqueeze(0)


def tensor_to_uint8(image: torch.Tensor) -> np.ndarray:
    """1x3xHxW or 3xHxW in [-1, 1] -> HxWx3 uint8 (clamped, rounded)."""
    if image.dim() == 4:
        image = image[0]
    array = ((image.detach().float().cpu().clamp(-1, 1) + 1) * 127.5).round()
    return array.permute(1, 2, 0).to(torch.uint8).numpy()


def load_image(path: Path, max_size: int | None = None, notes: list[str] | None = None) -> torch.Tensor:
    """Read any image file as 1x3xHxW float32 in [-1, 1], longest side <= max_size."""
    return pil_to_tensor(read_rgb(path, max_size, notes))


def same_aspect(size: tuple[int, int], other: tuple[int, int], tolerance: float = 0.02) -> bool:
    """Whether two (h, w) sizes have the same width/height ratio within `tolerance` (relative)."""
    return abs(size[1] / size[0] - other[1] / other[0]) <= tolerance * (other[1] / other[0])


def load_mask(path: Path, size: tuple[int, int]) -> torch.Tensor:
    """Read a mask (any image; white = region) as 1x1xHxW in {0, 1} at `size` (h, w).

    A mask of another size but the same aspect (within 2%) is resized; another aspect is refused.
    JPEG masks are thresholded at half grey.
    """
    gray = read_rgb(path).convert("L")
    height, width = size
    if (gray.height, gray.width) != (height, width):
        if not same_aspect((gray.height, gray.width), size):
            raise ImageError(f"mask is {gray.width}x{gray.height} but the image is "
                             f"{width}x{height}; make a mask with the image's aspect ratio", path=path)
        gray = gray.resize((width, height), Image.Resampling.BILINEAR)
    array = (np.asarray(gray, dtype=np.float32) >= 128).astype(np.float32)
    if array.max() == 0:
        raise ImageError("mask is empty (no white pixels); paint the region white", path=path)
    return torch.from_numpy(array)[None, None]


def _current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def atomic_write(path: Path, write) -> Path:  # type: ignore[no-untyped-def]
    """Call write(tmp_path) then rename onto `path`, so `path` is never half-written.

    OS errors (permissions, a full disk, a file where a folder should be) become OutputError;
    the temp file is removed and an existing `path` is left as it was.
    """
    path = Path(path)
    tmp: str | None = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=path.suffix)
        os.close(fd)
        write(Path(tmp))
        os.chmod(tmp, 0o666 & ~_current_umask())  # mkstemp makes 0600; give the usual mode
        os.replace(tmp, path)
    except OSError as exc:
        raise OutputError(f"cannot write ({exc.strerror or exc}); check the folder's "
                          f"permissions and free disk space", path=path) from None
    finally:
        if tmp is not None and os.path.exists(tmp):
            os.unlink(tmp)
    return path


def save_image(image: torch.Tensor | np.ndarray, path: Path) -> Path:
    """Write a 1x3xHxW / 3xHxW tensor in [-1, 1] (or HxWx3 uint8) to `path` (format by suffix)."""
    array = image if isinstance(image, np.ndarray) else tensor_to_uint8(image)
    fmt = Image.registered_extensions().get(Path(path).suffix.lower(), "PNG")
    return atomic_write(path, lambda tmp: Image.fromarray(array).save(tmp, format=fmt))


def image_grid(images: list[torch.Tensor], columns: int | None = None, gap: int = 4) -> np.ndarray:
    """Tile 1x3xhxw tensors (any sizes) into one HxWx3 uint8 sheet on a white background."""
    tiles = [tensor_to_uint8(im) for im in images]
    columns = columns or len(tiles)
    rows = (len(tiles) + columns - 1) // columns
    cell_h = max(t.shape[0] for t in tiles)
    cell_w = max(t.shape[1] for t in tiles)
    sheet = np.full((rows * cell_h + (rows - 1) * gap, columns * cell_w + (columns - 1) * gap, 3),
                    255, dtype=np.uint8)
    for i, tile in enumerate(tiles):
        r, c = divmod(i, columns)
        y, x = r * (cell_h + gap), c * (cell_w + gap)
        sheet[y:y + tile.shape[0], x:x + tile.shape[1]] = tile
    return sheet


def save_animation(frames: list[np.ndarray], path: Path, fps: float) -> Path:
    """Write HxWx3 uint8 frames: .gif (loops forever), .webp, .mp4 (needs imageio-ffmpeg), or a
    folder of PNG frames when `path` has no suffix. Returns the path written."""
    import imageio.v3 as iio

    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == "":  # a folder of frames; save_image creates it
        for i, frame in enumerate(frames):
            save_image(frame, path / f"frame_{i:04d}.png")
        return path
    if suffix == ".gif":
        def write(tmp: Path) -> None:
            iio.imwrite(tmp, np.stack(frames), extension=".gif", duration=1000 / fps, loop=0)
    elif suffix == ".webp":
        def write(tmp: Path) -> None:
            pil_frames = [Image.fromarray(f) for f in frames]
            pil_frames[0].save(tmp, format="WEBP", save_all=True, append_images=pil_frames[1:],
                               duration=round(1000 / fps), loop=0, lossless=True)
    elif suffix == ".mp4":
        import importlib.util

        if importlib.util.find_spec("imageio_ffmpeg") is None:
            raise OutputError("writing MP4 needs the video extra: pip install "
                              "'singan-cli[video]' (or use .gif)", path=path)

        def write(tmp: Path) -> None:
            iio.imwrite(tmp, np.stack(frames), plugin="FFMPEG", fps=fps)
    else:
        raise OutputError(f"unknown animation format '{suffix}'; use .gif, .webp, .mp4 "
                         f"or a folder name without a suffix", path=path)
    return atomic_write(path, write)
