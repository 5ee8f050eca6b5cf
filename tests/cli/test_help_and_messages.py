"""What users read: --help shows every help text whole (Rich markup must not eat "[default: ...]"),
and a refused output names the option that chooses another path."""

from __future__ import annotations

from pathlib import Path

import typer.main
from rich.text import Text
from typer.testing import CliRunner

from singan_cli.main import app

runner = CliRunner()


def run(*args: object):  # type: ignore[no-untyped-def]
    return runner.invoke(app, [str(a) for a in args])


def help_texts() -> list[tuple[str, str]]:
    """(command, text) for every command's docstring and every option's help."""
    commands = typer.main.get_command(app).commands  # type: ignore[attr-defined]
    texts = []
    for name, command in commands.items():
        texts.append((name, command.help or ""))
        texts += [(f"{name} {param.opts[0]}", getattr(param, "help", None) or "")
                  for param in command.params]
    return texts


def test_no_help_text_is_eaten_as_markup() -> None:
    # Rich reads "[word...]" as a style tag and drops it; "\\[" keeps it as text
    eaten = [where for where, text in help_texts()
             if Text.from_markup(text).plain != text.replace("\\[", "[")]
    assert not eaten


def test_the_default_output_names_are_in_the_help() -> None:
    for command, default in [("edit", "<edited>_edited.png"), ("harmonize", "<pasted>_harmonized.png"),
                             ("paint2image", "<painting>_paint.png"), ("sr", "<image>_x<factor>.png")]:
        shown = runner.invoke(app, [command, "--help"], env={"COLUMNS": "400"})
        assert f"[default: {default}]" in shown.stdout, command


def test_a_refused_plot_or_json_names_its_own_option(tiny_model_dir: Path, tmp_path: Path) -> None:
    taken = tmp_path / "taken"
    taken.write_bytes(b"earlier result")
    plot = run("info", tiny_model_dir, "--plot", taken)
    assert plot.exit_code == 1 and "another --plot" in plot.stderr and "--out" not in plot.stderr
    scores = run("eval", tiny_model_dir, "-n", 2, "--seed", 0, "--device", "cpu", "--json", taken)
    assert scores.exit_code == 1 and "another --json" in scores.stderr and "--out" not in scores.stderr
    assert taken.read_bytes() == b"earlier result"


def test_sr_names_model_when_the_model_folder_is_refused(tiny_image_path: Path,
                                                         tmp_path: Path) -> None:
    folder = tmp_path / "busy"
    folder.mkdir()
    (folder / "notes.txt").write_text("not a model")
    result = run("sr", tiny_image_path, "--out", tmp_path / "x.png", "--model", folder,
                 "--device", "cpu")
    assert result.exit_code == 1, result.stderr
    assert "another --model" in result.stderr and "--out" not in result.stderr
