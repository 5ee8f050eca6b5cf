"""The Super-resolution tab: train on the uploaded image itself, then enlarge it.

    sr_tab = build(ws, control)   # inside gr.Blocks and gr.Tabs

It takes the training slot (and its Stop flag) that the Train tab uses: one training at a time.
"""

from __future__ import annotations

from typing import Any

import gradio as gr

from singan_cli.studio.handlers import sr_stream
from singan_cli.studio.tabs.common import TRAINING_EVENT, BuiltTab, guard
from singan_cli.studio.training_control import TrainingControl
from singan_cli.studio.workspace import Workspace


def build(ws: Workspace, control: TrainingControl) -> BuiltTab:
    """The tab; `control` is the training slot's Stop flag."""
    with gr.Tab("Super-resolution", id="sr") as tab:
        gr.Markdown("Trains a model on the uploaded image itself (minutes for a 250 px "
                    "image on a CPU; it waits for other trainings), then enlarges it.")
        with gr.Row():
            with gr.Column(scale=1):
                photo = gr.File(label="Image to enlarge (up to 512 px)",
                                file_types=["image"], type="filepath", elem_id="sr-photo")
                factor = gr.Slider(1.1, 8, value=2, step=0.1, label="Factor")
                iters = gr.Number(0, label="Iterations per scale (0: preset)", precision=0, minimum=0)
                detail = gr.Slider(0, 1, value=0.35, step=0.05, label="Detail per step "
                                   "(0: bicubic, 1: the paper)")
                with gr.Row():
                    run = gr.Button("Enlarge", variant="primary", elem_id="sr-run")
                    stop = gr.Button("Stop", variant="stop")
            with gr.Column(scale=2):
                status = gr.Markdown(elem_id="sr-status")
                with gr.Row():
                    before = gr.Image(label="Bicubic", type="filepath", interactive=False)
                    after = gr.Image(label="SinGAN", type="filepath", interactive=False)

    def on_sr(path: str | None, f: float, iters_: float | None, d: float) -> Any:
        for update in sr_stream(ws, control, path, f, iters_, d):
            if update.paths:
                yield update.text, str(update.paths[0]), str(update.paths[1])
            else:
                yield update.text, gr.skip(), gr.skip()

    run.click(guard(on_sr), [photo, factor, iters, detail], [status, before, after], **TRAINING_EVENT)
    stop.click(control.request_stop, None, status, queue=False)
    return BuiltTab(tab)
