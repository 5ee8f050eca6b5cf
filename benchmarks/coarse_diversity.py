"""Where does a model's diversity come from? Train only the coarse scales and score each one.

    python benchmarks/coarse_diversity.py PHOTO [--set min_size=20 ...] [--up-to 48]

Trains the default preset (plus `--set key=value` overrides) scale by scale with one thread
and stops after the first scale whose shorter side is at least `--up-to` px (a few minutes,
against 10-20 for a whole training). After each scale it draws 6 samples (seed 0) and prints
their diversity (`singan eval`'s: per-pixel spread of the samples over the photo's own), mean
patch SWD against the photo at that scale, the samples' colour offset (mean over RGB of the
absolute gap between the samples' and the photo's channel means, in [-1, 1] units) and their
contrast (the samples' pixel std over the photo's). Diversity is mostly decided at these
scales; a lever that does not move it here will not move it at the finest scale. A colour
cast that the coarsest scale starts (offset > 0.02, contrast < 0.95) stays to the finest.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import torch
import yaml

from applications.evaluate import diversity, patch_swd, seeded_samples
from models.config import resolve_config
from models.image_io import load_image
from models.trainer import train_scales


def colour_offset_and_contrast(samples: list[torch.Tensor], real: torch.Tensor,
                               ) -> tuple[float, float]:
    """(mean |channel mean of the samples - of the photo|, samples' std / photo's std) for
    samples and photo 1x3xHxW in [-1, 1]."""
    means = torch.stack([s.mean(dim=(0, 2, 3)) for s in samples]).mean(dim=0)
    offset = (means - real.mean(dim=(0, 2, 3))).abs().mean().item()
    contrast = torch.stack([s.std() for s in samples]).mean().item() / real.std().item()
    return offset, contrast


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("photo", type=Path)
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="a config override, e.g. min_size=20 (repeatable)")
    parser.add_argument("--up-to", type=int, default=48,
                        help="stop after the first scale whose shorter side is at least this")
    parser.add_argument("--count", type=int, default=6)
    args = parser.parse_args()
    overrides = {key: yaml.safe_load(value)
                 for key, value in (item.split("=", 1) for item in args.set)}
    torch.set_num_threads(1)
    config = resolve_config("default", overrides=overrides)
    image = load_image(args.photo, config.max_size)
    started = time.perf_counter()
    rows = []
    for model in train_scales(image, config, threads=1):
        scale = model.num_trained - 1
        real = model.reals()[scale]
        samples = seeded_samples(model, args.count)
        offset, contrast = colour_offset_and_contrast(samples, real)
        rows.append({"scale": scale, "size": list(model.geometry.sizes[scale]),
                     "diversity": round(diversity(samples, real), 3),
                     "swd": round(sum(patch_swd(s, real) for s in samples) / len(samples), 2),
                     "offset": round(offset, 3), "contrast": round(contrast, 3)})
        print(json.dumps(rows[-1]), flush=True)
        if min(model.geometry.sizes[scale]) >= args.up_to:
            break
    print(json.dumps({"photo": args.photo.name, "overrides": overrides,
                      "seconds": round(time.perf_counter() - started)}))


if __name__ == "__main__":
    main()
