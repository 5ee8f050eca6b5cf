"""Will a training fit in memory? The peak estimate, and the check made before training starts.

    check_memory(new_model(image, config))    # UsageError naming the largest size that fits

On the CPU the budget is the memory the system has available (/proc/meminfo); on a CUDA GPU the
device's free memory (torch.cuda.mem_get_info). Elsewhere (MPS) nothing is checked.
"""

from __future__ import annotations

import math
from pathlib import Path

import torch

from models.config import TrainConfig
from models.errors import Fix, UsageError
from models.singan import SinGAN
from models.windows import FAKE_POOL, window_size

TORCH_BASE_BYTES = 400_000_000  # torch, the pyramid and the coarser generators


def available_memory_bytes() -> int | None:
    """MemAvailable from /proc/meminfo (Linux), else None (no check)."""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def free_gpu_memory_bytes(device: torch.device) -> int | None:
    """Free memory of a CUDA device, None where torch cannot say."""
    try:
        free, _total = torch.cuda.mem_get_info(device)
    except (RuntimeError, AssertionError):
        return None
    return int(free)


def memory_budget(device: torch.device) -> tuple[int | None, str]:
    """(bytes a training may use on `device`, what they are called); None: unknown, no check."""
    if device.type == "cpu":
        return available_memory_bytes(), "available"
    if device.type == "cuda":
        return free_gpu_memory_bytes(device), f"free on {device}"
    return None, ""


def estimate_training_bytes(model: SinGAN) -> int:
    """Peak memory of training the finest scale, from its size, window and width.

    One forward pass keeps num_layers x 3 tensors (conv, norm, activation) of channels x h x w
    floats; a training step holds about 6 passes' worth at its peak (the D steps keep the graph
    of the fake the first G step trains through), over the window when the scale trains on
    windows. Drawing a random coarser image (no gradients) holds about 3 tensors of the whole
    scale; a windowed scale also keeps its pool of FAKE_POOL whole-size images. It is set to
    overestimate measured peaks a little (docs/benchmarks.md).
    """
    h, w = model.geometry.sizes[-1]
    return _training_bytes(model.config, (h, w), model.config.channels_at(model.geometry.num_scales - 1))


def _training_bytes(cfg: TrainConfig, size: tuple[int, int], channels: int) -> int:
    h, w = size
    window = window_size((h, w), cfg.crop_size)
    wh, ww = window or (h, w)
    pad = 2 * cfg.num_layers * (cfg.kernel_size // 2)
    per_pass = cfg.num_layers * 3 * channels * (wh + pad) * (ww + pad) * 4
    drawing = 3 * channels * (h + pad) * (w + pad) * 4
    pool = FAKE_POOL * 3 * h * w * 4 if window is not None else 0
    return 6 * per_pass + drawing + pool + TORCH_BASE_BYTES


def check_memory(model: SinGAN, available: int | None = None) -> None:
    """Refuse a training size whose training will not fit in the device's memory.

    Raises UsageError with fix Fix.MAX_SIZE and the fact `fits` (the largest longer side that
    fits, never below what min_size allows), or Fix.MIN_SIZE when even that does not fit.
    `available`: the budget in bytes (default: measured on the model's device).
    """
    where = "available"
    if available is None:
        available, where = memory_budget(model.device)
    need = estimate_training_bytes(model)
    if available is None or need <= available:
        return
    h, w = model.geometry.sizes[-1]
    config = model.config
    channels = config.channels_at(model.geometry.num_scales - 1)

    def need_at(longest: int) -> int:
        return _training_bytes(config, (max(1, round(h * longest / max(h, w))),
                                        max(1, round(w * longest / max(h, w)))), channels)

    lowest = math.ceil(config.min_size * max(h, w) / min(h, w))
    fits = max(h, w)
    while fits > lowest and need_at(fits) > available:
        fits = max(lowest, fits - max(1, fits // 50))
    message = (f"training at max_size {max(h, w)} needs about {need / 2**30:.1f} GiB but "
               f"{available / 2**30:.1f} GiB are {where}")
    if need_at(fits) > available:
        raise UsageError(f"{message}; even the smallest size min_size {config.min_size} allows "
                         f"does not fit", fix=Fix.MIN_SIZE, min_size=config.min_size)
    raise UsageError(message, fix=Fix.MAX_SIZE, fits=fits)
