"""The Harmonize / Edit tab: make a paste, brush the changed region, blend it in.

    blend_tab = build(ws, model)   # inside gr.Blocks and gr.Tabs

Two editors: the paste (uploaded, painted, or an object pasted onto the model's image) and the
mask brushed over a copy of it. Both are filled with the chosen model's image when the tab is
shown (app.build_app calls the BuiltTab's `fill`); Stop cancels harmonize's fine-tune.
"""

from __future__ import annotations

from typing import Any

import gradio as gr

from applications.blend_defaults import HARMONIZE_FINETUNE_ITERS, HARMONIZE_VOTE_SHARE
from singan_cli.studio.chosen_model import model_image, model_info
from singan_cli.studio.editor import brush_size, editor_image, editor_value
from singan_cli.studio.handlers import blend_images, paste_object
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

MASK_BRUSH = ("#ff00ff", 0.6)  # see-through magenta: the image stays visible under the mask


def _mask_brush(size: int | str = "auto") -> gr.Brush:
    return gr.Brush(colors=[MASK_BRUSH], default_size=size, color_mode="fixed")


def build(ws: Workspace, model: gr.Dropdown) -> BuiltTab:
    """The tab; `model` is the page's Model list. The returned BuiltTab's `fill` puts the
    model's image into both editors."""
    finetune = Finetune()
    with gr.Tab("Harmonize / Edit", id="blend") as tab:
        gr.Markdown("1. Make the paste: upload a whole pasted image into the left editor, "
                    "paint on it, or paste an object below. 2. **Copy to the mask "
                    "editor** and brush over the changed region. 3. Run.")
        with gr.Accordion("Paste an object onto the model's image", open=False), gr.Row():
            obj = gr.File(label="Object (PNG with transparency or any image)",
                          file_types=["image"], type="filepath", elem_id="blend-object")
            with gr.Column():
                obj_x = gr.Slider(0, 1, value=0.5, step=0.01, label="Centre x")
                obj_y = gr.Slider(0, 1, value=0.5, step=0.01, label="Centre y")
                obj_w = gr.Slider(0.05, 1, value=0.3, step=0.01, label="Width")
                paste_btn = gr.Button("Paste it", elem_id="blend-paste")
        with gr.Row():
            paste = image_editor("1. The paste", "blend-paste-editor", height=380)
            mask = image_editor("2. The mask: brush over the changed region", "blend-mask-editor",
                                height=380, sources=(), brush=_mask_brush())
        with gr.Row():
            copy_btn = gr.Button("Copy the paste to the mask editor", elem_id="blend-copy")
            mode = gr.Radio(["harmonize", "edit"], value="harmonize", label="Mode",
                            elem_id="blend-mode")
            start = start_slider()
            iters = gr.Slider(0, 500, value=HARMONIZE_FINETUNE_ITERS, step=10,
                              label="Fine-tune iterations per scale (harmonize; a third at the "
                              "finest; keeps the object's edges; 0 = off)", elem_id="blend-finetune")
            vote = gr.Slider(0, 1, value=HARMONIZE_VOTE_SHARE, step=0.05,
                             label="Vote of the image's nearest patches (harmonize; its share: "
                             "more of the image's strokes; 0 = off)", elem_id="blend-vote")
            seed = seed_box()
            with gr.Column(min_width=100):
                run = gr.Button("Run", variant="primary", elem_id="blend-run")
                stop = gr.Button("Stop", variant="stop", elem_id="blend-stop")
        status = gr.Markdown(elem_id="blend-status")
        results = gr.Gallery(label="Paste, mask, result (and raw output for edit)",
                             columns=4, height="auto", object_fit="contain",
                             elem_id="blend-gallery")

    def fill(path: str) -> tuple[Any, Any]:
        """Both editors on the model's image, with brushes sized to it."""
        image = model_image(ws, path)
        size = brush_size(image)
        value = as_pictures(ws, editor_value(image))
        return (gr.ImageEditor(value=value, brush=gr.Brush(default_size=size)),
                gr.ImageEditor(value=value, brush=_mask_brush(size)))

    def on_paste(path: str | None, upload: str | None, x: float, y: float, w: float) -> Any:
        pasted, layer = paste_object(ws, path, upload, x, y, w)
        return as_pictures(ws, (editor_value(pasted), editor_value(pasted, [layer])))

    def on_copy(value: dict[str, Any] | None) -> Any:
        return as_pictures(ws, editor_value(editor_image(value, "paste")))

    def on_mode(path: str | None, mode_: str) -> Any:
        if not path:
            return gr.skip()
        info = model_info(ws, path)
        return gr.Slider(value=info.harmonize_start if mode_ == "harmonize" else info.edit_start)

    def on_blend(path: str | None, mode_: str, paste_: dict[str, Any] | None,
                 mask_: dict[str, Any] | None, start_: float, iters_: float, vote_: float,
                 seed_: float | None, progress: gr.Progress = gr.Progress()) -> Any:  # noqa: B008 (Gradio's idiom)
        return finetune.run(progress, lambda report: blend_images(
            ws, path, mode_, paste_, mask_, int(start_), int(iters_), seed_, progress=report,
            vote_share=vote_),
            lambda n: ["paste", "mask", "result", "raw"][:n])

    paste_btn.click(guard(on_paste), [model, obj, obj_x, obj_y, obj_w], [paste, mask])
    copy_btn.click(guard(on_copy), paste, mask)
    mode.change(guard(on_mode), [model, mode], start)
    run.click(guard(on_blend), [model, mode, paste, mask, start, iters, vote, seed], [results, status])
    finetune.connect(run, stop, status)
    return BuiltTab(tab, start=start, start_value=lambda info: info.harmonize_start,
                    editors=[paste, mask], fill=fill)
