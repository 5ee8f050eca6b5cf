"""The core says what is wrong in its own words: no error raised in models/ or applications/
names a command-line flag (the faces word the fix: singan_cli/common.py's CLI_FIXES)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from models.errors import Fix, ImageError, SinganError

ROOT = Path(__file__).resolve().parents[2]
FLAG = re.compile(r"(?<![\w-])--[a-z][a-z-]*")


def _raised_texts(path: Path) -> list[tuple[int, str]]:
    """(line, text) of every string literal (f-string parts included) inside a raise."""
    texts = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Raise) and node.exc is not None:
            for part in ast.walk(node.exc):
                if isinstance(part, ast.Constant) and isinstance(part.value, str):
                    texts.append((part.lineno, part.value))
    return texts


@pytest.mark.parametrize("package", ["models", "applications"])
def test_no_core_error_names_a_command_line_flag(package: str) -> None:
    found = [f"{path.relative_to(ROOT)}:{line}: {text!r}"
             for path in sorted((ROOT / package).glob("*.py"))
             for line, text in _raised_texts(path) if FLAG.search(text)]
    assert not found, "\n".join(found)


def test_the_scan_sees_a_flag_in_a_raise(tmp_path: Path) -> None:
    module = tmp_path / "bad.py"
    module.write_text('def f(x):\n    raise ValueError(f"{x}: use --max-size 200")\n')
    assert [line for line, text in _raised_texts(module) if FLAG.search(text)] == [2]


def test_an_error_is_its_facts_and_carries_its_fix() -> None:
    error = SinganError("already holds a model", path=Path("model"), fix=Fix.RESUME_OR_FORCE)
    assert str(error) == "model: already holds a model"
    error.path = Path("/elsewhere/model")  # a face may show the path its user knows
    assert str(error) == "/elsewhere/model: already holds a model"
    assert str(ImageError("file not found")) == "file not found"


def test_every_fix_is_worded_by_the_command_line() -> None:
    from singan_cli.common import CLI_FIXES

    assert set(CLI_FIXES) == set(Fix)
