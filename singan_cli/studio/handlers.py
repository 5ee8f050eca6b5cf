"""What the studio's buttons do: plain functions of plain values (paths, numbers, numpy arrays).

    for status in train_stream(ws, control, "photo.jpg", "rocket", "default", 250, None):
        print(status.text)
    paths = sample_images(ws, model_path, count=4, start_scale=0, scale_h=1, scale_v=1, seed=0)

No gradio here: bad input raises SinganError subclasses (one line, naming the upload and the
fix), which the page shows as an error message. Every algorithm is the one in `applications/` or
`models/` that the CLI calls; this module only turns page values into tensors and back, and
writes results into the workspace. Editor values are Gradio ImageEditor dicts
{"background", "layers", "composite"} of HxWx4 uint8 arrays: a painting or a paste is the
composite, a brushed mask is where any layer is not transparent.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from PIL import Image

from models.errors import ImageError, ModelDirError, SinganError, UsageError
from singan_cli.common import emit, say
from singan_cli.studio.workspace import Workspace

MAX_UPLOAD_BYTES = 50 * 2**20  # also Gradio's upload limit (launch(max_file_size=...))
REPORT_SECONDS = 0.5  # how often a training updates the page


class StopRequested(Exception):
    """Raised inside a training's or fine-tune's progress callback when the page's Stop button
    was pressed."""


@dataclass
class TrainingControl:
    """A Stop flag that a progress callback checks: one for the training slot, one per tab
    whose action fine-tunes (Paint, Harmonize)."""

    stop: threading.Event = field(default_factory=threading.Event)
    stopping: str = "Stopping after the current iterations; finished scales stay on disk."

    def request_stop(self) -> str:
        """Set Stop; returns what the page says meanwhile."""
        self.stop.set()
        return self.stopping

    def watch(self, report: Callable[[Any], None] | None = None) -> Callable[[Any], None]:
        """A trainer progress callback for a new action: clears Stop, then raises
        StopRequested on the first report after Stop was pressed, and passes the other reports
        (models.trainer.TrainProgress) to `report`."""
        self.stop.clear()

        def progress(event: Any) -> None:
            if self.stop.is_set():
                raise StopRequested
            if report is not None:
                report(event)

        return progress


# ---------------------------------------------------------------------------------------------
# Inputs


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
        raise ImageError(str(exc).replace(str(path), path.name)) from None
    for note in notes:
        say(note.replace(str(path), path.name))
    return image


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


def _to_model_size(array: np.ndarray, size: tuple[int, int], what: str) -> torch.Tensor:
    """HxWx3 uint8 -> 1x3xhxw in [-1, 1] at the model's size; another aspect is refused."""
    from models.geometry import resize
    from models.image_io import pil_to_tensor, same_aspect

    height, width = size
    h, w = array.shape[:2]
    if not same_aspect((h, w), size):
        raise ImageError(f"the {what} is {w}x{h} but the model's image is {width}x{height}; use "
                         f"an image with the same aspect ratio (or start from the model's image)")
    return resize(pil_to_tensor(Image.fromarray(array)), size).clamp(-1, 1)


def _mask_to_model_size(mask: np.ndarray, size: tuple[int, int]) -> torch.Tensor:
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


def load_studio_model(ws: Workspace, path: str | Path | None, with_discriminators: bool = False,
                      allow_empty: bool = False) -> Any:
    """Load a model the page offers (inside the workspace or named on the command line)."""
    from models.checkpoint import load_model

    if not path:
        raise UsageError("choose a model first (train one in the Train tab)")
    if not ws.allows(Path(path)):
        raise ModelDirError(f"{path}: not one of the studio's models")
    return load_model(Path(path), with_discriminators=with_discriminators,
                      allow_empty=allow_empty)


@dataclass(frozen=True)
class ModelInfo:
    """What the page shows about the chosen model and uses for its sliders' ranges."""

    text: str
    num_trained: int
    size: tuple[int, int]  # (h, w) of the finest trained scale
    harmonize_start: int
    edit_start: int


def model_info(ws: Workspace, path: str | Path | None) -> ModelInfo:
    from applications.blend import default_start_scale

    model = load_studio_model(ws, path, allow_empty=True)
    geometry = model.geometry
    if model.num_trained == 0:  # stopped during its first scale
        return ModelInfo(f"**{Path(str(path)).name}**: no scale trained yet; resume it in Train",
                         0, geometry.sizes[0], 0, 0)
    h, w = geometry.sizes[model.num_trained - 1]
    state = ("complete" if model.complete else
             f"PARTIAL: {model.num_trained} of {geometry.num_scales} scales (resume it in Train)")
    sizes = ", ".join(f"{n}: {sw}x{sh}" for n, (sh, sw) in enumerate(geometry.sizes[:model.num_trained]))
    text = (f"**{Path(str(path)).name}**: {w}x{h}, {geometry.num_scales} scales, {state}. "
            f"Scales (0 = coarsest): {sizes}")
    return ModelInfo(text, model.num_trained, (h, w), default_start_scale(model, 3),
                     default_start_scale(model, 4))


# ---------------------------------------------------------------------------------------------
# Training


@dataclass
class TrainStatus:
    """One update of the Train tab: a status line, the preview sheets so far, the model folder."""

    text: str
    previews: list[Path]
    model_dir: Path
    done: bool = False


def _progress_text(event: Any, started: float) -> str:
    h, w = event.size
    losses = ", ".join(f"{k} {v:+.3f}" for k, v in event.losses.items())
    return (f"Scale {event.scale + 1} of {event.num_scales} ({w}x{h}): iteration {event.iteration} "
            f"of {event.iters}; {time.perf_counter() - started:.0f} s so far. {losses}")


def _previews(out: Path) -> list[Path]:
    from models.checkpoint import PREVIEW_DIR

    return sorted((out / PREVIEW_DIR).glob("scale_*.png"))


def _training_events(image: torch.Tensor, config: Any, out: Path, control: TrainingControl,
                     resume: bool, force: bool) -> Iterator[tuple[str, Any]]:
    """Run models.trainer.train_scales in a thread; yield ("progress", TrainProgress),
    ("scale", model) and finally ("done", model). Errors of the training are raised here.

    Stop (control.stop) makes the progress callback raise StopRequested: the trainer stops
    within a few iterations and the finished scales stay on disk (resumable). Closing this
    generator (the page went away) stops the training the same way.
    """
    from models.trainer import train_scales

    events: queue.Queue[tuple[str, Any]] = queue.Queue()

    progress = control.watch(lambda event: events.put(("progress", event)))

    def work() -> None:
        try:
            model = None
            for model in train_scales(image, config, save_dir=out, progress=progress,
                                      resume=resume, force=force):
                events.put(("scale", model))
            events.put(("done", model))
        except BaseException as exc:  # handed to the page's thread, which raises it
            events.put(("error", exc))

    worker = threading.Thread(target=work, name="singan-studio-train", daemon=True)
    worker.start()
    try:
        while True:
            kind, payload = events.get()
            if kind == "error":
                raise payload
            yield kind, payload
            if kind == "done":
                return
    finally:
        control.stop.set()  # if the page stopped listening, stop the training too
        worker.join()
        control.stop.clear()


def train_stream(ws: Workspace, control: TrainingControl, upload: str | Path | None, name: str,
                 preset: str = "default", max_size: float | None = None, iters: float | None = None,
                 iters_finest: float | None = None, force: bool = False) -> Iterator[TrainStatus]:
    """Train models/<name>/ in the workspace on an uploaded image; yields a status about twice
    a second and after each finished scale. An existing model is refused unless `force`.

    The config is the preset with the page's max size and iterations (coarsest and finest
    scale) where given (None or 0 keeps the preset's), checked like the CLI's flags.
    """
    from models.checkpoint import CONFIG_FILE
    from models.config import resolve_config
    from models.image_io import save_image

    out = ws.model_dir((name or "").strip() or ws.next_model_name())
    if (out / CONFIG_FILE).is_file() and not force:
        raise UsageError(f"model {out.name} exists: press Resume to continue it, tick Overwrite "
                         f"to start over, or choose another name")
    given = {"max_size": max_size, "iters": iters, "iters_finest": iters_finest}
    config = resolve_config(preset, overrides={k: int(v) for k, v in given.items() if v})
    image = read_upload(upload, config.max_size, "image to train on")
    save_image(image, ws.upload_path())
    yield from _train_and_report(image, config, out, control, resume=False, force=force)


def resume_stream(ws: Workspace, control: TrainingControl,
                  model_path: str | Path | None) -> Iterator[TrainStatus]:
    """Continue a partly trained model (workspace or command line) with its own image and
    settings, at its next scale; yields like train_stream."""
    from models.checkpoint import IMAGE_FILE
    from models.image_io import load_image

    saved = load_studio_model(ws, model_path, allow_empty=True)
    out = Path(str(model_path))
    if saved.complete:
        raise UsageError(f"{out.name}: is complete, nothing to resume")
    yield from _train_and_report(load_image(out / IMAGE_FILE), saved.config, out, control,
                                 resume=True, force=False)


def _train_and_report(image: torch.Tensor, config: Any, out: Path, control: TrainingControl,
                      resume: bool, force: bool) -> Iterator[TrainStatus]:
    from models.checkpoint import load_model

    h, w = image.shape[-2:]
    say(f"studio: training {out} on a {w}x{h} image" + (" (resuming)" if resume else ""))
    started = time.perf_counter()
    last_report = 0.0
    yield TrainStatus(f"Starting on a {w}x{h} image...", _previews(out), out)
    try:
        for kind, payload in _training_events(image, config, out, control, resume, force):
            if kind == "progress" and time.perf_counter() - last_report >= REPORT_SECONDS:
                last_report = time.perf_counter()
                yield TrainStatus(_progress_text(payload, started), _previews(out), out)
            elif kind == "scale":
                yield TrainStatus(f"Scale {payload.num_trained} of {payload.geometry.num_scales} "
                                  f"done ({time.perf_counter() - started:.0f} s); preview below.",
                                  _previews(out), out)
            elif kind == "done":
                emit(out)
                yield TrainStatus(f"Done: {out.name} is trained "
                                  f"({time.perf_counter() - started:.0f} s). Use it in the other "
                                  f"tabs.", _previews(out), out, done=True)
    except StopRequested:
        try:
            finished = load_model(out, allow_empty=True).num_trained
        except SinganError:
            finished = 0
        say(f"studio: training of {out} stopped; {finished} scales saved")
        yield TrainStatus(f"Stopped: {finished} scales of {out.name} are saved; press Resume to "
                          f"continue.", _previews(out), out, done=True)


# ---------------------------------------------------------------------------------------------
# Applications


def _save(ws: Workspace, images: list[torch.Tensor], stem: str) -> list[Path]:
    from models.image_io import save_image

    paths = [save_image(image, path) for image, path in
             zip(images, ws.result_paths(stem, len(images)), strict=True)]
    for path in paths:
        emit(path)
    return paths


def sample_images(ws: Workspace, model_path: str | Path | None, count: int = 4,
                  start_scale: int = 0, scale_h: float = 1.0, scale_v: float = 1.0,
                  seed: int | None = 0) -> list[Path]:
    """applications.sample.sample -> results/sample_NNN.png paths."""
    from applications.sample import sample

    model = load_studio_model(ws, model_path)
    images = sample(model, int(count), start_scale=int(start_scale), scale_h=float(scale_h),
                    scale_v=float(scale_v), seed=None if seed is None else int(seed))
    return _save(ws, images, "sample")


def model_image(ws: Workspace, model_path: str | Path | None) -> np.ndarray:
    """The model's training image at its finest trained scale, HxWx3 uint8 (to paste onto)."""
    from models.image_io import tensor_to_uint8

    model = load_studio_model(ws, model_path)
    return tensor_to_uint8(model.reals()[model.num_trained - 1])


def _hex(color: torch.Tensor) -> str:
    r, g, b = ((color.float().cpu().clamp(-1, 1) + 1) * 127.5).round().int().tolist()
    return f"#{r:02x}{g:02x}{b:02x}"


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
    palette = kmeans_palette(image, int(colors), seed=0)
    flat = quantize(image, palette)
    labels = torch.cdist(flat[0].reshape(3, -1).T, palette.to(flat.device)).argmin(dim=1)
    order = torch.bincount(labels.cpu(), minlength=len(palette)).argsort(descending=True)
    palette = palette[order.to(palette.device)]
    if start == "blank":
        flat = palette[0].view(1, 3, 1, 1).expand_as(image)
    return tensor_to_uint8(flat), [_hex(c) for c in palette]


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
    image = _to_model_size(editor_image(painting, "painting"), size, "painting")
    outputs = paint_to_image(model, image, start_scale=int(start_scale), count=int(count),
                             seed=None if seed is None else int(seed),
                             quantize_colors=int(colors) if quantize else 0,
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
    obj = _read_rgba(upload)
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


def _read_rgba(upload: str | Path | None) -> Image.Image:
    """An uploaded object as RGBA (its transparency kept), validated like every upload."""
    from PIL import ImageOps

    from models.image_io import read_rgb

    read_upload(upload, None, "object to paste")  # the one-line errors for bad files
    path = Path(str(upload))
    with Image.open(path) as opened:
        if opened.mode in ("RGBA", "LA", "PA") or "transparency" in opened.info:
            return ImageOps.exif_transpose(opened).convert("RGBA")
    return read_rgb(path).convert("RGBA")


def blend_images(ws: Workspace, model_path: str | Path | None, mode: str,
                 paste: dict[str, Any] | None, mask: dict[str, Any] | None,
                 start_scale: int | None = None, finetune_iters: int = 0,
                 seed: int | None = 0, progress: Callable[[Any], None] | None = None,
                 ) -> list[Path]:
    """harmonize / edit (applications.blend) -> [paste, mask, blended] (+ raw for edit) paths.

    paste: the editor holding the pasted / edited image (its composite); mask: the editor on
    which the region was brushed (any non-transparent layer pixel); progress: harmonize's
    fine-tune callback (TrainingControl.watch makes it stoppable).
    """
    from applications.blend import default_start_scale, edit, harmonize
    from models.image_io import save_image

    if mode not in ("harmonize", "edit"):
        raise UsageError(f"mode {mode!r}: choose harmonize or edit")
    finetune_iters = int(finetune_iters) if mode == "harmonize" else 0
    model = load_studio_model(ws, model_path, with_discriminators=finetune_iters > 0)
    size = model.geometry.sizes[model.num_trained - 1]
    image = _to_model_size(editor_image(paste, "paste"), size, "paste")
    region = _mask_to_model_size(editor_mask(mask), size)
    if start_scale is None:
        start_scale = default_start_scale(model, 3 if mode == "harmonize" else 4)
    seed = None if seed is None else int(seed)
    if mode == "harmonize":
        raw, blended = harmonize(model, image, region, int(start_scale), seed=seed,
                                 finetune_iters=finetune_iters, progress=progress)
    else:
        raw, blended = edit(model, image, region, int(start_scale), seed=seed)
    out = ws.result_paths(mode, 1)[0]
    paths = [save_image(image, out.with_name(f"{out.stem}_paste.png")),
             save_image(region[0, 0].numpy().astype(np.uint8)[..., None].repeat(3, 2) * 255,
                        out.with_name(f"{out.stem}_mask.png")),
             save_image(blended, out)]
    if mode == "edit":
        paths.append(save_image(raw, out.with_name(f"{out.stem}_raw.png")))
    for path in paths:
        emit(path)
    return paths


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
        loop=True, seed=None if seed is None else int(seed), on_frame=on_frame)]
    gif = ws.result_paths("animation", 1, ".gif")[0]
    paths = [save_animation(images, gif, float(fps))]
    if mp4:
        paths.append(save_animation(images, gif.with_suffix(".mp4"), float(fps)))
    for path in paths:
        emit(path)
    return paths


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
    last_report = 0.0
    model = None
    yield SRStatus(f"Training the SR model on the {w}x{h} image...")
    try:
        for kind, payload in _training_events(low_res, config, out, control, False, False):
            if kind == "progress" and time.perf_counter() - last_report >= REPORT_SECONDS:
                last_report = time.perf_counter()
                yield SRStatus("SR model: " + _progress_text(payload, started))
            elif kind == "done":
                model = payload
    except StopRequested:
        yield SRStatus("Stopped.")
        return
    assert model is not None
    big = super_resolve(model, factor, seed=config.seed, image=low_res.to(model.device),
                        detail=DEFAULT_DETAIL if detail is None else float(detail))
    bicubic = resize(low_res, tuple(big.shape[-2:])).clamp(-1, 1)
    paths = [save_image(bicubic, result.with_name(f"{result.stem}_bicubic.png")),
             save_image(big, result)]
    for path in paths:
        emit(path)
    bh, bw = big.shape[-2:]
    yield SRStatus(f"Done: {w}x{h} -> {bw}x{bh} in {time.perf_counter() - started:.0f} s "
                   f"(left: bicubic, right: SinGAN).", paths)
