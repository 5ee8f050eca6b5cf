"""Train a model per photo and score its samples with `singan eval`: one markdown table.

    python benchmarks/generation_quality.py ../shared/data/Generation/*.jpg ... \\
        --out /tmp/genq [--preset default] [--config extra.yaml] [--jobs 2] [--count 16] \\
        [--seed 0] [--training-free | --patch-scales 6]

Each photo is trained with `singan train PHOTO --out OUT/<stem> --force` (the preset, the
optional config file and, with --seed, that seed), timed, then scored with `singan eval -n COUNT
--json`. With --jobs 2 two trainings run side by side with one thread each (train times are
then those of a shared machine; use --jobs 1 for the idle-machine time). A model that already
has its eval JSON is not trained again (delete OUT/<stem>.json to redo it), so an interrupted
run can be continued.
With --training-free nothing is trained: `singan eval PHOTO` scores the photo's training-free
samples (models/patch_match.py), and the time column is the seconds per sample (scoring
included). With --patch-scales N the models already trained in OUT (by a run without it) are
scored as `singan eval MODEL --patch-scales N` (into OUT/<stem>.patchN.json; the time column
is then their training's). Prints one row per photo (train seconds, swd, coherence, completeness, min l1,
copies, diversity) and the mean row.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

COLUMNS = ("swd", "coherence", "completeness", "min_l1", "copies", "diversity")
SINGAN = [sys.executable, "-m", "singan_cli"]


def run_one(photo: Path, args: argparse.Namespace, threads: int) -> dict:
    """Train and evaluate one photo (or reuse a finished result); returns its scores."""
    model = args.out / photo.stem
    if result_path(args, photo).exists():
        return json.loads(result_path(args, photo).read_text())
    env = {**os.environ, "OMP_NUM_THREADS": str(threads)}
    if args.training_free:
        return score(photo, photo, args, env, args.out / f"{photo.stem}.log", per_sample=True)
    if args.patch_scales:
        trained = args.out / f"{photo.stem}.json"
        if not trained.exists():
            raise SystemExit(f"{trained}: missing; train the models first (the same command "
                             "without --patch-scales)")
        return score(photo, model, args, env, args.out / f"{photo.stem}.log",
                     seconds=json.loads(trained.read_text())["train_seconds"])
    train = [*SINGAN, "train", str(photo), "--out", str(model), "--force", "--preset", args.preset]
    if args.config:
        train += ["--config", str(args.config)]
    if args.seed is not None:
        train += ["--seed", str(args.seed)]
    started = time.perf_counter()
    log = args.out / f"{photo.stem}.log"
    with open(log, "w") as stream:
        subprocess.run(train, env=env, check=True, stdout=stream, stderr=stream)
    return score(photo, model, args, env, log, seconds=time.perf_counter() - started)


def score(photo: Path, model: Path, args: argparse.Namespace, env: dict[str, str], log: Path,
          seconds: float = 0.0, per_sample: bool = False) -> dict:
    """`singan eval MODEL` (a model directory or the photo itself), its scores kept in
    OUT/<stem>.json with the time: `seconds`, or with per_sample the eval's own per sample."""
    scores_file = args.out / f"{photo.stem}{patch_tag(args)}.eval.json"
    started = time.perf_counter()
    with open(log, "a") as stream:
        subprocess.run([*SINGAN, "eval", str(model), "-n", str(args.count), "--seed", "0",
                        "--patch-scales", str(args.patch_scales),
                        "--json", str(scores_file), "--force"],
                       env=env, check=True, stdout=stream, stderr=stream)
    if per_sample:
        seconds = (time.perf_counter() - started) / args.count
    scores = json.loads(scores_file.read_text())
    scores["train_seconds"] = seconds
    scores["photo"] = photo.name
    result_path(args, photo).write_text(json.dumps(scores, indent=2))
    return scores


def result_path(args: argparse.Namespace, photo: Path) -> Path:
    """OUT/<stem>.json (OUT/<stem>.patchN.json with --patch-scales N): a photo's scores and
    time; a photo that has one is not run again."""
    return args.out / f"{photo.stem}{patch_tag(args)}.json"


def patch_tag(args: argparse.Namespace) -> str:
    """".patchN" in the names of scores made with --patch-scales N, else nothing."""
    return f".patch{args.patch_scales}" if args.patch_scales else ""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("photos", type=Path, nargs="+")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--preset", default="default")
    parser.add_argument("--config", type=Path, default=None)
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--count", type=int, default=16)
    parser.add_argument("--seed", type=int, default=None,
                        help="Train every photo with this seed (without it each training draws "
                        "its own, and one photo's SWD varied 2.4x between seeds): compare a "
                        "change with the same seeds before and after.")
    how = parser.add_mutually_exclusive_group()
    how.add_argument("--training-free", action="store_true",
                     help="Score the photos' training-free samples; nothing is trained.")
    how.add_argument("--patch-scales", type=int, default=0,
                     help="Score the models in OUT with `singan eval --patch-scales N`.")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    # OMP_NUM_THREADS, when set, caps every job (two evaluations sharing the machine)
    threads = int(os.environ.get("OMP_NUM_THREADS") or 0) or max(1, (os.cpu_count() or 1) // args.jobs)
    with ThreadPoolExecutor(args.jobs) as pool:
        rows = list(pool.map(lambda p: run_one(p, args, threads), args.photos))

    time_column = "s per sample" if args.training_free else "train s"
    print(f"| photo | {time_column} | {' | '.join(COLUMNS)} |")
    print("|---" * (len(COLUMNS) + 2) + "|")
    for row in rows:
        values = " | ".join(f"{row[c]:.2f}" for c in COLUMNS)
        print(f"| {row['photo']} | {row['train_seconds']:.0f} | {values} |")
    means = " | ".join(f"{sum(r[c] for r in rows) / len(rows):.2f}" for c in COLUMNS)
    mean_time = sum(r["train_seconds"] for r in rows) / len(rows)
    print(f"| **mean** | {mean_time:.0f} | {means} |")


if __name__ == "__main__":
    main()
