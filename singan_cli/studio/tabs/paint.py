"""The Paint tab: paint a rough layout in the image's own colours; paint2image makes it an image.

    paint_tab = build(ws, model)   # inside gr.Blocks and gr.Tabs

The canvas is filled for the chosen model when the tab is shown (app.build_app calls the
BuiltTab's `fill`); Stop cancels the --quantize fine-tune.
"""

from __future__ import annotations

from typing import Any

import gradio as gr

from singan_cli.studio.editor import brush_size, editor_value
from singan_cli.studio.handlers import paint_canvas, paint_images
from singan_cli.studio.tabs.common import (
    BuiltTab,
    Finetune,
    as_pictures,
    guard,
    image_editor,
    seed_box,
    start_slider,
)
from singan_cli.studio.workspace import Workspace


def _palette_html(colors: list[str]) -> str:
    swatches = "".join(f'<span title="{c}" style="display:inline-block;width:28px;height:28px;'
                       f'margin-right:4px;border:1px solid #8888;background:{c}"></span>'
                       for c in colors)
    return f'<div id="palette">Palette of the image (most common first): {swatches}</div>'


def build(ws: Workspace, model: gr.Dropdown) -> BuiltTab:
    """The tab; `model` is the page's Model list. The returned BuiltTab's `fill` puts a new
    canvas (the model's image in palette colours) into the editor."""
    finetune = Finetune()
    with gr.Tab("Paint", id="paint") as tab:
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
                painting = image_editor("Painting", "paint-editor", height=420)
            with gr.Column(scale=1):
                start = start_slider(1)
                count = gr.Slider(1, 8, value=2, step=1, label="How many")
                quantize = gr.Checkbox(False, label="Quantize to the palette and fine-tune "
                                       "(slower, truer colours)", elem_id="paint-quantize")
                seed = seed_box()
                with gr.Row():
                    run = gr.Button("Paint to image", variant="primary", elem_id="paint-run")
                    stop = gr.Button("Stop", variant="stop", elem_id="paint-stop")
                status = gr.Markdown(elem_id="paint-status")
        results = gr.Gallery(label="Painting, then results", columns=4, height="auto",
                             object_fit="contain", elem_id="paint-gallery")

    def new_canvas(path: str | None, start_: str, k: int) -> tuple[Any, str]:
        """The painting editor on a new canvas, its brushes the palette, and the palette shown."""
        canvas, palette_colors = paint_canvas(ws, path, start_, k)
        return (gr.ImageEditor(value=as_pictures(ws, editor_value(canvas)),
                               brush=gr.Brush(colors=palette_colors, default_size=brush_size(canvas),
                                              default_color=palette_colors[0],
                                              color_mode="defaults")),
                _palette_html(palette_colors))

    def on_canvas(path: str | None, k: float, start_: str) -> Any:
        return new_canvas(path, start_, int(k))

    def on_paint(path: str | None, value: dict[str, Any] | None, start_: float, n: float,
                 quantize_: bool, k: float, seed_: float | None,
                 progress: gr.Progress = gr.Progress()) -> Any:  # noqa: B008 (Gradio's idiom)
        return finetune.run(progress, lambda report: paint_images(
            ws, path, value, int(start_), int(n), quantize_, int(k), seed=seed_, progress=report),
            lambda n_: ["painting"] + [f"result {i + 1}" for i in range(n_ - 1)])

    canvas_btn.click(guard(on_canvas), [model, colors, canvas_start], [painting, palette])
    run.click(guard(on_paint), [model, painting, start, count, quantize, colors, seed],
              [results, status])
    finetune.connect(run, stop, status)
    return BuiltTab(tab, start=start, start_value=lambda info: min(1, max(info.num_trained - 1, 0)),
                    editors=[painting, palette], fill=lambda path: new_canvas(path, "palette", 5))
