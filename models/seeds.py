"""The one rule that turns a run's seed into every random stream it uses.

    gen = seeded_generator(seed, Purpose.ANIMATE)               # a torch.Generator on the CPU
    torch.manual_seed(derive_seed(seed, Purpose.TRAIN_SCALE, scale))

numpy's SeedSequence hashes (seed, purpose, index), so neighbouring seeds, indices and purposes
give unrelated streams: seed 1's samples are not seed 0's shifted by one, and the reconstruction
noise is never the noise of any sample. Samples keep the key they have always had, (index,
sign), so a seed saved with an earlier version still gives the same images.
"""

from __future__ import annotations

import secrets
from enum import IntEnum

import numpy as np
import torch


class Purpose(IntEnum):
    """What a random stream is for (each its own stream for the same seed)."""

    SAMPLE = 0  # the noise of output `index` (samples, paint2image, harmonize, edit)
    Z_REC = 1  # the fixed reconstruction noise of a new model
    TRAIN_SCALE = 2  # weights, noise and windows while training scale `index`
    FINETUNE = 3  # a fine-tune of scale `index` (harmonize --finetune, paint2image --quantize)
    FINETUNE_INPUT = 4  # the coarser images a harmonization fine-tune of scale `index` starts from
    ANIMATE = 5  # the noise walk of an animation
    SUPER_RESOLUTION = 6  # the noise of the enlargement steps
    PALETTE = 7  # k-means starting colours (fixed: a palette belongs to the image, not the run)
    PATCH_DIRECTIONS = 8  # the projections a patch-matching scale uses (fixed per scale index)


def derive_seed(seed: int, purpose: Purpose, index: int = 0) -> int:
    """A 63-bit torch seed for stream (`purpose`, `index`) of a run seeded with `seed` (any int)."""
    key = (index, int(seed < 0)) if purpose is Purpose.SAMPLE else (index, int(seed < 0), int(purpose))
    sequence = np.random.SeedSequence(entropy=abs(seed), spawn_key=key)
    return int(sequence.generate_state(1, dtype=np.uint64)[0] >> np.uint64(1))


def seeded_generator(seed: int, purpose: Purpose, index: int = 0) -> torch.Generator:
    """A CPU torch.Generator on stream (`purpose`, `index`) of `seed`: the same numbers on every
    device (draw on the CPU, then move)."""
    return torch.Generator().manual_seed(derive_seed(seed, purpose, index))


def fresh_seed() -> int:
    """A new seed for a run the caller did not seed (say it, so the user can repeat the run)."""
    return secrets.randbelow(2**31)
