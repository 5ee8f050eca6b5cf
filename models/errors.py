"""Errors users can cause, said in the core's own words: what is wrong, with the facts.

    raise ModelDirError("already holds a model", path=out, fix=Fix.RESUME_OR_FORCE)

`str(error)` is one line of facts (`path: what is wrong`); it never names a command-line flag or
a button. `fix` says what the user can change, as one of the `Fix` keys, and `facts` carry the
values a face needs to word it (`fits` for Fix.MAX_SIZE, ...). Each face words the fix for its
users: the CLI as flags (singan_cli/common.py), the studio as its fields and buttons.
"""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Any


class Fix(str, Enum):
    """What the user can change; the face that shows the error says how."""

    OTHER_OUTPUT = "other_output"  # write the model or result somewhere else
    RESUME_OR_FORCE = "resume_or_force"  # a model is there: continue it, replace it, or elsewhere
    SAME_SETTINGS_OR_FORCE = "same_settings_or_force"  # resuming with changed settings
    FORCE = "force"  # start the model over
    WAIT_OR_OTHER_OUTPUT = "wait_or_other_output"  # another training writes there now
    FREE_DISK = "free_disk"  # free disk space, or write elsewhere
    MAX_SIZE = "max_size"  # a smaller training size; facts: fits (the largest that fits)
    MIN_SIZE = "min_size"  # even the smallest size does not fit; facts: min_size
    LARGER_IMAGE_OR_MIN_SIZE = "larger_image_or_min_size"  # the image is smaller than min_size
    DEVICE = "device"  # another device; facts: device (the one asked for)
    START_SCALE = "start_scale"  # a scale in range; facts: num_trained
    LR_OR_SEED = "lr_or_seed"  # training diverged: a lower learning rate or another seed
    TRAIN_MODEL = "train_model"  # no model there: train one into that directory
    RESUME_TRAINING = "resume_training"  # a model without a finished scale: continue training it


class SinganError(Exception):
    """Base class: a problem with the user's input, said in one line of facts.

    Args:
        what: what is wrong (no flag names, no button names).
        path: the file or directory concerned; `str()` puts it first. A face may move it (a
            worker's temp folder shown as the driver's directory, an upload shown by its name).
        fix: what the user can change (Fix); None when the message says it all.
        facts: values the face needs to word the fix.
    """

    def __init__(self, what: str, *, path: str | Path | None = None, fix: Fix | None = None,
                 **facts: Any) -> None:
        super().__init__(what)
        self.what, self.path, self.fix, self.facts = what, path, fix, facts

    def __str__(self) -> str:
        return f"{self.path}: {self.what}" if self.path is not None else self.what


class UsageError(SinganError):
    """A value that cannot work with this model or machine (the CLI exits with code 2)."""


class ConfigError(SinganError):
    """A bad config key, type or value."""


class ImageError(SinganError):
    """An image file that cannot be read or used."""


class ModelDirError(SinganError):
    """A model directory that is missing, partial, damaged, from an unknown version, or that
    cannot be written as asked."""


class TrainingError(SinganError):
    """Training cannot go on (e.g. a loss became NaN)."""


class OutputError(SinganError):
    """A result or model file that cannot be written (permissions, full disk, bad path)."""
