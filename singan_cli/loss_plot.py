"""Loss curves of a model directory's train_log.csv, drawn with Pillow (no plotting library).

    log = read_train_log(Path("model/train_log.csv"))
    draw_loss_plot(log, title="model/").save("loss.png")   # PLOT_SIZE, RGB

One panel per loss (d, g_adv, rec), stacked; inside a panel every scale gets a segment of the
same width (coarsest on the left), so a short fine scale is as readable as a long coarse one, and
the curve of each scale shows whether it flattened out before the next began.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from models.errors import ModelDirError

PLOT_SIZE = (960, 720)  # width, height of the PNG
_SS = 2  # drawn at twice the size, then downsampled: Pillow's lines are not antialiased
COLOURS = [(31, 119, 180), (214, 39, 40), (44, 160, 44), (148, 103, 189), (140, 86, 75)]


@dataclass
class TrainLog:
    """Rows of train_log.csv: one (iteration, values) list per scale, values in `losses` order."""

    losses: tuple[str, ...]
    scales: dict[int, list[tuple[int, tuple[float, ...]]]]


def read_train_log(path: Path) -> TrainLog:
    """Parse `scale,iteration,<loss>,...` rows; a missing or malformed file is a ModelDirError."""
    try:
        with open(path, newline="", encoding="utf-8") as f:
            rows = list(csv.reader(f))
    except FileNotFoundError:
        raise ModelDirError(f"{path}: no loss log (models trained before it was written have "
                            f"none); train the model again to get one") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ModelDirError(f"{path}: cannot read the loss log ({exc})") from None
    if not rows or rows[0][:2] != ["scale", "iteration"] or len(rows[0]) < 3:
        raise ModelDirError(f"{path}: not a loss log (the first line must be "
                            f"'scale,iteration,<loss names>')")
    losses = tuple(rows[0][2:])
    scales: dict[int, list[tuple[int, tuple[float, ...]]]] = {}
    for number, row in enumerate(rows[1:], start=2):
        try:
            if len(row) != len(losses) + 2:
                raise ValueError
            scale, iteration = int(row[0]), int(row[1])
            values = tuple(float(v) for v in row[2:])
        except ValueError:
            raise ModelDirError(f"{path}: line {number} is not 'scale,iteration,"
                                f"{','.join(losses)}' numbers; the file is damaged") from None
        scales.setdefault(scale, []).append((iteration, values))
    if not scales:
        raise ModelDirError(f"{path}: the loss log has no rows yet (no scale finished)")
    return TrainLog(losses, dict(sorted(scales.items())))


def _limits(values: list[float]) -> tuple[float, float]:
    """y range of a panel: all values, widened by 8%; but when a few spikes make the range more
    than 4 times that of the 1st to 99th percentile, that percentile range (the spikes would
    flatten every other curve; they are drawn on the frame and counted above the panel)."""
    ordered = sorted(values)
    low, high = ordered[0], ordered[-1]
    p1 = ordered[int(0.01 * (len(ordered) - 1))]
    p99 = ordered[math.ceil(0.99 * (len(ordered) - 1))]
    if high - low > 4 * (p99 - p1):
        low, high = p1, p99
    pad = (high - low) * 0.08 or max(abs(high) * 0.1, 1e-3)
    return low - pad, high + pad


def _ticks(low: float, high: float, count: int = 6) -> list[float]:
    """Round tick values (1, 2 or 5 x 10^k apart) inside [low, high]."""
    raw = (high - low) / count
    step = 10 ** math.floor(math.log10(raw))
    step *= next(m for m in (1, 2, 5, 10) if m * step >= raw)
    first = math.ceil(low / step) * step
    return [first + i * step for i in range(int((high - first) / step) + 1)]


def draw_loss_plot(log: TrainLog, title: str = "") -> Image.Image:
    """The loss curves of `log` as a PLOT_SIZE RGB image (white background)."""
    width, height = PLOT_SIZE[0] * _SS, PLOT_SIZE[1] * _SS
    image = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=12 * _SS)
    big = ImageFont.load_default(size=15 * _SS)
    left, right, top, bottom = 90 * _SS, 16 * _SS, 56 * _SS, 66 * _SS
    gap = 26 * _SS  # between panels: room for each panel's title
    n_panels = len(log.losses)
    panel_h = (height - top - bottom - gap * (n_panels - 1)) // n_panels
    scales = list(log.scales)
    segment = (width - left - right) / len(scales)
    draw.text((left, 12 * _SS), f"training losses per scale{': ' + title if title else ''}",
              fill="black", font=big)

    for p, name in enumerate(log.losses):
        y0 = top + p * (panel_h + gap)
        y1 = y0 + panel_h
        values = [v[p] for rows in log.scales.values() for _, v in rows if math.isfinite(v[p])]
        low, high = _limits(values) if values else (0.0, 1.0)
        outside = sum(not low <= v <= high for v in values)

        def to_y(v: float, y0: int = y0, y1: int = y1, low: float = low, high: float = high) -> float:
            return y1 - (min(max(v, low), high) - low) / (high - low) * (y1 - y0)

        for tick in _ticks(low, high):
            y = to_y(tick)
            draw.line([(left, y), (width - right, y)], fill=(228, 228, 228), width=_SS)
            label = f"{tick:.3g}"
            draw.text((left - 6 * _SS, y), label, fill="black", font=font, anchor="rm")
        # the loss name as the y-axis label, rotated
        label = Image.new("RGB", (panel_h, 20 * _SS), "white")
        ImageDraw.Draw(label).text((panel_h // 2, 10 * _SS), f"loss {name}", fill="black",
                                   font=big, anchor="mm")
        image.paste(label.rotate(90, expand=True), (4 * _SS, y0))
        if outside:
            points = "1 point" if outside == 1 else f"{outside} points"
            draw.text((left, y0 - 4 * _SS), f"{points} of {name} beyond the axis, drawn on its "
                      f"edge", fill="black", font=font, anchor="lb")

        colour = COLOURS[p % len(COLOURS)]
        for i, scale in enumerate(scales):
            x0 = left + i * segment
            rows = log.scales[scale]
            last = max(it for it, _ in rows) or 1
            if i:  # scale boundary
                draw.line([(x0, y0), (x0, y1)], fill=(150, 150, 150), width=_SS)
            run: list[tuple[float, float]] = []
            for it, v in rows + [(0, (math.nan,) * len(log.losses))]:  # sentinel ends the run
                if math.isfinite(v[p]):
                    run.append((x0 + it / last * (segment - 4 * _SS), to_y(v[p])))
                    continue
                if len(run) > 1:
                    draw.line(run, fill=colour, width=2 * _SS, joint="curve")
                elif run:
                    draw.ellipse([run[0][0] - 2 * _SS, run[0][1] - 2 * _SS,
                                  run[0][0] + 2 * _SS, run[0][1] + 2 * _SS], fill=colour)
                run = []
            if p == n_panels - 1:  # x-axis labels under the last panel
                draw.text((x0 + segment / 2, y1 + 5 * _SS), f"scale {scale}", fill="black", font=font,
                          anchor="mt")
                draw.text((x0 + segment / 2, y1 + 21 * _SS), f"{last} it.", fill=(110, 110, 110),
                          font=font, anchor="mt")
        draw.rectangle([left, y0, width - right, y1], outline="black", width=_SS)

    draw.text(((left + width - right) / 2, height - 8 * _SS),
              "scale (0 = coarsest) and its iterations: each scale's segment runs from iteration 0 "
              "to its last", fill="black", font=font, anchor="mb")
    return image.resize(PLOT_SIZE, Image.Resampling.LANCZOS)
