"""Which device a model runs on, and whether training there uses bf16.

    device = resolve_device("auto")                  # cuda, then mps, then cpu
    dtype = autocast_dtype("auto", device)           # torch.bfloat16 or None (fp32)

bf16 pays only where the hardware computes it natively: a CPU with AMX or AVX512-BF16, a CUDA
GPU of compute capability 8.0 or newer (Ampere). Elsewhere torch emulates it, slower than fp32
(torch.cuda.is_bf16_supported() counts emulation, and oneDNN accepts any AVX-512 CPU), so
"auto" decides from the instruction flags and the compute capability instead.
"""

from __future__ import annotations

from pathlib import Path

import torch

from models.errors import Fix, UsageError

NATIVE_BF16_CPU_FLAGS = frozenset({"avx512_bf16", "amx_bf16"})
NATIVE_BF16_CUDA_CAPABILITY = (8, 0)


def resolve_device(name: str) -> torch.device:
    """'auto' -> cuda, then mps, then cpu; a named device that is missing is a UsageError."""
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise UsageError("no CUDA GPU is available here", fix=Fix.DEVICE, device=name)
    if name == "mps" and not torch.backends.mps.is_available():
        raise UsageError("Apple MPS is not available here", fix=Fix.DEVICE, device=name)
    return torch.device(name)


def cpu_flags(cpuinfo: Path = Path("/proc/cpuinfo")) -> frozenset[str]:
    """The instruction-set flags of this CPU (Linux's /proc/cpuinfo); empty where unknown."""
    try:
        for line in cpuinfo.read_text(encoding="ascii", errors="replace").splitlines():
            if line.startswith(("flags", "Features")):
                return frozenset(line.partition(":")[2].split())
    except OSError:
        pass
    return frozenset()


def native_bf16(device: torch.device, flags: frozenset[str] | None = None,
                capability: tuple[int, int] | None = None) -> bool:
    """Whether `device` computes bf16 natively (not emulated).

    Args:
        flags: the CPU's flags (default: this machine's, from cpu_flags()).
        capability: the CUDA device's (major, minor) (default: asked from torch).
    """
    if device.type == "cpu":
        return bool(NATIVE_BF16_CPU_FLAGS & (cpu_flags() if flags is None else flags))
    if device.type == "cuda":
        capability = torch.cuda.get_device_capability(device) if capability is None else capability
        return tuple(capability) >= NATIVE_BF16_CUDA_CAPABILITY
    return False


def autocast_dtype(precision: str, device: torch.device) -> torch.dtype | None:
    """The training autocast dtype for the config's `precision`: bf16 when asked for, or for
    "auto" where the device computes bf16 natively; None means fp32."""
    if precision == "fp32":
        return None
    if precision == "bf16" or native_bf16(device):
        return torch.bfloat16
    return None
