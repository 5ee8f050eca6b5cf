"""What the application buttons do: a first look, sample, paint, paste, harmonize / edit,
animate, enlarge.

    paths = sample_images(ws, model_path, count=4, start_scale=0, scale_h=1, scale_v=1, seed=0)
    paths = first_look(ws, "photo.jpg", count=2, seed=0)      # no model: training-free samples
    paths = blend_images(ws, model_path, "harmonize", paste_value, mask_value, start_scale=3)
    for status in sr_stream(ws, control, "small.png", factor=2):
        print(status.text)

Plain functions of plain values (paths, numbers, ImageEditor dicts); no gradio. Every algorithm
is the one in `applications/` that the CLI calls: this module turns page values into tensors
(editor), calls it, and writes the results into the workspace's results/ (their paths also go
to stdout, as the CLI's do). Bad input raises SinganError subclasses, shown in the page.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from PIL import Image

from applications.blend_defaults import HARMONIZE_FINETUNE_ITERS, HARMONIZE_VOTE_SHARE
from models.errors import ImageError, UsageError
from singan_cli.common import emit
from singan_cli.studio.chosen_model import load_studio_model
from singan_cli.studio.editor import (
    editor_image,
    editor_mask,
    hex_color,
    mask_to_model_size,
    read_rgba,
    read_upload,
    to_model_size,
)
from singan_cli.studio.training_control import (
    StopRequested,
    TrainingControl,
    progress_text,
    training_events,
)
from singan_cli.studio.workspace import Workspace


def _seed(seed: float | None) -> int | None:
    """A seed from the page (a number box, possibly empty): None draws a random one."""
    return None if seed is None else int(seed)


def _emitted(paths: list[Path]) -> list[Path]:
    """`paths` after printing each on stdout (the results, as the CLI prints them)."""
    for path in paths:
        emit(path)
    return paths


def _save(ws: Workspace, images: list[torch.Tensor], stem: str) -> list[Path]:
    from models.image_io import save_image

    return _emitted([save_image(image, path) for image, path in
                     zip(images, ws.result_paths(stem, len(images)), strict=True)])


def sample_images(ws: Workspace, model_path: str | Path | None, count: int = 4,
                  start_scale: int = 0, scale_h: float = 1.0, scale_v: float = 1.0,
                  seed: int | None = 0, vary_layout: bool = False) -> list[Path]:
    """applications.sample.sample -> results/sample_NNN.png paths. vary_layout: the coarse
    scales by patch matching (applications.sample.layout_patch_scales), as `singan sample
    --patch-scales 6` draws them."""
    from applications.sample import layout_patch_scales, sample

    model = load_studio_model(ws, model_path)
    images = sample(model, int(count), start_scale=int(start_scale), scale_h=float(scale_h),
                    scale_v=float(scale_v), seed=_seed(seed),
                    patch_scales=layout_patch_scales(model) if vary_layout else 0)
    return _save(ws, images, "sample")


def first_look(ws: Workspace, upload: str | Path | None, count: int = 2,
               seed: int | None = 0) -> list[Path]:
    """Training-free samples of an uploaded photo (models/patch_match.py, what `singan sample
    photo.jpg` draws) -> results/first_look_NNN.png paths: a picture before any training."""
    from applications.sample import sample
    from models.patch_match import photo_model

    model = photo_model(lambda max_size: read_upload(upload, max_size, "photo"), "cpu")
    return _save(ws, sample(model, int(count), seed=_seed(seed)), "first_look")


def paint_canvas(ws: Workspace, model_path: str | Path | None, start: str = "palette",
                 colors: int = 5) -> tuple[np.ndarray, list[str]]:
    """A canvas to paint on, at the model's size, and the image's k-means palette (the one
    paint2image --quantize uses) as hex colours, most common first.

    start: "palette" = the training image mapped to the palette (paint over it), "blank" = the
    most common palette colour everywhere.
    """
    from applications.palette import kmeans_palette, quantize
    from models.image_io import tensor_to_uint8

    model = load_studio_model(ws, model_path)
    image = model.reals()[model.num_trained - 1]
    palette = kmeans_palette(image, int(colors))
    flat = quantize(image, palette)
    labels = torch.cdist(flat[0].reshape(3, -1).T, palette.to(flat.device)).argmin(dim=1)
    order = torch.bincount(labels.cpu(), minlength=len(palette)).argsort(descending=True)
    palette = palette[order.to(palette.device)]
    if start == "blank":
        flat = palette[0].view(1, 3, 1, 1).expand_as(image)
    return tensor_to_uint8(flat), [hex_color(c) for c in palette]


def paint_images(ws: Workspace, model_path: str | Path | None, painting: dict[str, Any] | None,
                 start_scale: int = 1, count: int = 1, quantize: bool = False, colors: int = 5,
                 finetune_iters: int = 200, seed: int | None = 0,
                 progress: Callable[[Any], None] | None = None) -> list[Path]:
    """applications.paint2image.paint_to_image on the canvas -> [painting, result, ...] paths.

    progress: the --quantize fine-tune's callback (TrainingControl.watch makes it stoppable).
    """
    from applications.paint2image import paint_to_image

    model = load_studio_model(ws, model_path, with_discriminators=quantize)
    size = model.geometry.sizes[model.num_trained - 1]
    image = to_model_size(editor_image(painting, "painting"), size, "painting")
    outputs = paint_to_image(model, image, start_scale=int(start_scale), count=int(count),
                             seed=_seed(seed), quantize_colors=int(colors) if quantize else 0,
                             finetune_iters=int(finetune_iters), progress=progress)
    return _save(ws, [image], "painting") + _save(ws, outputs, "paint")


def paste_object(ws: Workspace, model_path: str | Path | None, upload: str | Path | None,
                 x: float = 0.5, y: float = 0.5, width: float = 0.3) -> tuple[np.ndarray, np.ndarray]:
    """Paste an uploaded object onto the model's image: (pasted HxWx3, mask HxWx4 RGBA layer).

    x, y: the object's centre as fractions of the image; width: its width as a fraction. An
    object with transparency is pasted (and masked) by its alpha, any other as a rectangle.
    This only prepares the inputs; harmonize / edit do the rest.
    """
    from models.image_io import tensor_to_uint8

    model = load_studio_model(ws, model_path)
    h, w = model.geometry.sizes[model.num_trained - 1]
    background = Image.fromarray(tensor_to_uint8(model.reals()[model.num_trained - 1]))
    obj = read_rgba(upload)
    ow = max(1, round(w * float(width)))
    oh = max(1, round(obj.height * ow / obj.width))
    obj = obj.resize((ow, oh), Image.Resampling.LANCZOS)
    left, top = round(w * float(x) - ow / 2), round(h * float(y) - oh / 2)
    background.paste(obj, (left, top), obj)
    alpha = Image.new("L", (w, h), 0)
    alpha.paste(obj.getchannel("A").point(lambda v: 255 if v >= 128 else 0), (left, top))
    layer = np.zeros((h, w, 4), dtype=np.uint8)
    layer[..., :3] = 255
    layer[..., 3] = np.asarray(alpha)
    return np.asarray(background), layer


def blend_images(ws: Workspace, model_path: str | Path | None, mode: str,
                 paste: dict[str, Any] | None, mask: dict[str, Any] | None,
                 start_scale: int | None = None, finetune_iters: int = HARMONIZE_FINETUNE_ITERS,
                 seed: int | None = 0, progress: Callable[[Any], None] | None = None,
                 vote_share: float = HARMONIZE_VOTE_SHARE) -> list[Path]:
    """harmonize / edit (applications.blend) -> [paste, mask, blended] (+ raw for edit) paths.

    paste: the editor holding the pasted / edited image (its composite); mask: the editor on
    which the region was brushed (any non-transparent layer pixel); progress: harmonize's
    fine-tune callback (TrainingControl.watch makes it stoppable); vote_share: harmonize's
    nearest-patch vote (applications.blend.vote_towards_image).
    """
    from applications.blend import edit, edit_start_scale, harmonize, harmonize_start_scale
    from models.image_io import save_image

    if mode not in ("harmonize", "edit"):
        raise UsageError(f"mode {mode!r}: choose harmonize or edit")
    finetune_iters = int(finetune_iters) if mode == "harmonize" else 0
    model = load_studio_model(ws, model_path, with_discriminators=finetune_iters > 0)
    size = model.geometry.sizes[model.num_trained - 1]
    image = to_model_size(editor_image(paste, "paste"), size, "paste")
    region = mask_to_model_size(editor_mask(mask), size)
    if start_scale is None:
        start_scale = (harmonize_start_scale if mode == "harmonize" else edit_start_scale)(model)
    if mode == "harmonize":
        raw, blended = harmonize(model, image, region, int(start_scale), seed=_seed(seed),
                                 finetune_iters=finetune_iters, progress=progress,
                                 vote_share=float(vote_share))
    else:
        raw, blended = edit(model, image, region, int(start_scale), seed=_seed(seed))
    out = ws.result_paths(mode, 1)[0]
    paths = [save_image(image, out.with_name(f"{out.stem}_paste.png")),
             save_image(region[0, 0].numpy().astype(np.uint8)[..., None].repeat(3, 2) * 255,
                        out.with_name(f"{out.stem}_mask.png")),
             save_image(blended, out)]
    if mode == "edit":
        paths.append(save_image(raw, out.with_name(f"{out.stem}_raw.png")))
    return _emitted(paths)


def animate_clip(ws: Workspace, model_path: str | Path | None, frames: int = 30, fps: float = 10,
                 alpha: float = 0.1, beta: float = 0.9, start_scale: int = 0,
                 seed: int | None = 0, mp4: bool = False,
                 on_frame: Callable[[int], None] | None = None) -> list[Path]:
    """applications.animate.animate -> [results/animation_NNN.gif (, .mp4)]."""
    from applications.animate import animate
    from models.image_io import save_animation, tensor_to_uint8

    model = load_studio_model(ws, model_path)
    images = [tensor_to_uint8(f) for f in animate(
        model, int(frames), alpha=float(alpha), beta=float(beta), start_scale=int(start_scale),
        loop=True, seed=_seed(seed), on_frame=on_frame)]
    gif = ws.result_paths("animation", 1, ".gif")[0]
    paths = [save_animation(images, gif, float(fps))]
    if mp4:
        paths.append(save_animation(images, gif.with_suffix(".mp4"), float(fps)))
    return _emitted(paths)


@dataclass
class SRStatus:
    """One update of the Super-resolution tab; `paths` = (bicubic, singan) once done."""

    text: str
    paths: list[Path] = field(default_factory=list)


def sr_stream(ws: Workspace, control: TrainingControl, upload: str | Path | None,
              factor: float = 2.0, iters: float | None = None,
              detail: float | None = None) -> Iterator[SRStatus]:
    """Train an SR model on the uploaded image itself (applications.super_resolution's
    settings; `iters` per scale, None or 0 = the preset's), then enlarge it; yields progress,
    then the bicubic and the SinGAN enlargement."""
    from applications.super_resolution import DEFAULT_DETAIL, sr_config, super_resolve
    from models.config import resolve_config
    from models.geometry import resize
    from models.image_io import save_image

    factor = float(factor)
    if factor <= 1:
        raise UsageError("factor: choose a value above 1")
    low_res = read_upload(upload, None, "image to enlarge")
    h, w = low_res.shape[-2:]
    if max(h, w) > 512:  # SR trains on the image itself at full size: keep it affordable
        raise ImageError(f"the image is {w}x{h}; the studio's super-resolution takes up to 512 px "
                         f"(use `singan sr` for larger images)")
    per_scale = {"iters": int(iters), "iters_finest": int(iters)} if iters else {}
    config = sr_config(resolve_config("default", overrides=per_scale), (h, w))
    result = ws.result_paths("sr", 1)[0]
    out = ws.root / "sr-models" / result.stem
    started = time.perf_counter()
    model = None
    yield SRStatus(f"Training the SR model on the {w}x{h} image...")
    try:
        for kind, payload in training_events(low_res, config, out, control, False, False):
            if kind == "progress":
                yield SRStatus("SR model: " + progress_text(payload, started))
            elif kind == "done":
                model = payload
    except StopRequested:
        yield SRStatus("Stopped.")
        return
    assert model is not None
    big = super_resolve(model, factor, seed=config.seed, image=low_res.to(model.device),
                        detail=DEFAULT_DETAIL if detail is None else float(detail))
    bicubic = resize(low_res, tuple(big.shape[-2:])).clamp(-1, 1)
    paths = _emitted([save_image(bicubic, result.with_name(f"{result.stem}_bicubic.png")),
                      save_image(big, result)])
    bh, bw = big.shape[-2:]
    yield SRStatus(f"Done: {w}x{h} -> {bw}x{bh} in {time.perf_counter() - started:.0f} s "
                   f"(left: bicubic, right: SinGAN).", paths)
