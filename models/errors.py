"""Errors users can cause. The CLI prints their message as one line (exit 1; UsageError: exit 2)."""


class SinganError(Exception):
    """Base class: a problem with the user's input, said in one line that names the fix."""


class UsageError(SinganError):
    """A command-line value that cannot work with this model (exit code 2)."""


class ConfigError(SinganError):
    """A bad config key, type or value."""


class ImageError(SinganError):
    """An image file that cannot be read or used."""


class ModelDirError(SinganError):
    """A model directory that is missing, partial, damaged or from an unknown version."""


class TrainingError(SinganError):
    """Training cannot go on (e.g. a loss became NaN)."""


class OutputError(SinganError):
    """A result or model file that cannot be written (permissions, full disk, bad path)."""
