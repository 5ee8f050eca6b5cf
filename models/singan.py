"""The trained pyramid and the one generation walk every application uses.

    model = load_model(Path("model/"))
    images = model.generate(start_scale=0, noise=model.draw_noise(seed=1))   # 1x3xHxW in ~[-1, 1]
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch

from models.config import TrainConfig
from models.errors import Fix, UsageError
from models.geometry import Geometry, build_pyramid, resize
from models.networks import Discriminator, Generator
from models.seeds import Purpose, seeded_generator

Size = tuple[int, int]


@dataclass
class SinGAN:
    """A (possibly partly) trained pyramid. Index 0 is the coarsest scale everywhere.

    Attributes:
        config: the training config.
        geometry: sizes of all scales planned for this image (trained or not).
        image: the training image as used, 1x3xHxW in [-1, 1] (H, W) = geometry.sizes[-1].
        generators: one frozen generator per *finished* scale, in eval mode.
        noise_amps: sigma_n per finished scale.
        z_rec: the fixed reconstruction noise at the coarsest scale, 1x3xh0xw0.
        discriminators: per finished scale, kept for fine-tuning (may be empty).
        train_seconds: wall time per finished scale.
        config_problem: None when `config` is the config the model was trained with; else why
            not (a later version's training record this version does not fully understand:
            `config` then holds the keys it does, defaults for the rest; sampling is unaffected).
    """

    config: TrainConfig
    geometry: Geometry
    image: torch.Tensor
    generators: list[Generator] = field(default_factory=list)
    noise_amps: list[float] = field(default_factory=list)
    z_rec: torch.Tensor | None = None
    discriminators: list[Discriminator] = field(default_factory=list)
    train_seconds: list[float] = field(default_factory=list)
    config_problem: str | None = None

    @property
    def num_trained(self) -> int:
        return len(self.generators)

    @property
    def complete(self) -> bool:
        return self.num_trained == self.geometry.num_scales

    @property
    def device(self) -> torch.device:
        return self.image.device

    def reals(self) -> list[torch.Tensor]:
        """The training image at every planned scale (1x3xh_nxw_n, [-1, 1])."""
        return build_pyramid(self.image, self.geometry)

    def check_scale(self, scale: int, name: str = "start scale") -> None:
        """Raise UsageError unless `scale` is a trained scale index."""
        if not 0 <= scale < self.num_trained:
            raise UsageError(f"{name} {scale} is out of range: this model has trained scales "
                             f"0..{self.num_trained - 1} (0 = coarsest)", fix=Fix.START_SCALE,
                             num_trained=self.num_trained)

    def draw_noise(self, sizes: list[Size] | None = None, seed: int | None = None,
                   batch: int = 1, index: int = 0, purpose: Purpose = Purpose.SAMPLE,
                   ) -> list[torch.Tensor]:
        """Standard normal noise for every trained scale, Bx3xh_nxw_n, drawn on the CPU so that
        a seed gives the same noise on every device.

        `index` picks output number `index` of a run with this seed: each (seed, purpose, index)
        is an independent stream (models/seeds.py), so seeds 0 and 1 share no image and output i
        of a seed does not depend on how many outputs are drawn. seed None: fresh noise from the
        global RNG.
        """
        sizes = sizes or list(self.geometry.sizes)
        gen = seeded_generator(seed, purpose, index) if seed is not None else None
        return [torch.randn(batch, 3, h, w, generator=gen).to(self.device)
                for h, w in sizes[: self.num_trained]]

    def coarse(self, z: torch.Tensor) -> torch.Tensor:
        """Scale-0 noise as this model uses it: with coarse_noise "gray" (the paper) the first
        channel repeated on all three."""
        return z[:, :1].expand_as(z) if self.config.coarse_noise == "gray" else z

    @torch.no_grad()
    def reconstruct(self, upto: int | None = None) -> torch.Tensor:
        """The reconstruction path (z_rec at the coarsest, zero noise above) up to scale `upto`
        (default: the finest trained). Returns 1x3xh_uptoxw_upto."""
        upto = self.num_trained - 1 if upto is None else upto
        assert self.z_rec is not None
        out = self.generators[0](self.noise_amps[0] * self.z_rec, torch.zeros_like(self.z_rec))
        for n in range(1, upto + 1):
            prev = resize(out, self.geometry.sizes[n])
            out = self.generators[n](torch.zeros_like(prev), prev)
        return out

    @torch.no_grad()
    def generate(self, start_scale: int = 0, init: torch.Tensor | None = None,
                 noise: list[torch.Tensor] | None = None, sizes: list[Size] | None = None,
                 stop_scale: int | None = None, batch: int = 1) -> torch.Tensor:
        """The generation walk: run G_start ... G_stop on (noise, upsampled previous output).

        Args:
            start_scale: first generator to run (0 = coarsest).
            init: image injected as the input ("prev") of `start_scale`, Bx3xhxw in [-1, 1] at any
                size (resized to sizes[start_scale]). None: zeros at scale 0, else the
                reconstruction of scale start_scale - 1 resized to sizes[start_scale].
            noise: per-scale standard normal noise (index = scale) Bx3xh_nxw_n; scaled here by
                noise_amps[n]. None: fresh noise from torch's global RNG.
            sizes: per-scale output sizes (any aspect); default the training geometry.
            stop_scale: last generator to run (default: the finest trained).
            batch: images to make when neither init nor noise fixes the batch size.
        Returns:
            Bx3xHxW at sizes[stop_scale], roughly [-1, 1] (not clamped).
        """
        sizes = sizes or list(self.geometry.sizes)
        stop = self.num_trained - 1 if stop_scale is None else stop_scale
        self.check_scale(start_scale)
        self.check_scale(stop, "stop scale")
        if noise is not None:
            batch = noise[start_scale].shape[0]
        elif init is not None:
            batch = init.shape[0]
        if init is not None:
            prev = resize(init.to(self.device), sizes[start_scale])
        elif start_scale == 0:
            prev = torch.zeros(batch, 3, *sizes[0], device=self.device)
        else:
            prev = resize(self.reconstruct(start_scale - 1), sizes[start_scale])
        prev = prev.expand(batch, -1, -1, -1)
        out = prev
        for n in range(start_scale, stop + 1):
            if n > start_scale:
                prev = resize(out, sizes[n])
            z = noise[n] if noise is not None else torch.randn(batch, 3, *sizes[n], device=self.device)
            out = self.generators[n](self.noise_amps[n] * (self.coarse(z) if n == 0 else z), prev)
        return out
