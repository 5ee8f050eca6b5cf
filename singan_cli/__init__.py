"""The `singan` command-line tool (Typer). Only this package imports typer or rich.

Heavy modules (torch, models.*, applications.*) are imported inside the command bodies so that
`singan --help` and shell completion stay fast.
"""
