"""The Train tab: upload a photo, look at training-free samples of it, train a model on it (or
resume the chosen one), Stop.

    train_tab = build(ws, model, control)   # inside gr.Blocks and gr.Tabs

The buttons call studio.train_handlers; a finished (or stopped) training selects its model in
the Model list.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import gradio as gr

from singan_cli.studio.editor import read_upload
from singan_cli.studio.handlers import first_look
from singan_cli.studio.tabs.common import TRAINING_EVENT, BuiltTab, as_pictures, gallery, guard, model_choices
from singan_cli.studio.train_handlers import TrainStatus, resume_stream, train_stream
from singan_cli.studio.training_control import TrainingControl
from singan_cli.studio.workspace import Workspace


def _preview_gallery(paths: list[Path]) -> list[tuple[str, str]]:
    """Preview sheets previews/scale_NN.png, newest first, captioned with their scale."""
    return gallery(paths[::-1], [f"after scale {int(p.stem.split('_')[-1])}" for p in paths[::-1]])


def build(ws: Workspace, model: gr.Dropdown, control: TrainingControl) -> BuiltTab:
    """The tab; `model` is the page's Model list, `control` the training slot's Stop flag."""
    with gr.Tab("Train", id="train") as tab:
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
                                             precision=0, minimum=0, elem_id="train-iters-finest")
                force = gr.Checkbox(False, label="Overwrite a model of the same name")
                with gr.Row():
                    train_btn = gr.Button("Train", variant="primary", elem_id="train-start")
                    resume_btn = gr.Button("Resume", elem_id="train-resume")
                    stop_btn = gr.Button("Stop", variant="stop", elem_id="train-stop")
                look_btn = gr.Button("First look: a sample without training (under a minute on "
                                     "a 2-core CPU)", elem_id="train-first-look")
            with gr.Column(scale=2):
                status = gr.Markdown("No training running.", elem_id="train-status")
                previews = gr.Gallery(label="After each scale: the real image, then 4 "
                                      "samples (newest first)", columns=1,
                                      height="auto", object_fit="contain",
                                      elem_id="train-previews")

    def on_photo(path: str | None, size: float | None) -> Any:
        if not path:
            return None
        from models.image_io import tensor_to_uint8

        return as_pictures(ws, tensor_to_uint8(read_upload(path, int(size or 250), "image to train on")))

    def show(updates: Iterator[TrainStatus]) -> Iterator[tuple[Any, ...]]:
        for update in updates:
            yield (update.text, _preview_gallery(update.previews),
                   model_choices(ws, str(update.model_dir)) if update.done else gr.skip())

    def on_train(path: str | None, name_: str, preset_: str, size: float | None,
                 iters_: float | None, finest: float | None, force_: bool) -> Any:
        yield from show(train_stream(ws, control, path, name_, preset_, size, iters_, finest, force_))

    def on_resume(path: str | None) -> Any:
        yield from show(resume_stream(ws, control, path))

    def on_look(path: str | None) -> Any:
        started = time.perf_counter()
        paths = first_look(ws, path, count=1, seed=None)
        return (f"First look in {time.perf_counter() - started:.0f} s: no training, each scale "
                f"matched the photo's patches. Train for better samples.",
                gallery(paths, ["first look"] * len(paths)))

    photo.change(guard(on_photo), [photo, max_size], photo_preview)
    look_btn.click(guard(on_look), photo, [status, previews], **TRAINING_EVENT)
    train_btn.click(guard(on_train), [photo, name, preset, max_size, iters, iters_finest, force],
                    [status, previews, model], **TRAINING_EVENT)
    resume_btn.click(guard(on_resume), model, [status, previews, model], **TRAINING_EVENT)
    stop_btn.click(control.request_stop, None, status, queue=False)
    return BuiltTab(tab)
