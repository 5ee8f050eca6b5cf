"""`singan studio`: a local Gradio page over the same applications as the CLI.

    singan studio [MODEL_DIR ...] [--workspace singan-studio/] [--host 127.0.0.1] [--port 7860]

Modules: `command` (the Typer command; imports gradio only when run), `workspace` (where models,
uploads and results live; names chosen here, never taken from an upload), `handlers` (plain
functions of plain values that call `applications/` and `models/`; no gradio, unit-tested
without a server), `app` (the `gr.Blocks` page that wires the handlers to components).
"""
