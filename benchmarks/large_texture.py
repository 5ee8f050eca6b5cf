"""Large photos at their full size: the windowed scales' gradient penalty, 0.1 against the default.

    python benchmarks/large_texture.py PHOTO --max-size 1000 --out DIR [--count 4] [--threads 1]

Trains `singan train PHOTO --max-size N --seed 0 --gp-weight-windowed 0.1` into DIR/<stem>_gp0.1
(the weight every scale trained with before gp_weight_windowed existed), then copies its
whole-image scales into DIR/<stem> and resumes there with the default preset, so that only the
windowed scales train again, from the same per-scale seeds. Both are resumed when partly
trained. For each it prints, per windowed scale, the generator's noise gain (how much its
output moves per unit of extra input noise, whole image; a generator that amplifies its noise
into a texture scores well above 1), and `singan eval`'s measures of COUNT samples (seed 0) at
the model's full size against the photo at that size. Writes sample 0 of each as
DIR/<stem>_gp<weight>.png.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import torch
from large_quality import COLUMNS, large_photo_parser, train_or_resume  # the sibling benchmark

from applications.evaluate import score_samples, seeded_samples
from models.checkpoint import load_model, save_model, saved_scale_count
from models.config import resolve_config
from models.geometry import resize
from models.image_io import save_image
from models.singan import SinGAN
from models.windows import window_size

OLD_WEIGHT = 0.1


def windowed_scales(model: SinGAN) -> list[int]:
    return [n for n, size in enumerate(model.geometry.sizes)
            if window_size(size, model.config.crop_size) is not None]


@torch.no_grad()
def noise_gain(model: SinGAN, scale: int, seed: int = 0) -> float:
    """std(G(x + a (z + z')) - G(x + a z)) / a at `scale` over the whole image, x a sample of the
    coarser scales upsampled, a the scale's noise amplitude, z and z' standard normal."""
    noise = model.draw_noise(seed=seed)
    prev = resize(model.generate(noise=noise, stop_scale=scale - 1), model.geometry.sizes[scale])
    extra = torch.randn(prev.shape, generator=torch.Generator().manual_seed(seed))
    amp, generator = model.noise_amps[scale], model.generators[scale]
    moved = generator(amp * (noise[scale] + extra), prev) - generator(amp * noise[scale], prev)
    return float(moved.std()) / amp


def first_scales(source: Path, target: Path, count: int, **changes: object) -> None:
    """Write the first `count` scales of the model in `source` to `target`, its training record
    changed by `changes`, for `singan train --resume` to finish."""
    model = load_model(source, with_discriminators=True)
    for scales in (model.generators, model.discriminators, model.noise_amps, model.train_seconds):
        del scales[count:]
    model.config = dataclasses.replace(model.config, **changes)
    save_model(model, target)


def main() -> None:
    args = large_photo_parser(__doc__).parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    old_dir, new_dir = args.out / f"{args.photo.stem}_gp{OLD_WEIGHT}", args.out / args.photo.stem

    train_or_resume(args.photo, old_dir, args.max_size, args.threads, "--gp-weight-windowed", str(OLD_WEIGHT))
    old = load_model(old_dir)
    windowed = windowed_scales(old)
    default = resolve_config("default").gp_weight_windowed
    if not windowed:
        raise SystemExit(f"{args.photo}: no scale trains on windows at --max-size {args.max_size}")
    if saved_scale_count(new_dir) == 0:
        first_scales(old_dir, new_dir, windowed[0], gp_weight_windowed=default)
    train_or_resume(args.photo, new_dir, args.max_size, args.threads)

    size = "x".join(str(n) for n in old.geometry.sizes[-1][::-1])
    print(f"| {args.photo.name} at {size} | noise gain at scales {windowed} | "
          + " | ".join(COLUMNS) + " |")
    print("|---" * (len(COLUMNS) + 2) + "|")
    for weight, directory in ((OLD_WEIGHT, old_dir), (default, new_dir)):
        model = load_model(directory)
        gains = " / ".join(f"{noise_gain(model, n):.2f}" for n in windowed)
        samples = seeded_samples(model, args.count)
        save_image(samples[0], args.out / f"{args.photo.stem}_gp{weight}.png")
        scores = score_samples(samples, model.reals()[-1])
        print(f"| gp_weight_windowed {weight} | {gains} | "
              + " | ".join(f"{scores[c]:.2f}" for c in COLUMNS) + " |", flush=True)


if __name__ == "__main__":
    main()
