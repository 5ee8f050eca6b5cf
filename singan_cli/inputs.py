"""Loading what the application commands take: a model (or a photo's training-free one), an image
at the model's size, a mask."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def load_model_image_mask(model_dir: Path, image_path: Path, mask_path: Path | None,
                          with_discriminators: bool = False,
                          device: Any = "cpu") -> tuple[Any, Any, Any]:
    """(model, image 1x3xHxW, mask 1x1xHxW or None), image and mask at the model's trained size;
    the model on `device` (image and mask stay on the CPU: the applications move them).

    An image whose aspect differs from the training image's is refused (it would be stretched).
    """
    from models.checkpoint import load_model
    from models.errors import ImageError
    from models.geometry import resize
    from models.image_io import load_image, load_mask, same_aspect

    model = load_model(model_dir, device=device, with_discriminators=with_discriminators)
    height, width = model.geometry.sizes[model.num_trained - 1]
    image = load_image(image_path)
    h, w = image.shape[-2:]
    if not same_aspect((h, w), (height, width)):
        raise ImageError(f"{image_path}: is {w}x{h} but the model's image is {width}x{height}; "
                         f"use an image with the training image's aspect ratio")
    image = resize(image, (height, width)).clamp(-1, 1)
    mask = load_mask(mask_path, (height, width)) if mask_path is not None else None
    return model, image, mask


def load_model_or_photo(path: Path, device: Any, patch_scales: int = 0) -> Any:
    """The trained model in directory `path`, or, when `path` is a photo, a training-free SinGAN
    of it (models/patch_match.py) in the default preset's pyramid, on `device`.

    `patch_scales` (--patch-scales) is only for a model directory: a photo's scales are all
    patch-matched already, so asking for it there is a UsageError rather than a silent no-op."""
    from PIL import Image

    from models.checkpoint import load_model
    from models.errors import ImageError, UsageError
    from models.image_io import load_image
    from models.patch_match import photo_model
    from singan_cli.common import say

    if not path.is_file():
        if not path.exists() and path.suffix.lower() in Image.registered_extensions():
            raise ImageError("no such photo; give an existing photo or a model directory",
                             path=path)
        return load_model(path, device=device)

    def read_photo(max_size: int) -> Any:
        notes: list[str] = []
        image = load_image(path, max_size, notes)
        for note in notes:
            say(f"{path}: {note}")
        return image

    try:
        model = photo_model(read_photo, device.type)
    except ImageError as exc:  # the geometry does not know the file's name
        exc.path = path
        exc.fix = None  # no --min-size here: the message's minimum says it
        raise
    if patch_scales:  # checked once the file is known to be a photo
        raise UsageError("a photo is sampled by matching its patches at every scale already; "
                         "--patch-scales needs a trained model directory", path=path)
    return model
