"""The studio page: one `gr.Blocks` of the model list and the tabs, wired together.

    demo = build_app(Workspace(Path("singan-studio")))
    demo.queue(default_concurrency_limit=1).launch(server_name="127.0.0.1")

Nothing happens at import time. Each tab is laid out and wired by its module in `tabs/`; this
module wires what crosses tabs: the Model list (its choice sets every tab's start-scale slider
and is the model every button uses) and the editors filled for it when their tab is shown.
Trainings (Train, Resume, Super-resolution) share one queue slot and one Stop flag.
"""

from __future__ import annotations

from typing import Any

import gradio as gr

from singan_cli.studio.chosen_model import model_info
from singan_cli.studio.tabs import animate, blend, paint, sample, sr, train
from singan_cli.studio.tabs.common import guard, model_choices
from singan_cli.studio.training_control import TrainingControl
from singan_cli.studio.workspace import Workspace


def build_app(ws: Workspace) -> gr.Blocks:
    """The studio page for the workspace `ws` (its models, and those named on the command line)."""
    control = TrainingControl()  # the training slot's Stop: Train, Resume and Super-resolution
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
            tabs = {"train": train.build(ws, model, control), "sample": sample.build(ws, model),
                    "paint": paint.build(ws, model), "blend": blend.build(ws, model),
                    "animate": animate.build(ws, model), "sr": sr.build(ws, control)}
        with_start = [t for t in tabs.values() if t.start is not None]
        # The editors are filled when their tab is shown: Gradio's ImageEditor updated while
        # its tab is hidden gets no drawing layer (brush strokes are then lost).
        with_editors = {name: t for name, t in tabs.items() if t.fill is not None}
        shown_tab = gr.State("train")
        filled = gr.State({})  # tab -> the model path its editors were filled for

        def on_model(path: str | None) -> tuple[Any, ...]:
            if not path:
                return ("No model yet: train one in the Train tab.",) + (gr.skip(),) * len(with_start)
            info_ = model_info(ws, path)
            top = max(info_.num_trained - 1, 1)
            return (info_.text, *(gr.Slider(maximum=top, value=t.start_value(info_)) for t in with_start))

        def fill_editors(path: str | None, tab: str, done: dict[str, str]) -> tuple[Any, ...]:
            if not path or tab not in with_editors or done.get(tab) == path:
                return (*(gr.skip(),) * sum(len(t.editors) for t in with_editors.values()), done)
            updates: list[Any] = []
            for name, t in with_editors.items():
                updates += t.fill(path) if name == tab and t.fill else (gr.skip(),) * len(t.editors)
            return (*updates, {**done, tab: path})

        editor_outputs = [e for t in with_editors.values() for e in t.editors] + [filled]
        for event in (model.change, demo.load):
            event(guard(on_model), model, [info] + [t.start for t in with_start]).then(
                guard(fill_editors), [model, shown_tab, filled], editor_outputs)
        for tab_name, built in tabs.items():
            built.tab.select(lambda t=tab_name: t, None, shown_tab, queue=False).then(
                guard(fill_editors), [model, shown_tab, filled], editor_outputs)
        refresh.click(lambda current: model_choices(ws, current), model, model)
    return demo
