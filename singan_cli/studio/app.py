"""The studio page: one `gr.Blocks` that wires `handlers` to Gradio components.

    demo = build_app(Workspace(Path("singan-studio")))
    demo.queue(default_concurrency_limit=1).launch(server_name="127.0.0.1")

Nothing happens at import time; every button calls one function of `handlers` through `guard`,
which turns the project's one-line errors into `gr.Error` (a message in the page; the server
keeps serving). Trainings (Train, Resume, Super-resolution) share one queue slot.
"""

from __future__ import annotations

import functools
import inspect
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

import gradio as gr
import numpy as np

from models.errors import SinganError
from singan_cli.studio import handlers as h
from singan_cli.studio.workspace import Workspace

# The event settings of Train, Resume and SR: one training at a time, the others wait in one
# queue. They stream their own status line; Gradio's full pending display (a pulsing border over
# the outputs) keeps the browser redrawing, on the cores the training runs on, while "minimal"
# keeps the queue position and the timer.
TRAINING_EVENT: dict[str, Any] = {"concurrency_id": "training", "concurrency_limit": 1,
                                  "show_progress": "minimal"}
STOPPED = "Stopped: the fine-tune was cancelled and nothing was written."
MASK_BRUSH = ("#ff00ff", 0.6)  # see-through magenta: the image stays visible under the mask


def _page_error(exc: BaseException) -> gr.Error:
    if isinstance(exc, SinganError):
        return gr.Error(str(exc), print_exception=False)
    # a bug, not a user error: the traceback goes to the server's stderr, one line to the page
    traceback.print_exception(exc, file=sys.stderr)
    return gr.Error(f"unexpected error ({type(exc).__name__}: {' '.join(str(exc).split())[:200]}); "
                    f"the details are on the studio's console", print_exception=False)


def guard(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Run a handler (plain or generator) so that its errors become one-line page errors."""
    if inspect.isgeneratorfunction(fn):
        @functools.wraps(fn)
        def stream(*args: Any, **kwargs: Any) -> Any:
            try:
                yield from fn(*args, **kwargs)
            except gr.Error:
                raise
            except Exception as exc:
                raise _page_error(exc) from None
        return stream

    @functools.wraps(fn)
    def call(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except gr.Error:
            raise
        except Exception as exc:
            raise _page_error(exc) from None
    return call


def _gallery(paths: list[Path], captions: list[str] | None = None) -> list[tuple[str, str]]:
    captions = captions or [p.stem for p in paths]
    return [(str(p), c) for p, c in zip(paths, captions, strict=True)]


def _preview_gallery(paths: list[Path]) -> list[tuple[str, str]]:
    """Preview sheets previews/scale_NN.png, newest first, captioned with their scale."""
    return _gallery(paths[::-1], [f"after scale {int(p.stem.split('_')[-1])}" for p in paths[::-1]])


def _finetune_bar(progress: gr.Progress) -> Callable[[Any], None]:
    """Shows a fine-tune's models.trainer.TrainProgress reports as the page's progress bar."""
    def report(event: Any) -> None:
        progress(event.iteration / event.iters,
                 desc=f"fine-tuning scale {event.scale} ({event.iteration}/{event.iters})")
    return report


def _done(started: float) -> str:
    return f"Done in {time.perf_counter() - started:.1f} s."


def _palette_html(colors: list[str]) -> str:
    swatches = "".join(f'<span title="{c}" style="display:inline-block;width:28px;height:28px;'
                       f'margin-right:4px;border:1px solid #8888;background:{c}"></span>'
                       for c in colors)
    return f'<div id="palette">Palette of the image (most common first): {swatches}</div>'


def _editor_value(background: Any, layers: list[Any] | None = None) -> dict[str, Any]:
    """An ImageEditor value; without layers, one transparent layer to draw on (an editor set
    to a background alone may start with no drawing layer)."""
    blank = np.zeros((*np.asarray(background).shape[:2], 4), dtype=np.uint8)
    return {"background": background, "layers": layers or [blank], "composite": None}


def _brush_size(image: Any) -> int:
    """A brush radius of about 1/25 of the image's longest side (Gradio's 'auto' is far larger
    on small images)."""
    return max(2, round(max(np.asarray(image).shape[:2]) / 25))


def build_app(ws: Workspace) -> gr.Blocks:
    """The studio page for the workspace `ws` (its models, and those named on the command line)."""
    control = h.TrainingControl()
    stopping = "Stopping the fine-tune within a few iterations..."
    paint_control, blend_control = h.TrainingControl(stopping=stopping), h.TrainingControl(stopping=stopping)
    models = ws.list_models()

    with gr.Blocks(title="singan studio", analytics_enabled=False,
                   delete_cache=(3600, 24 * 3600)) as demo:
        gr.Markdown("## singan studio\nTrain a SinGAN on one photo, then sample, paint, "
                    "harmonize, edit, animate and enlarge with it. Everything is written to "
                    f"`{ws.root}`.")
        with gr.Row():
            model = gr.Dropdown(choices=models, value=models[-1][1] if models else None,
                                label="Model", scale=4, elem_id="model", allow_custom_value=False)
            refresh = gr.Button("Refresh list", scale=0, elem_id="refresh")
        info = gr.Markdown(elem_id="model-info")

        with gr.Tabs():
            # ---------------------------------------------------------------- Train
            with gr.Tab("Train", id="train") as train_tab:
                gr.Markdown("One training runs at a time: another one waits in the queue, and "
                            "its place is shown here. **Stop** keeps the finished scales; "
                            "**Resume** continues the model chosen above at its next scale.")
                with gr.Row():
                    with gr.Column(scale=1):
                        photo = gr.File(label="Photo to train on", file_types=["image"],
                                        type="filepath", elem_id="train-photo")
                        photo_preview = gr.Image(label="As it will be trained", interactive=False,
                                                 height=200, format="png", elem_id="train-preview")
                        name = gr.Textbox(label="Model name", placeholder=ws.next_model_name(),
                                          elem_id="train-name")
                        with gr.Row():
                            preset = gr.Radio(["default", "paper"], value="default", label="Preset")
                            max_size = gr.Number(250, label="Max size (px)", precision=0,
                                                 minimum=16, maximum=2048, elem_id="train-max-size")
                        with gr.Row():
                            iters = gr.Number(0, label="Iterations, coarsest scale (0: preset)",
                                              precision=0, minimum=0, elem_id="train-iters")
                            iters_finest = gr.Number(0, label="Iterations, finest scale (0: preset)",
                                                     precision=0, minimum=0,
                                                     elem_id="train-iters-finest")
                        force = gr.Checkbox(False, label="Overwrite a model of the same name")
                        with gr.Row():
                            train_btn = gr.Button("Train", variant="primary", elem_id="train-start")
                            resume_btn = gr.Button("Resume", elem_id="train-resume")
                            stop_btn = gr.Button("Stop", variant="stop", elem_id="train-stop")
                    with gr.Column(scale=2):
                        status = gr.Markdown("No training running.", elem_id="train-status")
                        previews = gr.Gallery(label="After each scale: the real image, then 4 "
                                              "samples (newest first)", columns=1,
                                              height="auto", object_fit="contain",
                                              elem_id="train-previews")

            # ---------------------------------------------------------------- Sample
            with gr.Tab("Sample", id="sample") as sample_tab:
                with gr.Row():
                    with gr.Column(scale=1):
                        count = gr.Slider(1, 16, value=4, step=1, label="How many")
                        sample_start = gr.Slider(0, 1, value=0, step=1, label="Start scale (0: "
                                                 "fully random; higher keeps the layout)")
                        scale_h = gr.Slider(0.5, 3, value=1, step=0.1, label="Width x")
                        scale_v = gr.Slider(0.5, 3, value=1, step=0.1, label="Height x")
                        sample_seed = gr.Number(0, label="Seed", precision=0)
                        sample_btn = gr.Button("Sample", variant="primary", elem_id="sample-run")
                    with gr.Column(scale=2):
                        samples = gr.Gallery(label="Samples", columns=4, height="auto",
                                             object_fit="contain", elem_id="sample-gallery")
                        sample_files = gr.File(label="Download PNGs", file_count="multiple")

            # ---------------------------------------------------------------- Paint
            with gr.Tab("Paint", id="paint") as paint_tab:
                gr.Markdown("Paint a rough layout with the image's own colours; paint2image "
                            "turns it into an image. Start at scale 1 or 2 (thin strokes vanish "
                            "at coarse scales).")
                with gr.Row():
                    colors = gr.Slider(2, 12, value=5, step=1, label="Palette size")
                    canvas_start = gr.Radio([("the image in palette colours", "palette"),
                                             ("a blank canvas", "blank")], value="palette",
                                            label="Start from")
                    canvas_btn = gr.Button("New canvas", elem_id="paint-canvas")
                palette = gr.HTML(elem_id="paint-palette")
                with gr.Row():
                    with gr.Column(scale=3):
                        painting = gr.ImageEditor(label="Painting", type="numpy", image_mode="RGBA",
                                                  format="png", sources=("upload", "clipboard"),
                                                  transforms=(), layers=False, height=420,
                                                  elem_id="paint-editor")
                    with gr.Column(scale=1):
                        paint_start = gr.Slider(0, 1, value=1, step=1, label="Start scale")
                        paint_count = gr.Slider(1, 8, value=2, step=1, label="How many")
                        quantize = gr.Checkbox(False, label="Quantize to the palette and fine-tune "
                                               "(slower, truer colours)", elem_id="paint-quantize")
                        paint_seed = gr.Number(0, label="Seed", precision=0)
                        with gr.Row():
                            paint_btn = gr.Button("Paint to image", variant="primary",
                                                  elem_id="paint-run")
                            paint_stop = gr.Button("Stop", variant="stop", elem_id="paint-stop")
                        paint_status = gr.Markdown(elem_id="paint-status")
                paint_out = gr.Gallery(label="Painting, then results", columns=4, height="auto",
                                       object_fit="contain", elem_id="paint-gallery")

            # ---------------------------------------------------------------- Harmonize / Edit
            with gr.Tab("Harmonize / Edit", id="blend") as blend_tab:
                gr.Markdown("1. Make the paste: upload a whole pasted image into the left editor, "
                            "paint on it, or paste an object below. 2. **Copy to the mask "
                            "editor** and brush over the changed region. 3. Run.")
                with gr.Accordion("Paste an object onto the model's image", open=False):
                    with gr.Row():
                        obj = gr.File(label="Object (PNG with transparency or any image)",
                                      file_types=["image"], type="filepath", elem_id="blend-object")
                        with gr.Column():
                            obj_x = gr.Slider(0, 1, value=0.5, step=0.01, label="Centre x")
                            obj_y = gr.Slider(0, 1, value=0.5, step=0.01, label="Centre y")
                            obj_w = gr.Slider(0.05, 1, value=0.3, step=0.01, label="Width")
                            paste_btn = gr.Button("Paste it", elem_id="blend-paste")
                with gr.Row():
                    paste = gr.ImageEditor(label="1. The paste", type="numpy", image_mode="RGBA",
                                           format="png", sources=("upload", "clipboard"),
                                           transforms=(), layers=False, height=380,
                                           elem_id="blend-paste-editor")
                    mask = gr.ImageEditor(label="2. The mask: brush over the changed region",
                                          type="numpy", image_mode="RGBA", format="png",
                                          sources=(), transforms=(), layers=False, height=380,
                                          brush=gr.Brush(colors=[MASK_BRUSH], color_mode="fixed"),
                                          elem_id="blend-mask-editor")
                with gr.Row():
                    copy_btn = gr.Button("Copy the paste to the mask editor", elem_id="blend-copy")
                    mode = gr.Radio(["harmonize", "edit"], value="harmonize", label="Mode",
                                    elem_id="blend-mode")
                    blend_start = gr.Slider(0, 1, value=0, step=1, label="Start scale")
                    finetune = gr.Slider(0, 500, value=0, step=50, label="Fine-tune iterations "
                                         "(harmonize; 0 = off)", elem_id="blend-finetune")
                    blend_seed = gr.Number(0, label="Seed", precision=0)
                    with gr.Column(min_width=100):
                        blend_btn = gr.Button("Run", variant="primary", elem_id="blend-run")
                        blend_stop = gr.Button("Stop", variant="stop", elem_id="blend-stop")
                blend_status = gr.Markdown(elem_id="blend-status")
                blend_out = gr.Gallery(label="Paste, mask, result (and raw output for edit)",
                                       columns=4, height="auto", object_fit="contain",
                                       elem_id="blend-gallery")

            # ---------------------------------------------------------------- Animate
            with gr.Tab("Animate", id="animate") as animate_tab:
                with gr.Row():
                    with gr.Column(scale=1):
                        frames = gr.Slider(2, 300, value=30, step=1, label="Frames")
                        fps = gr.Slider(1, 30, value=10, step=1, label="Frames per second")
                        alpha = gr.Slider(0, 1, value=0.1, step=0.05, label="Pull to the image "
                                          "(alpha; higher: calmer)")
                        beta = gr.Slider(0, 1, value=0.9, step=0.05, label="Momentum (beta)")
                        animate_start = gr.Slider(0, 1, value=0, step=1, label="Start scale")
                        animate_seed = gr.Number(0, label="Seed", precision=0)
                        mp4 = gr.Checkbox(False, label="Also MP4 (needs pip install "
                                          "'singan-cli[video]')")
                        animate_btn = gr.Button("Animate", variant="primary", elem_id="animate-run")
                    with gr.Column(scale=2):
                        clip = gr.Image(label="Animation (GIF)", type="filepath", interactive=False,
                                        elem_id="animate-clip")
                        clip_files = gr.File(label="Download", file_count="multiple")

            # ---------------------------------------------------------------- Super-resolution
            with gr.Tab("Super-resolution", id="sr") as sr_tab:
                gr.Markdown("Trains a model on the uploaded image itself (minutes for a 250 px "
                            "image on a CPU; it waits for other trainings), then enlarges it.")
                with gr.Row():
                    with gr.Column(scale=1):
                        sr_photo = gr.File(label="Image to enlarge (up to 512 px)",
                                           file_types=["image"], type="filepath", elem_id="sr-photo")
                        factor = gr.Slider(1.1, 8, value=2, step=0.1, label="Factor")
                        sr_iters = gr.Number(0, label="Iterations per scale (0: preset)",
                                             precision=0, minimum=0)
                        detail = gr.Slider(0, 1, value=0.35, step=0.05, label="Detail per step "
                                           "(0: bicubic, 1: the paper)")
                        with gr.Row():
                            sr_btn = gr.Button("Enlarge", variant="primary", elem_id="sr-run")
                            sr_stop = gr.Button("Stop", variant="stop")
                    with gr.Column(scale=2):
                        sr_status = gr.Markdown(elem_id="sr-status")
                        with gr.Row():
                            before = gr.Image(label="Bicubic", type="filepath", interactive=False)
                            after = gr.Image(label="SinGAN", type="filepath", interactive=False)

        # -------------------------------------------------------------------- events
        def models_update(select: str | None = None) -> Any:
            choices = ws.list_models()
            return gr.Dropdown(choices=choices, value=select or (choices[-1][1] if choices else None))

        # The editors are filled when their tab is shown: Gradio's ImageEditor updated while
        # its tab is hidden gets no drawing layer (brush strokes are then lost).
        shown_tab = gr.State("train")
        filled = gr.State({})  # tab -> the model path its editors were filled for

        def on_model(path: str | None) -> tuple[Any, ...]:
            if not path:
                return ("No model yet: train one in the Train tab.",) + (gr.skip(),) * 4
            info_ = h.model_info(ws, path)
            top = max(info_.num_trained - 1, 1)
            return (info_.text, gr.Slider(maximum=top, value=0),
                    gr.Slider(maximum=top, value=min(1, max(info_.num_trained - 1, 0))),
                    gr.Slider(maximum=top, value=info_.harmonize_start),
                    gr.Slider(maximum=top, value=0))

        def fill_editors(path: str | None, tab: str, done: dict[str, str]) -> tuple[Any, ...]:
            skip = (gr.skip(),) * 4
            if not path or tab not in ("paint", "blend") or done.get(tab) == path:
                return (*skip, done)
            done = {**done, tab: path}
            if tab == "paint":
                editor, swatches = paint_editor(path, "palette", 5)
                return (editor, swatches, gr.skip(), gr.skip(), done)
            image = h.model_image(ws, path)
            size = _brush_size(image)
            return (gr.skip(), gr.skip(),
                    gr.ImageEditor(value=_editor_value(image), brush=gr.Brush(default_size=size)),
                    gr.ImageEditor(value=_editor_value(image),
                                   brush=gr.Brush(colors=[MASK_BRUSH], default_size=size,
                                                  color_mode="fixed")),
                    done)

        def paint_editor(path: str, start: str, k: int) -> tuple[Any, str]:
            canvas, palette_colors = h.paint_canvas(ws, path, start, k)
            return (gr.ImageEditor(value=_editor_value(canvas),
                                   brush=gr.Brush(colors=palette_colors,
                                                  default_size=_brush_size(canvas),
                                                  default_color=palette_colors[0],
                                                  color_mode="defaults")),
                    _palette_html(palette_colors))

        editor_outputs = [painting, palette, paste, mask, filled]
        for event in (model.change, demo.load):
            event(guard(on_model), model, [info, sample_start, paint_start, blend_start,
                                           animate_start]).then(
                guard(fill_editors), [model, shown_tab, filled], editor_outputs)
        tabs = {"train": train_tab, "sample": sample_tab, "paint": paint_tab, "blend": blend_tab,
                "animate": animate_tab, "sr": sr_tab}
        for tab_name, tab_ in tabs.items():
            tab_.select(lambda t=tab_name: t, None, shown_tab, queue=False).then(
                guard(fill_editors), [model, shown_tab, filled], editor_outputs)
        refresh.click(lambda current: models_update(current), model, model)

        def on_photo(path: str | None, size: float | None) -> Any:
            if not path:
                return None
            from models.image_io import tensor_to_uint8

            return tensor_to_uint8(h.read_upload(path, int(size or 250), "image to train on"))

        photo.change(guard(on_photo), [photo, max_size], photo_preview)

        def on_train(path: str | None, name_: str, preset_: str, size: float | None,
                     iters_: float | None, finest: float | None, force_: bool) -> Any:
            for update in h.train_stream(ws, control, path, name_, preset_, size, iters_, finest,
                                         force_):
                yield (update.text, _preview_gallery(update.previews),
                       models_update(str(update.model_dir)) if update.done else gr.skip())

        def on_resume(path: str | None) -> Any:
            for update in h.resume_stream(ws, control, path):
                yield (update.text, _preview_gallery(update.previews),
                       models_update(str(update.model_dir)) if update.done else gr.skip())

        train_btn.click(guard(on_train), [photo, name, preset, max_size, iters, iters_finest,
                                            force],
                        [status, previews, model], **TRAINING_EVENT)
        resume_btn.click(guard(on_resume), model, [status, previews, model], **TRAINING_EVENT)
        stop_btn.click(control.request_stop, None, status, queue=False)

        def on_sample(path: str | None, n: float, start: float, sh: float, sv: float,
                      seed: float | None) -> Any:
            paths = h.sample_images(ws, path, int(n), int(start), sh, sv,
                                    None if seed is None else int(seed))
            return _gallery(paths), [str(p) for p in paths]

        sample_btn.click(guard(on_sample), [model, count, sample_start, scale_h, scale_v,
                                            sample_seed], [samples, sample_files])

        def on_canvas(path: str | None, k: float, start: str) -> Any:
            if not path:
                raise h.UsageError("choose a model first (train one in the Train tab)")
            return paint_editor(path, start, int(k))

        canvas_btn.click(guard(on_canvas), [model, colors, canvas_start], [painting, palette])

        def on_paint(path: str | None, value: dict[str, Any] | None, start: float, n: float,
                     quantize_: bool, k: float, seed: float | None,
                     progress: gr.Progress = gr.Progress()) -> Any:  # noqa: B008 (Gradio's idiom)
            started = time.perf_counter()
            try:
                paths = h.paint_images(ws, path, value, int(start), int(n), quantize_, int(k),
                                       seed=None if seed is None else int(seed),
                                       progress=paint_control.watch(_finetune_bar(progress)))
            except h.StopRequested:
                return gr.skip(), STOPPED
            return (_gallery(paths, ["painting"] + [f"result {i + 1}"
                                                    for i in range(len(paths) - 1)]),
                    _done(started))

        paint_btn.click(guard(on_paint), [model, painting, paint_start, paint_count, quantize,
                                          colors, paint_seed], [paint_out, paint_status])
        paint_stop.click(paint_control.request_stop, None, paint_status, queue=False)

        def on_paste(path: str | None, upload: str | None, x: float, y: float, w: float) -> Any:
            pasted, layer = h.paste_object(ws, path, upload, x, y, w)
            return _editor_value(pasted), _editor_value(pasted, [layer])

        paste_btn.click(guard(on_paste), [model, obj, obj_x, obj_y, obj_w], [paste, mask])

        def on_copy(value: dict[str, Any] | None) -> Any:
            return _editor_value(h.editor_image(value, "paste"))

        copy_btn.click(guard(on_copy), paste, mask)

        def on_mode(path: str | None, mode_: str) -> Any:
            if not path:
                return gr.skip()
            info_ = h.model_info(ws, path)
            return gr.Slider(value=info_.harmonize_start if mode_ == "harmonize" else info_.edit_start)

        mode.change(guard(on_mode), [model, mode], blend_start)

        def on_blend(path: str | None, mode_: str, paste_: dict[str, Any] | None,
                     mask_: dict[str, Any] | None, start: float, iters_: float,
                     seed: float | None,
                     progress: gr.Progress = gr.Progress()) -> Any:  # noqa: B008 (Gradio's idiom)
            started = time.perf_counter()
            try:
                paths = h.blend_images(ws, path, mode_, paste_, mask_, int(start), int(iters_),
                                       None if seed is None else int(seed),
                                       progress=blend_control.watch(_finetune_bar(progress)))
            except h.StopRequested:
                return gr.skip(), STOPPED
            return _gallery(paths, ["paste", "mask", "result", "raw"][:len(paths)]), _done(started)

        blend_btn.click(guard(on_blend), [model, mode, paste, mask, blend_start, finetune,
                                          blend_seed], [blend_out, blend_status])
        blend_stop.click(blend_control.request_stop, None, blend_status, queue=False)

        def on_animate(path: str | None, n: float, fps_: float, a: float, b: float, start: float,
                       seed: float | None, mp4_: bool,
                       progress: gr.Progress = gr.Progress()) -> Any:  # noqa: B008 (Gradio's idiom)
            total = int(n)
            paths = h.animate_clip(ws, path, total, fps_, a, b, int(start),
                                   None if seed is None else int(seed), mp4_,
                                   on_frame=lambda t: progress((t + 1) / total, desc="frames"))
            return str(paths[0]), [str(p) for p in paths]

        animate_btn.click(guard(on_animate), [model, frames, fps, alpha, beta, animate_start,
                                              animate_seed, mp4], [clip, clip_files])

        def on_sr(path: str | None, f: float, iters_: float | None, d: float) -> Any:
            for update in h.sr_stream(ws, control, path, f, int(iters_) if iters_ else None, d):
                if update.paths:
                    yield update.text, str(update.paths[0]), str(update.paths[1])
                else:
                    yield update.text, gr.skip(), gr.skip()

        sr_btn.click(guard(on_sr), [sr_photo, factor, sr_iters, detail], [sr_status, before, after],
                     **TRAINING_EVENT)
        sr_stop.click(control.request_stop, None, sr_status, queue=False)
    return demo
