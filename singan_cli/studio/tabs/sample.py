"""The Sample tab: random images from the chosen model (applications.sample via the handlers).

    sample_tab = build(ws, model)   # inside gr.Blocks and gr.Tabs
"""

from __future__ import annotations

from typing import Any

import gradio as gr

from singan_cli.studio.handlers import sample_images
from singan_cli.studio.tabs.common import BuiltTab, gallery, guard, seed_box, start_slider
from singan_cli.studio.workspace import Workspace


def build(ws: Workspace, model: gr.Dropdown) -> BuiltTab:
    """The tab; `model` is the page's Model list."""
    with gr.Tab("Sample", id="sample") as tab, gr.Row():
        with gr.Column(scale=1):
            count = gr.Slider(1, 16, value=4, step=1, label="How many")
            start = start_slider(label="Start scale (0: fully random; higher keeps the layout)")
            scale_h = gr.Slider(0.5, 3, value=1, step=0.1, label="Width x")
            scale_v = gr.Slider(0.5, 3, value=1, step=0.1, label="Height x")
            vary = gr.Checkbox(value=False, elem_id="sample-vary-layout",
                               label="Vary the layout more: the coarse scales match the photo's "
                               "patches (scenes vary; objects may break; start scale 0)")
            seed = seed_box()
            run = gr.Button("Sample", variant="primary", elem_id="sample-run")
        with gr.Column(scale=2):
            samples = gr.Gallery(label="Samples", columns=4, height="auto",
                                 object_fit="contain", elem_id="sample-gallery")
            files = gr.File(label="Download PNGs", file_count="multiple")

    def on_sample(path: str | None, n: float, start_: float, sh: float, sv: float,
                  vary_: bool, seed_: float | None) -> Any:
        paths = sample_images(ws, path, int(n), int(start_), sh, sv, seed_, bool(vary_))
        return gallery(paths), [str(p) for p in paths]

    run.click(guard(on_sample), [model, count, start, scale_h, scale_v, vary, seed], [samples, files])
    return BuiltTab(tab, start=start)
