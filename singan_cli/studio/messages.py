"""How the studio words the fix of a core error (models/errors.py) for a person at the page: its
fields and buttons, never command-line flags.

    gr.Error(page_message(exc))   # "…/models/rocket: already holds a model; press Resume …"
"""

from __future__ import annotations

from models.errors import Fix, SinganError

STUDIO_FIXES = {
    Fix.OTHER_OUTPUT: "choose another model name",
    Fix.RESUME_OR_FORCE: "press Resume to continue it, tick Overwrite to start over, or choose "
                         "another name",
    Fix.SAME_SETTINGS_OR_FORCE: "press Resume to continue it with its own settings, or tick "
                                "Overwrite to start over",
    Fix.FORCE: "tick Overwrite to start over",
    Fix.WAIT_OR_OTHER_OUTPUT: "wait for that training to end, or choose another model name",
    Fix.FREE_DISK: "free some disk space, or start the studio with another workspace",
    Fix.MAX_SIZE: "set Max size to {fits} or less",
    Fix.MIN_SIZE: "free some memory: even the smallest size does not fit",
    Fix.LARGER_IMAGE_OR_MIN_SIZE: "upload a larger image",
    Fix.DEVICE: "start the studio on a machine that has it",
    Fix.START_SCALE: "choose a start scale on the slider",
    Fix.LR_OR_SEED: "train again with the other preset or another max size",
    Fix.TRAIN_MODEL: "train one in the Train tab",
    Fix.RESUME_TRAINING: "choose it and press Resume in the Train tab",
}


def page_message(exc: SinganError) -> str:
    """The error's facts, then its fix in the page's words."""
    if exc.fix is None:
        return str(exc)
    return f"{exc}; " + STUDIO_FIXES[exc.fix].format(path=exc.path, **exc.facts)
