"""`singan train-many`: one SinGAN model per photo, each trained as a Ray task.

    singan train-many photos/ --out models/ [--address auto]

One Ray generator task per photo runs the trainer of `singan train` and streams each finished
scale's files back; the driver (the process of the command) is the only writer of
MODELS_DIR/<name>/, so workers need no shared filesystem and what is on disk always loads.

Modules: `command` (the Typer command, connecting to Ray, the final table), `photos` (which photos,
under which model names), `record` (`PhotoRun`, one photo's outcome, and MODELS_DIR/index.json),
`driver` (the scheduler: submits tasks, acts on what they stream, resubmits lost ones),
`model_dirs` (the driver's side of each model directory: check, lock, write, score a finished
one), `display` (the progress on stderr), `task` (what a worker runs), `shipping` (a model
directory as name -> bytes, as driver and task exchange it). Ray is imported only when the first
task is about to run: `--help` imports none, and a rerun that skips every model starts none.
"""
