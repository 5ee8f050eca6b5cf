"""The Animate tab: a looping GIF (and MP4) of the chosen model (applications.animate).

    animate_tab = build(ws, model)   # inside gr.Blocks and gr.Tabs
"""

from __future__ import annotations

from typing import Any

import gradio as gr

from singan_cli.studio.handlers import animate_clip
from singan_cli.studio.tabs.common import BuiltTab, guard, seed_box, start_slider
from singan_cli.studio.workspace import Workspace


def build(ws: Workspace, model: gr.Dropdown) -> BuiltTab:
    """The tab; `model` is the page's Model list."""
    with gr.Tab("Animate", id="animate") as tab, gr.Row():
        with gr.Column(scale=1):
            frames = gr.Slider(2, 300, value=30, step=1, label="Frames")
            fps = gr.Slider(1, 30, value=10, step=1, label="Frames per second")
            alpha = gr.Slider(0, 1, value=0.1, step=0.05, label="Pull to the image "
                              "(alpha; higher: calmer)")
            beta = gr.Slider(0, 1, value=0.9, step=0.05, label="Momentum (beta)")
            start = start_slider()
            seed = seed_box()
            mp4 = gr.Checkbox(False, label="Also MP4 (needs pip install 'singan-cli[video]')")
            run = gr.Button("Animate", variant="primary", elem_id="animate-run")
        with gr.Column(scale=2):
            clip = gr.Image(label="Animation (GIF)", type="filepath", interactive=False,
                            elem_id="animate-clip")
            files = gr.File(label="Download", file_count="multiple")

    def on_animate(path: str | None, n: float, fps_: float, a: float, b: float, start_: float,
                   seed_: float | None, mp4_: bool,
                   progress: gr.Progress = gr.Progress()) -> Any:  # noqa: B008 (Gradio's idiom)
        total = int(n)
        paths = animate_clip(ws, path, total, fps_, a, b, int(start_), seed_, mp4_,
                             on_frame=lambda t: progress((t + 1) / total, desc="frames"))
        return str(paths[0]), [str(p) for p in paths]

    run.click(guard(on_animate), [model, frames, fps, alpha, beta, start, seed, mp4], [clip, files])
    return BuiltTab(tab, start=start)
