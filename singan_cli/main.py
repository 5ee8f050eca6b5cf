"""The `singan` Typer app: registers one subcommand per module.

    singan train photo.jpg --out model/ ; singan sample model/ -n 8 ; singan info model/
"""

from __future__ import annotations

from typing import Annotated

import typer

from singan_cli.animate import animate_command
from singan_cli.cluster.command import train_many_command
from singan_cli.edit import edit_command
from singan_cli.evaluate import eval_command
from singan_cli.harmonize import harmonize_command
from singan_cli.info import info_command
from singan_cli.paint2image import paint2image_command
from singan_cli.sample import sample_command
from singan_cli.sr import sr_command
from singan_cli.studio.command import studio_command
from singan_cli.train import train_command

app = typer.Typer(no_args_is_help=True, add_completion=True, pretty_exceptions_show_locals=False,
                  help="Learn a generative model from a single image (SinGAN) and use it: "
                       "random samples, super-resolution, paint-to-image, harmonization, editing, "
                       "animation.")


def _version(value: bool) -> None:
    if value:
        from models.version import __version__

        typer.echo(f"singan {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                          help="Show the version and exit.")] = False,
) -> None:
    """Set SINGAN_DEBUG=1 for full tracebacks."""


app.command("train")(train_command)
app.command("sample")(sample_command)
app.command("info")(info_command)
app.command("sr")(sr_command)
app.command("paint2image")(paint2image_command)
app.command("harmonize")(harmonize_command)
app.command("edit")(edit_command)
app.command("animate")(animate_command)
app.command("eval")(eval_command)
app.command("studio")(studio_command)
app.command("train-many")(train_many_command)
