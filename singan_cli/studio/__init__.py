"""`singan studio`: a local Gradio page over the same applications as the CLI.

    singan studio [MODEL_DIR ...] [--workspace singan-studio/] [--host 127.0.0.1] [--port 7860]

Modules, no gradio in the first six (unit-tested without a server):
`command` the Typer command (imports gradio only when run); `workspace` where models, uploads
and results live (names chosen here, never taken from an upload); `editor` page values
(uploads, ImageEditor dicts) as tensors at the model's size, and back; `chosen_model` the model
picked in the page (loading it, its summary); `training_control` the Stop flag and a training in
a background thread; `train_handlers` what Train and Resume do; `handlers` what the
application buttons do (sample, paint, paste, harmonize / edit, animate, super-resolution),
calling `applications/` and `models/`.
The page: `app` (`build_app`: the Model list and the wiring across tabs) and `tabs/`, one module
per tab plus `tabs/common` (error display, galleries, editors).
"""
