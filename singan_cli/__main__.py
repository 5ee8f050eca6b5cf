"""`python -m singan_cli` (shell completion only works through the installed `singan` script)."""

from singan_cli.main import app

app(prog_name="singan")
