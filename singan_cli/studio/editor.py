"""Page values as the model takes them, and back: uploads, ImageEditor dicts, numpy arrays.

    image = read_upload("photo.jpg", max_size=250)                      # 1x3xHxW in [-1, 1]
    paste = to_model_size(editor_image(value, "paste"), (h, w), "paste")  # 1x3xhxw in [-1, 1]
    region = mask_to_model_size(editor_mask(mask_value), (h, w))       # 1x1xhxw in {0, 1}
    value = editor_value(canvas)                                        # an editor's new value

No gradio here. Editor values are Gradio ImageEditor dicts {"background", "layers",
"composite"} of HxWx4 uint8 arrays: a painting or a paste is the composite, a brushed mask is
where any layer is not transparent. Bad input raises SinganError subclasses (one line, naming
the upload and the fix), which the page shows as an error message.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import torch
from PIL import Image

from models.errors import ImageError, UsageError
from singan_cli.common import say

MAX_UPLOAD_BYTES = 50 * 2**20  # also Gradio's upload limit (launch(max_file_size=...))


def read_upload(path: str | Path | None, max_size: int | None = None, what: str = "image") -> torch.Tensor:
    """An uploaded image file as 1x3xHxW in [-1, 1] (longest side capped at max_size).

    Raises ImageError naming the upload (its base name, never the server's cache path) for a
    file that is missing, not an image, damaged, or enormous (over 50 MB or Pillow's pixel limit).
    """
    from models.image_io import load_image

    if path is None or str(path) == "":
        raise UsageError(f"upload an {what} first")
    path = Path(path)
    if path.is_file() and path.stat().st_size > MAX_UPLOAD_BYTES:
        raise ImageError(f"{path.name}: is {path.stat().st_size / 2**20:.0f} MB; the studio takes "
                         f"images up to {MAX_UPLOAD_BYTES // 2**20} MB (downscale it first)")
    notes: list[str] = []
    try:
        image = load_image(path, max_size, notes)
    except ImageError as exc:
        exc.path = path.name  # the upload's name, never the server's cache path
        raise
    for note in notes:
        say(f"{path.name}: {note}")
    return image


def read_rgba(upload: str | Path | None) -> Image.Image:
    """An uploaded object to paste as RGBA (its transparency kept), validated like every upload."""
    from PIL import ImageOps

    from models.image_io import read_rgb

    read_upload(upload, None, "object to paste")  # the one-line errors for bad files
    path = Path(str(upload))
    with Image.open(path) as opened:
        if opened.mode in ("RGBA", "LA", "PA") or "transparency" in opened.info:
            return ImageOps.exif_transpose(opened).convert("RGBA")
    return read_rgb(path).convert("RGBA")


def _rgb(array: Any) -> np.ndarray:
    """HxW, HxWx3 or HxWx4 uint8 -> HxWx3 uint8 (transparency composited on white)."""
    array = np.asarray(array)
    if array.dtype != np.uint8:
        array = np.clip(array, 0, 255).astype(np.uint8)
    if array.ndim == 2:
        return np.repeat(array[..., None], 3, axis=2)
    if array.shape[2] == 4:
        alpha = array[..., 3:4].astype(np.float32) / 255
        return (array[..., :3] * alpha + 255 * (1 - alpha) + 0.5).astype(np.uint8)
    return array[..., :3]


def editor_image(value: dict[str, Any] | None, what: str = "canvas") -> np.ndarray:
    """The picture an ImageEditor shows (its composite), HxWx3 uint8."""
    if not value:
        raise UsageError(f"the {what} is empty; upload or paint an image first")
    picture = value.get("composite")
    if picture is None:
        picture = value.get("background")
    if picture is None:
        raise UsageError(f"the {what} is empty; upload or paint an image first")
    return _rgb(picture)


def editor_mask(value: dict[str, Any] | None, what: str = "mask") -> np.ndarray:
    """Where the brush touched an ImageEditor (any layer pixel with alpha > 0), HxW bool."""
    layers = [np.asarray(layer) for layer in (value or {}).get("layers") or [] if layer is not None]
    painted = [layer[..., 3] > 0 for layer in layers if layer.ndim == 3 and layer.shape[2] == 4]
    if not painted or not np.any(np.logical_or.reduce(painted)):
        raise UsageError(f"the {what} is empty: brush over the region to change")
    return np.logical_or.reduce(painted)


def editor_value(background: Any, layers: list[Any] | None = None) -> dict[str, Any]:
    """An ImageEditor value showing `background` (HxWx3 or HxWx4 uint8); without layers, one
    transparent layer to draw on (an editor set to a background alone may start with no
    drawing layer)."""
    blank = np.zeros((*np.asarray(background).shape[:2], 4), dtype=np.uint8)
    return {"background": background, "layers": layers or [blank], "composite": None}


def brush_size(image: Any) -> int:
    """A brush radius of about 1/25 of the image's longest side (Gradio's 'auto' is far larger
    on small images)."""
    return max(2, round(max(np.asarray(image).shape[:2]) / 25))


def to_model_size(array: np.ndarray, size: tuple[int, int], what: str) -> torch.Tensor:
    """HxWx3 uint8 -> 1x3xhxw in [-1, 1] at the model's size (h, w); another aspect is refused."""
    from models.geometry import resize
    from models.image_io import pil_to_tensor, same_aspect

    height, width = size
    h, w = array.shape[:2]
    if not same_aspect((h, w), size):
        raise ImageError(f"the {what} is {w}x{h} but the model's image is {width}x{height}; use "
                         f"an image with the same aspect ratio (or start from the model's image)")
    return resize(pil_to_tensor(Image.fromarray(array)), size).clamp(-1, 1)


def mask_to_model_size(mask: np.ndarray, size: tuple[int, int]) -> torch.Tensor:
    """HxW bool -> 1x1xhxw in {0, 1} at `size` (threshold at half, like masks read from files)."""
    from models.image_io import same_aspect

    height, width = size
    h, w = mask.shape
    if not same_aspect((h, w), size):
        raise ImageError(f"the mask is {w}x{h} but the model's image is {width}x{height}; brush "
                         f"it on the paste")
    im = Image.fromarray(mask.astype(np.uint8) * 255).resize((width, height), Image.Resampling.BILINEAR)
    binary = (np.asarray(im, dtype=np.float32) >= 128).astype(np.float32)
    if binary.max() == 0:
        raise UsageError("the mask is empty at the model's size: brush a larger region")
    return torch.from_numpy(binary)[None, None]


def hex_color(color: torch.Tensor) -> str:
    """A colour, 3 values in [-1, 1], as the page writes it: "#rrggbb"."""
    r, g, b = ((color.float().cpu().clamp(-1, 1) + 1) * 127.5).round().int().tolist()
    return f"#{r:02x}{g:02x}{b:02x}"
