"""Large photos at their full size: the windows' BatchNorm statistics against whole-image ones.

    python benchmarks/large_quality.py PHOTO --max-size 1000 --out DIR [--count 4] [--threads 1] \\
        [--config extra.yaml]

Trains `singan train PHOTO --max-size N --seed 0 --out DIR/<stem>` in this process (resumed when
DIR/<stem> holds a partly trained model), saving the running statistics that each windowed scale
gathered from its windows to DIR/<stem>_window_stats.safetensors just before `calibrate_batchnorm`
replaces them. Then scores COUNT samples (seed 0) of the same weights twice, at the model's full
size against the photo at that size with `singan eval`'s measures: with the windows' statistics
(how models were before the calibration) and as trained (whole-image statistics). Writes sample
0 of each as DIR/<stem>_{before,after}.png and prints two markdown rows.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file

from applications.evaluate import score_samples, seeded_samples
from models.checkpoint import load_model
from models.image_io import save_image
from models.trainer import ScaleTrainer
from singan_cli.main import app

COLUMNS = ("swd", "coherence", "completeness", "min_l1", "diversity")


def batchnorm_stats(generator: torch.nn.Module) -> dict[str, torch.Tensor]:
    """The generator's BatchNorm running statistics (its state-dict entries), cloned."""
    return {key: value.clone() for key, value in generator.state_dict().items()
            if "running_" in key or "num_batches_tracked" in key}


def load_window_stats(stats_file: Path) -> dict[int, dict[str, torch.Tensor]]:
    """{scale: its generator's statistics from the windows}, from `stats_file` (or empty)."""
    stats: dict[int, dict[str, torch.Tensor]] = {}
    for name, value in (load_file(stats_file).items() if stats_file.exists() else ()):
        scale, key = name.split("/", 1)
        stats.setdefault(int(scale), {})[key] = value
    return stats


def keep_window_stats(stats_file: Path) -> None:
    """Make every windowed scale save its windows' statistics to `stats_file` before calibrating."""
    calibrate = ScaleTrainer.calibrate_batchnorm

    def save_then_calibrate(trainer: ScaleTrainer, *args: object, **kwargs: object) -> None:
        stats = load_window_stats(stats_file)
        stats[trainer.scale] = batchnorm_stats(trainer.generator)
        save_file({f"{scale}/{key}": value for scale, state in stats.items()
                   for key, value in state.items()}, str(stats_file))
        calibrate(trainer, *args, **kwargs)

    ScaleTrainer.calibrate_batchnorm = save_then_calibrate


def large_photo_parser(doc: str) -> argparse.ArgumentParser:
    """The command line of the large-photo benchmarks: PHOTO --max-size --out --count --threads."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("photo", type=Path)
    parser.add_argument("--max-size", type=int, default=1000)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--count", type=int, default=4)
    parser.add_argument("--threads", type=int, default=0)
    return parser


def train_or_resume(photo: Path, out: Path, max_size: int, threads: int, *flags: str) -> None:
    """`singan train PHOTO --max-size N --seed 0 --out OUT --threads T FLAGS`, with --resume
    when OUT already exists, in this process."""
    args = ["train", str(photo), "--max-size", str(max_size), "--seed", "0", "--out", str(out),
            "--threads", str(threads), *flags]
    app(args=[*args, "--resume"] if out.exists() else args, standalone_mode=False)


def main() -> None:
    parser = large_photo_parser(__doc__)
    parser.add_argument("--config", type=Path, default=None, help="Passed to singan train.")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    model_dir = args.out / args.photo.stem
    stats_file = args.out / f"{args.photo.stem}_window_stats.safetensors"

    keep_window_stats(stats_file)
    config = ["--config", str(args.config)] if args.config else []
    train_or_resume(args.photo, model_dir, args.max_size, args.threads, *config)

    model = load_model(model_dir)
    real = model.reals()[model.num_trained - 1]
    window_stats = load_window_stats(stats_file)
    rows = {}
    calibrated = {scale: batchnorm_stats(model.generators[scale]) for scale in window_stats}
    for label, stats in (("before", window_stats), ("after", calibrated)):
        for scale, state in stats.items():
            model.generators[scale].load_state_dict(state, strict=False)
        samples = seeded_samples(model, args.count)
        save_image(samples[0], args.out / f"{args.photo.stem}_{label}.png")
        rows[label] = score_samples(samples, real)

    size = "x".join(str(n) for n in real.shape[:1:-1])
    print(f"| {args.photo.name} at {size} (windowed scales {sorted(window_stats)}) | "
          + " | ".join(COLUMNS) + " |")
    print("|---" * (len(COLUMNS) + 1) + "|")
    for label, scores in rows.items():
        print(f"| {label} | " + " | ".join(f"{scores[c]:.2f}" for c in COLUMNS) + " |")


if __name__ == "__main__":
    main()
