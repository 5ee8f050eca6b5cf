"""The defaults of harmonization and editing, for `singan harmonize` / `edit`, the studio and
the benchmarks alike. No torch here: the CLI reads them when it builds its options.

How they were chosen: docs/benchmarks.md ("Harmonization and editing inside the mask").
"""

HARMONIZE_SCALES_BELOW_FINEST = 3  # the paste enters at scale finest - 3
EDIT_SCALES_BELOW_FINEST = 4  # an edit enters at scale finest - 4
HARMONIZE_FINETUNE_ITERS = 20  # fine-tune iterations per scale before harmonizing (0 = off)
