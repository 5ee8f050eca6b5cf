"""SR quality: downscale photos by 4, run SinGAN SR x4 and bicubic x4, compare to the original.

    python benchmarks/sr_quality.py photo1.jpg photo2.png ... [--iters 1000 --iters-finest 200]

Prints per photo: PSNR (dB, on 0-255 RGB) against the original and the variance of the Laplacian
of the gray image (sharpness; the original's is shown for reference). Originals larger than
--max-size (1000) are first capped; the low-resolution input is the original downscaled by
--factor, and the SR model is trained on it with the default preset (and --iters*).
"""

from __future__ import annotations

import argparse
import math
import time
from pathlib import Path

import torch
import torch.nn.functional as F

from applications.super_resolution import DEFAULT_DETAIL, sr_config, super_resolve
from models.config import resolve_config
from models.geometry import resize
from models.image_io import load_image
from models.trainer import train


def psnr(a: torch.Tensor, b: torch.Tensor) -> float:
    mse = F.mse_loss((a.clamp(-1, 1) + 1) * 127.5, (b.clamp(-1, 1) + 1) * 127.5).item()
    return 10 * math.log10(255 ** 2 / mse)


def laplacian_variance(image: torch.Tensor) -> float:
    gray = ((image.clamp(-1, 1) + 1) * 127.5).mean(dim=1, keepdim=True)
    kernel = torch.tensor([[0.0, 1, 0], [1, -4, 1], [0, 1, 0]]).view(1, 1, 3, 3)
    return F.conv2d(gray, kernel).var().item()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("photos", nargs="+", type=Path)
    parser.add_argument("--factor", type=float, default=4.0)
    parser.add_argument("--max-size", type=int, default=1000)
    parser.add_argument("--detail", type=float, default=DEFAULT_DETAIL)
    parser.add_argument("--iters", type=int)
    parser.add_argument("--iters-finest", type=int)
    args = parser.parse_args()
    overrides = {"iters": args.iters, "iters_finest": args.iters_finest, "device": "cpu"}
    print(f"{'photo':24} {'PSNR bicubic':>12} {'PSNR singan':>12} {'LapVar orig':>11} "
          f"{'LapVar bic':>10} {'LapVar sg':>10} {'train s':>8}")
    for photo in args.photos:
        original = load_image(photo, args.max_size)
        h, w = original.shape[-2:]
        low = resize(original, (round(h / args.factor), round(w / args.factor))).clamp(-1, 1)
        low = torch.round((low + 1) * 127.5) / 127.5 - 1  # as if saved to 8-bit PNG
        config = sr_config(resolve_config("default", overrides=overrides), tuple(low.shape[-2:]))
        started = time.perf_counter()
        model = train(low, config)
        seconds = time.perf_counter() - started
        big = super_resolve(model, args.factor, seed=0, detail=args.detail)
        big = resize(big, (h, w)) if tuple(big.shape[-2:]) != (h, w) else big
        bicubic = resize(low, (h, w)).clamp(-1, 1)
        print(f"{photo.name:24} {psnr(bicubic, original):12.2f} {psnr(big, original):12.2f} "
              f"{laplacian_variance(original):11.1f} {laplacian_variance(bicubic):10.1f} "
              f"{laplacian_variance(big):10.1f} {seconds:8.1f}", flush=True)


if __name__ == "__main__":
    main()
