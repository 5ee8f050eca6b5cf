"""Applications of a trained pyramid: pure functions (model, tensors, options) -> tensors.

No file formats and no printing here; the CLI in `singan_cli` reads and writes the files.
"""
