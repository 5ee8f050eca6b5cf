"""The package version (read by pyproject.toml and stamped into every model directory)."""

__version__ = "0.1.0"
