"""The studio page's tabs, one module each: `build(...)` lays the tab out and wires its buttons.

    with gr.Blocks() as demo, gr.Tabs():
        sample_tab = sample.build(ws, model)   # -> common.BuiltTab

`common` holds what the tabs share (error display, galleries, editors); `app.build_app` puts
the tabs together and wires what crosses them (the Model list, editors filled when shown).
"""
