"""Make the README's figures from the demo model with the `singan` commands, as a user would.

    python docs/make_figures.py demo/model [--sr]     # after `make demo`; writes docs/*.png/gif
    python docs/make_figures.py --large model_1000/    # docs/large_samples.jpg only
    python docs/make_figures.py --hatching BEFORE/ AFTER/ [--box T,L,H,W]  # docs/large_sky_hatching.jpg
    python docs/make_figures.py --versus MODELS/ a.jpg b.png   # docs/training_free_vs_trained.jpg
    python docs/make_figures.py --patch-scales MODELS/ a.jpg   # docs/patch_scales.jpg

Inputs for paint2image, harmonize and edit are made here from the training photo itself (a
palette painting, a recoloured paste, a moved block), so nothing outside the project is needed.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import torch

from applications.palette import kmeans_palette, quantize
from models.checkpoint import load_model
from models.geometry import resize
from models.image_io import image_grid, load_image, save_image

DOCS = Path(__file__).parent


def singan(*args: object) -> list[Path]:
    """Run the CLI; return the paths it printed."""
    result = subprocess.run([sys.executable, "-m", "singan_cli", *map(str, args)], check=True,
                            capture_output=True, text=True)
    return [Path(line) for line in result.stdout.split()]


def sheet(paths: list[Path | torch.Tensor], out: Path) -> None:
    images = [p if isinstance(p, torch.Tensor) else load_image(p) for p in paths]
    save_image(image_grid(images), out)
    print(out)


def side_by_side(images: list[Any], gap: int = 0) -> Any:
    """PIL images of one size in a row, `gap` white px between them."""
    from PIL import Image

    w, h = images[0].size
    row = Image.new("RGB", (len(images) * (w + gap) - gap, h), "white")
    for i, image in enumerate(images):
        row.paste(image, (i * (w + gap), 0))
    return row


def large_sheet(model_dir: Path) -> None:
    """Samples 0 and 1 of seed 0 at the model's full size side by side, in one JPEG (a PNG of
    two 1000 px images would be megabytes). The photo itself is left out: the large test photos
    are not ours to commit."""
    from PIL import Image

    with tempfile.TemporaryDirectory() as tmp_name:
        samples = singan("sample", model_dir, "-n", 2, "--seed", 0, "--out", Path(tmp_name) / "s")
        out = DOCS / "large_samples.jpg"
        side_by_side([Image.open(p).convert("RGB") for p in samples]).save(out, quality=90)
        print(out)


def crop_pair(before: Path, after: Path, box: tuple[int, int, int, int], out: Path) -> None:
    """Sample 0 (seed 0) of two models of the same photo, the same box (top, left, height, width,
    in px of the full size) cut from each and shown side by side at 2x, nearest neighbour, so
    that a pixel-scale texture stays visible."""
    from PIL import Image

    top, left, height, width = box
    with tempfile.TemporaryDirectory() as tmp_name:
        crops = []
        for i, model in enumerate((before, after)):
            sample = singan("sample", model, "-n", 1, "--seed", 0, "--out", Path(tmp_name) / str(i))
            crop = Image.open(sample[0]).convert("RGB").crop((left, top, left + width, top + height))
            crops.append(crop.resize((2 * width, 2 * height), Image.Resampling.NEAREST))
        side_by_side(crops, gap=8).save(out, quality=92)
        print(out)


PATCH_SCALES = 6  # the README's advice for a default 250 px model


def versus_sheet(models: Path, photos: list[Path], patch_scales: int = 0) -> None:
    """One row per photo: the photo, two samples of its trained model MODELS/<stem> and two
    more (seed 0 each), at the model's size: training-free samples of the photo, or with
    `patch_scales` the model's samples with that many patch-matched coarsest scales."""
    rows = []
    with tempfile.TemporaryDirectory() as tmp_name:
        for photo in photos:
            out = Path(tmp_name) / photo.stem
            model = models / photo.stem
            trained = singan("sample", model, "-n", 2, "--seed", 0, "--out", out / "t")
            if patch_scales:
                other = singan("sample", model, "-n", 2, "--seed", 0, "--patch-scales",
                               patch_scales, "--out", out / "p")
            else:
                other = singan("sample", photo, "-n", 2, "--seed", 0, "--out", out / "f")
            rows.append([load_image(path) for path in (model / "image.png", *trained, *other)])
        width = max(row[0].shape[-1] for row in rows)
        images = []
        for row in rows:  # each row scaled to one width, so that photos of any aspect line up
            for image in row:
                h, w = image.shape[-2:]
                images.append(resize(image, (round(h * width / w), width)).clamp(-1, 1))
        out = DOCS / ("patch_scales.jpg" if patch_scales else "training_free_vs_trained.jpg")
        save_image(image_grid(images, columns=5), out)
        print(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model", type=Path, nargs="?")
    parser.add_argument("--sr", action="store_true", help="also train an SR model (minutes)")
    parser.add_argument("--large", type=Path, help="a 1000 px model: two samples at full size, "
                        "side by side, as docs/large_samples.jpg")
    parser.add_argument("--versus", type=Path, nargs="+", metavar="MODELS PHOTO",
                        help="a folder of trained models MODELS/<photo stem>, then the photos: "
                        "trained and training-free samples side by side, as "
                        "docs/training_free_vs_trained.jpg")
    parser.add_argument("--patch-scales", type=Path, nargs="+", metavar="MODELS PHOTO",
                        help="as --versus, the right pair drawn by the trained models with "
                        f"--patch-scales {PATCH_SCALES}, as docs/patch_scales.jpg")
    parser.add_argument("--hatching", type=Path, nargs=2, metavar=("BEFORE", "AFTER"),
                        help="two large models of one photo: the same crop of sample 0 at 2x, "
                        "side by side, as docs/large_sky_hatching.jpg")
    parser.add_argument("--box", default="0,0,200,420", help="TOP,LEFT,HEIGHT,WIDTH of --hatching")
    args = parser.parse_args()
    if args.hatching:
        box = tuple(int(v) for v in args.box.split(","))
        crop_pair(*args.hatching, box, DOCS / "large_sky_hatching.jpg")  # type: ignore[arg-type]
    if args.versus:
        versus_sheet(args.versus[0], args.versus[1:])
    if args.patch_scales:
        versus_sheet(args.patch_scales[0], args.patch_scales[1:], PATCH_SCALES)
    if args.large:
        large_sheet(args.large)
    if args.model is None:
        return
    model = load_model(args.model)
    real = model.image
    h, w = real.shape[-2:]
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        samples = singan("sample", args.model, "-n", 4, "--seed", 0, "--out", tmp / "s")
        sheet([args.model / "image.png", *samples], DOCS / "demo_samples.png")
        wide = singan("sample", args.model, "-n", 1, "--seed", 1, "--scale-h", 2, "--out", tmp / "w")
        sheet(wide, DOCS / "sample_wide.png")

        # paint2image: the photo as a coarse 4-colour painting
        coarse = resize(resize(real, (h // 8, w // 8)), (h, w))
        painting = quantize(coarse, kmeans_palette(real, 4))
        save_image(painting, tmp / "painting.png")
        painted = singan("paint2image", args.model, tmp / "painting.png", "--out", tmp / "p.png",
                         "--seed", 0)
        sheet([tmp / "painting.png", *painted], DOCS / "paint2image.png")

        # harmonize: a block of the photo pasted elsewhere with its colours shifted
        pasted = real.clone()
        bh, bw = h // 3, w // 8
        block = real[..., h // 2: h // 2 + bh, 0: bw]  # the lattice tower on the left edge
        top, left = h // 6, (w * 5) // 8
        pasted[..., top: top + bh, left: left + bw] = (block * 0.7 + torch.tensor(
            [0.45, 0.1, -0.35]).view(1, 3, 1, 1)).clamp(-1, 1)  # tinted orange: not dusk light
        mask = np.zeros((h, w), dtype=np.uint8)
        mask[top: top + bh, left: left + bw] = 255
        save_image(pasted, tmp / "pasted.png")
        save_image(np.repeat(mask[..., None], 3, axis=2), tmp / "mask.png")
        harmonized = singan("harmonize", args.model, tmp / "pasted.png", "--mask", tmp / "mask.png",
                            "--out", tmp / "h.png", "--seed", 0)
        sheet([tmp / "pasted.png", tmp / "mask.png", *harmonized], DOCS / "harmonize.png")

        # edit: a block moved, leaving hard seams
        edited = real.clone()
        edited[..., top: top + bh, left: left + bw] = block  # the tower copied, hard seams
        save_image(edited, tmp / "edited.png")
        edit_out = singan("edit", args.model, tmp / "edited.png", "--mask", tmp / "mask.png",
                          "--out", tmp / "e.png", "--seed", 0)
        sheet([tmp / "edited.png", *edit_out], DOCS / "edit.png")

        gif = singan("animate", args.model, "--out", DOCS / "animation.gif", "--frames", 30,
                     "--fps", 10, "--seed", 0, "--force")
        print(*gif)

        if args.sr:  # the photo at half size, enlarged 2x: bicubic | singan sr | the original
            low = resize(real, (h // 2, w // 2)).clamp(-1, 1)
            save_image(low, tmp / "low.png")
            (big,) = singan("sr", tmp / "low.png", "--factor", 2, "--out", tmp / "sr.png",
                            "--seed", 0)
            bicubic = resize(load_image(tmp / "low.png"), tuple(load_image(big).shape[-2:])).clamp(-1, 1)
            sheet([bicubic, big, real], DOCS / "sr.png")


if __name__ == "__main__":
    main()
