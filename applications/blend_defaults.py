"""The defaults of harmonization and editing, for `singan harmonize` / `edit`, the studio and
the benchmarks alike. No torch here: the CLI reads them when it builds its options.

How they were chosen: docs/benchmarks.md ("Harmonization and editing inside the mask").
"""

HARMONIZE_SCALES_BELOW_FINEST = 2  # the paste enters at scale finest - 2
EDIT_SCALES_BELOW_FINEST = 4  # an edit enters at scale finest - 4
HARMONIZE_FINETUNE_ITERS = 90  # fine-tune iterations per scale before harmonizing (0 = off)
HARMONIZE_FINEST_SHARE = 1 / 3  # the finest scale, the costliest, gets this share of them
HARMONIZE_COLOUR_WEIGHT = 0.03  # the fine-tune's pull towards the paste's RGB (beside its edges)
HARMONIZE_VOTE_SHARE = 0.5  # the share of a nearest-patch vote in the regenerated region (0 = off)
