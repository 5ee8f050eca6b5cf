"""Harmonization and editing scores inside the mask: style (made of the image's own patches?) and
structure (the pasted object's edges kept?), for the naive paste and for `singan harmonize`/`edit`.

    python benchmarks/blend_quality.py ../shared/data/Harmonization [--models DIR] [--edit] \\
        [--sheet sheet.png] [--finetune N] [--vote S] [--seed N]

For each `<name>_naive.jpg` (or `<name>_edit_N.png` with --edit) beside `<name>.jpg|png` and its
`..._mask` file, at the model's size (250 px on the longer side):
- style: the mean distance (RMS per value, 0-255) from each 7x7 patch of the result centred
  inside the mask to its nearest 7x7 patch of the background image lying wholly outside the
  mask (all its patches where the mask covers the whole image); lower: the region is made of
  the image's own patches.
- structure: the correlation, inside the mask, between the luminance gradient magnitude of the
  result and that of the paste; 1: every edge of the pasted object kept.
With --models DIR holding a model directory `DIR/<name>` (trained on `<name>.jpg`), also the
scores of `singan harmonize` (or `edit`) with its defaults (the fine-tune and the vote
included), and its time. Prints a markdown table; --sheet also writes the pairs side by side
(paste | result), one row per pair with a model.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import torch
import torch.nn.functional as F

from applications.blend import edit, edit_start_scale, harmonize, harmonize_start_scale
from applications.blend_defaults import HARMONIZE_FINETUNE_ITERS, HARMONIZE_VOTE_SHARE
from models.checkpoint import load_model
from models.geometry import resize
from models.image_io import image_grid, load_image, load_mask, save_image
from models.losses import edge_magnitude

PATCH = 7
SIZE = 250


def _to_255(image: torch.Tensor) -> torch.Tensor:
    return (image.clamp(-1, 1) + 1) * 127.5


def style(result: torch.Tensor, background: torch.Tensor, mask: torch.Tensor,
          chunk: int = 1024) -> float:
    """Mean RMS distance from the result's patches centred in the mask to the nearest patch of
    the background that lies wholly outside it (all 1x3xHxW / 1x1xHxW at one size)."""
    r = PATCH // 2
    queries = F.unfold(_to_255(result), PATCH)[0].T  # patches of every centre not at the border
    centres = mask[..., r:-r, r:-r].flatten() > 0.5
    outside = F.max_pool2d(mask, PATCH, stride=1).flatten() < 0.5
    if not outside.any():  # a mask over the whole image: all of the background's patches
        outside = torch.ones_like(outside)
    keys = F.unfold(_to_255(background), PATCH)[0].T[outside]
    queries = queries[centres]
    best = [torch.cdist(queries[a:a + chunk], keys).min(dim=1).values
            for a in range(0, len(queries), chunk)]
    return (torch.cat(best) / queries.shape[1] ** 0.5).mean().item()


def structure(result: torch.Tensor, paste: torch.Tensor, mask: torch.Tensor) -> float:
    """Correlation inside the mask between the gradient magnitudes of result and paste."""
    inside = mask.flatten() > 0.5
    # a correlation: the magnitudes' scale (0-255 or [-1, 1]) does not matter
    a = edge_magnitude(result.clamp(-1, 1), eps=0).flatten()[inside]
    b = edge_magnitude(paste.clamp(-1, 1), eps=0).flatten()[inside]
    a, b = a - a.mean(), b - b.mean()
    return (a @ b / (a.norm() * b.norm()).clamp(min=1e-8)).item()


def pairs(folder: Path, editing: bool) -> list[tuple[str, Path, Path, Path]]:
    """(name, background, input, mask) for every input in `folder`."""
    pattern = "*_edit_[0-9].png" if editing else "*_naive*.jpg"
    found = []
    for inp in sorted(folder.glob(pattern)):
        if inp.stem.endswith("_mask"):
            continue
        name = inp.stem.split("_edit_")[0] if editing else inp.stem.split("_naive")[0]
        background = next(p for p in (folder / f"{name}.jpg", folder / f"{name}.png") if p.exists())
        found.append((name, background, inp, inp.with_name(f"{inp.stem}_mask{inp.suffix}")))
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--models", type=Path, default=None)
    parser.add_argument("--edit", action="store_true", help="score the Editing pairs")
    parser.add_argument("--sheet", type=Path, default=None, help="write paste | result rows here")
    parser.add_argument("--finetune", type=int, default=HARMONIZE_FINETUNE_ITERS,
                        help="harmonize's fine-tune iterations (default: singan harmonize's)")
    parser.add_argument("--vote", type=float, default=HARMONIZE_VOTE_SHARE,
                        help="harmonize's nearest-patch vote share (default: singan harmonize's)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    rows, sheet = [], []
    for name, background_path, input_path, mask_path in pairs(args.folder, args.edit):
        background = load_image(background_path, SIZE)
        size = tuple(background.shape[-2:])
        paste = resize(load_image(input_path), size).clamp(-1, 1)
        mask = load_mask(mask_path, size)
        row = {"pair": input_path.stem, "naive": (style(paste, background, mask), 1.0)}
        model_dir = args.models / name if args.models else None
        fine_tunes = not args.edit and args.finetune > 0
        model = (load_model(model_dir, with_discriminators=fine_tunes, allow_empty=True)
                 if model_dir is not None and model_dir.exists() else None)
        if model is not None and model.complete:  # a training still under way is skipped
            started = time.perf_counter()
            if args.edit:
                _, blended = edit(model, paste, mask, edit_start_scale(model), seed=args.seed)
            else:
                _, blended = harmonize(model, paste, mask, harmonize_start_scale(model),
                                       seed=args.seed, finetune_iters=args.finetune,
                                       vote_share=args.vote)
            row["seconds"] = time.perf_counter() - started
            row["singan"] = (style(blended, background, mask), structure(blended, paste, mask))
            sheet += [paste, blended]
        rows.append(row)
    if args.sheet and sheet:
        save_image(image_grid(sheet, columns=4), args.sheet)
    print("| pair | paste style | singan style | singan structure | s |")
    print("|---|---|---|---|---|")
    for row in rows:
        ours = row.get("singan")
        print(f"| {row['pair']} | {row['naive'][0]:.1f} | "
              + (f"{ours[0]:.1f} | {ours[1]:.2f} | {row['seconds']:.1f} |" if ours else "- | - | - |"))


if __name__ == "__main__":
    main()
