"""The project's licence: an MIT LICENSE file that the package metadata declares and ships."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def test_mit_licence_file_and_package_metadata() -> None:
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+
    text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert text.startswith("MIT License\n")
    assert "Copyright (c) 2026 the singan authors" in text
    assert "WITHOUT WARRANTY OF ANY KIND" in text
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert pyproject["project"]["license"] == "MIT"  # an SPDX expression (PEP 639)
    assert pyproject["project"]["license-files"] == ["LICENSE"]
    # setuptools reads the SPDX form from 77 on
    assert any(req.replace(" ", "").startswith("setuptools>=") and
               int(req.split(">=")[1].split(".")[0]) >= 77
               for req in pyproject["build-system"]["requires"])
