"""Coarse-to-fine training of the pyramid, one scale at a time.

    model = train(load_image(path, max_size=250), config, save_dir=Path("model/"),
                  progress=lambda p: print(p.scale, p.iteration, p.losses))
    for model in train_scales(image, config, save_dir=Path("model/"), resume=True):
        ...  # the model after each finished (and saved) scale

With `save_dir`, training makes the same checks as `singan train` (one training per directory,
no overwrite without force, resume only what matches, disk and memory) and leaves a directory
that loads after every finished scale. Training never touches torch's global random state.

Per scale n (0 = coarsest): G_n and D_n start from scale n-1's weights when the width is
unchanged; noise_amp[n] = noise_amp_weight * RMSE(real_n, up(rec_{n-1})) (1 at n = 0); each
iteration runs `d_steps` discriminator steps, each on a fresh fake (a new random input from the
frozen scales and new noise), then `g_steps` generator steps (adversarial + rec_weight * MSE of
the reconstruction); the first G step backpropagates through the last D step's fake (as the
official code does), later ones make new fakes.
"""

from __future__ import annotations

import contextlib
import math
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn.functional as F

from models.checkpoint import save_model, write_preview, write_train_log
from models.config import TrainConfig
from models.devices import autocast_dtype, resolve_device
from models.errors import Fix, TrainingError, UsageError
from models.geometry import Geometry, build_pyramid, resize
from models.losses import discriminator_loss, generator_loss, gradient_penalty
from models.memory import check_memory
from models.networks import Discriminator, Generator
from models.output_dir import TrainingLock, prepare_output
from models.seeds import Purpose, derive_seed, seeded_generator
from models.singan import SinGAN
from models.threads import scale_threads
from models.windows import (
    CALIBRATION_PASSES,
    FAKE_POOL,
    FAKE_POOL_RENEW_EVERY,
    cut,
    padded_window,
    random_window,
    window_size,
)


@dataclass(frozen=True)
class TrainProgress:
    """One progress report: sent every few iterations and at the end of each scale."""

    scale: int
    num_scales: int
    iteration: int  # iterations done at this scale
    iters: int  # iterations planned at this scale
    size: tuple[int, int]
    losses: dict[str, float]
    scale_done: bool = False


ProgressCallback = Callable[[TrainProgress], None]


def new_model(image: torch.Tensor, config: TrainConfig) -> SinGAN:
    """An untrained SinGAN for `image` (1x3xHxW in [-1, 1], already capped at max_size)."""
    geometry = Geometry.for_image(image.shape[-2], image.shape[-1], config.max_size,
                                  config.min_size, config.scale_factor)
    device = resolve_device(config.device)
    # its own stream: were it a sample's, sample 0 of every preview and eval would be the
    # reconstruction
    z_rec = torch.randn(1, 3, *geometry.sizes[0],
                        generator=seeded_generator(config.seed, Purpose.Z_REC)).to(device)
    model = SinGAN(config=config, geometry=geometry, image=image.to(device))
    model.z_rec = model.coarse(z_rec).contiguous()
    return model


class ScaleTrainer:
    """The networks, optimisers and fixed tensors of one scale, and its training step.

    train_scales() makes one per scale and finetune_scale() one per fine-tune; benchmarks time
    its `step()`. `continue_from` is the scale whose trained G and D to start from (the previous scale for a
    new scale with the same width, the scale itself for fine-tuning; None: fresh weights).
    """

    def __init__(self, model: SinGAN, scale: int, continue_from: int | None = None,
                 iters: int | None = None):
        config, device = model.config, model.device
        self.model, self.scale, self.config = model, scale, config
        self.real = build_pyramid(model.image, model.geometry)[scale]
        self.size = model.geometry.sizes[scale]
        self.rec_target = self.real  # what the reconstruction term aims at
        self.rec_loss: Callable[[torch.Tensor, torch.Tensor], torch.Tensor] = F.mse_loss
        self.make_fake_input: Callable[[], torch.Tensor] = self._random_coarser_image
        channels = config.channels_at(scale)
        self.generator = Generator(channels, config.num_layers, config.kernel_size).to(device)
        self.discriminator = Discriminator(channels, config.num_layers, config.kernel_size,
                                           config.spectral_norm).to(device)
        if continue_from is not None:
            self.generator.load_state_dict(model.generators[continue_from].state_dict())
            self.discriminator.load_state_dict(model.discriminators[continue_from].state_dict())
        # reconstruction path: fixed noise z_rec at the coarsest scale, zero noise above
        if scale == 0:
            assert model.z_rec is not None
            self.prev_rec, self.rec_noise = torch.zeros_like(self.real), model.z_rec
        else:
            self.prev_rec = resize(model.reconstruct(scale - 1), self.size)
            self.rec_noise = torch.zeros_like(self.real)
        if scale < model.num_trained:  # fine-tuning a trained scale keeps its noise amplitude
            self.noise_amp = model.noise_amps[scale]
        elif scale == 0:
            self.noise_amp = 1.0
        else:
            rmse = torch.sqrt(F.mse_loss(self.real, self.prev_rec)).item()
            self.noise_amp = config.noise_amp_weight * rmse
        # None: the scale's schedule; 0 is a real count (a fine-tune of 0 iterations is none)
        self.iters = config.iters_at(scale, model.geometry.num_scales) if iters is None else iters
        self.opt_g = _adam(self.generator, config, device)
        self.opt_d = _adam(self.discriminator, config, device)
        milestone = [max(1, int(config.lr_decay_at * self.iters))]
        self.sched_g = torch.optim.lr_scheduler.MultiStepLR(self.opt_g, milestone, gamma=0.1)
        self.sched_d = torch.optim.lr_scheduler.MultiStepLR(self.opt_d, milestone, gamma=0.1)
        self.autocast_dtype = autocast_dtype(config.precision, device)
        self.fp32_retries = 0  # bf16 steps redone in fp32 (see _update)
        h, w = self.size
        self.window_size = window_size(self.size, config.crop_size)
        self.pool: list[torch.Tensor] = []  # random coarser images, reused by cropped steps
        self.pool_renewed_at = -1  # steps_done at the last renewal
        window_area = self.window_size[0] * self.window_size[1] if self.window_size else h * w
        self.renew_every = math.ceil(FAKE_POOL_RENEW_EVERY * h * w / window_area)
        self.steps_done = 0

    @property
    def gp_weight(self) -> float:
        """The gradient penalty's weight at this scale (windowed scales have their own)."""
        return self.config.gp_weight if self.window_size is None else self.config.gp_weight_windowed

    @property
    def work_size(self) -> tuple[int, int]:
        """(h, w) of what one step trains on: the crop window, or the whole scale."""
        return self.window_size or self.size

    def _random_coarser_image(self) -> torch.Tensor:
        """A random image from the frozen coarser scales, upsampled to this scale (1x3xhxw).

        Whole-image steps draw a fresh one each time. Cropped steps see only a window of it, so
        they draw from a pool of FAKE_POOL images that renews one image every
        FAKE_POOL_RENEW_EVERY steps times (whole image area / window area): generating the
        whole coarser pyramid each step would cost more than the cropped step itself once the
        image is a few windows large.
        """
        if self.scale == 0:
            return torch.zeros_like(self.real)
        if self.window_size is None:
            return resize(self.model.generate(stop_scale=self.scale - 1), self.size)
        if not self.pool:  # one at a time: a batch would hold FAKE_POOL x the activations
            self.pool = [resize(self.model.generate(stop_scale=self.scale - 1), self.size)
                         for _ in range(FAKE_POOL)]
        elif self.steps_done % self.renew_every == 0 and self.pool_renewed_at != self.steps_done:
            # once per renewal step, however many D steps draw from the pool
            self.pool_renewed_at = self.steps_done
            renewed = (self.steps_done // self.renew_every) % FAKE_POOL
            self.pool[renewed] = resize(self.model.generate(stop_scale=self.scale - 1), self.size)
        return self.pool[int(torch.randint(FAKE_POOL, ()))]

    def _window(self) -> tuple[int, int, int, int] | None:
        """A random crop (top, left, height, width) for this step; None: the whole image."""
        return None if self.window_size is None else random_window(self.size, self.window_size)

    def _generate(self, noise_amp: float, noise: torch.Tensor | None, prev: torch.Tensor,
                  window: tuple[int, int, int, int] | None) -> torch.Tensor:
        """The generator's output on `window` (or the whole image) for full-size `prev`
        (1x3xhxw). noise None: draw fresh noise for the window; else a full-size tensor."""
        if window is None:
            if noise is None:
                noise = torch.randn_like(self.real)
                noise = self.model.coarse(noise) if self.scale == 0 else noise
            return self.generator(noise_amp * noise, prev)
        top, left, ch, cw = window
        p = self.generator.pad
        if noise is None:
            noise = torch.randn(1, 3, ch + 2 * p, cw + 2 * p, device=prev.device)
            noise = self.model.coarse(noise) if self.scale == 0 else noise
            # zero where the margin lies outside the image: the whole-image pass pads with zeros
            inside = torch.ones(1, 1, 1, 1, device=prev.device).expand(1, 1, *self.size)
            padded_noise = noise * padded_window(inside, top, left, ch, cw, p)
        else:
            padded_noise = padded_window(noise, top, left, ch, cw, p)
        padded = noise_amp * padded_noise + padded_window(prev, top, left, ch, cw, p)
        return self.generator.forward_padded(padded, cut(prev, top, left, ch, cw))

    def fake(self, prev: torch.Tensor, window: tuple[int, int, int, int] | None = None,
             ) -> torch.Tensor:
        return self._generate(self.noise_amp, None, prev, window)

    def run(self, progress: ProgressCallback | None, report_every: int,
            before_step: Callable[[], object] | None = None, last_report_done: bool = False,
            ) -> tuple[dict[str, float], list[tuple[int, dict[str, float]]]]:
        """All `iters` steps, reporting every `report_every` and at the last one (marked
        scale_done if `last_report_done`), then, on a windowed scale, calibrate_batchnorm.
        Returns the last losses and the (iteration, losses) log of the reports."""
        losses: dict[str, float] = {}
        log: list[tuple[int, dict[str, float]]] = []
        num_scales = self.model.geometry.num_scales
        for it in range(self.iters):
            if before_step is not None:
                before_step()
            losses = self.step()
            last = it + 1 == self.iters
            if (it + 1) % report_every == 0 or last:
                log.append((it + 1, losses))
                if progress:
                    progress(TrainProgress(self.scale, num_scales, it + 1, self.iters, self.size,
                                           losses, scale_done=last and last_report_done))
        if self.window_size is not None and self.iters > 0:
            self.calibrate_batchnorm()
        return losses, log

    def calibrate_batchnorm(self, passes: int = CALIBRATION_PASSES) -> None:
        """Re-estimate the generator's BatchNorm running statistics from `passes` whole images.

        On a windowed scale the running estimates average the windows' statistics, which miss
        the variation between windows (sky in one, leaves in another), so they are smaller than
        a whole image's. Sampling runs the whole image in eval mode: each BatchNorm then
        amplifies its layer, the amplification compounds through the layers, and the samples
        carry a woven, cross-hatched texture. Whole-image passes with fresh noise and coarser
        images, as sampling makes them, give the statistics that sampling meets
        (docs/benchmarks.md, "Clean large photos").
        """
        norms = [m for m in self.generator.modules() if isinstance(m, torch.nn.BatchNorm2d)]
        momenta = [norm.momentum for norm in norms]
        for norm in norms:
            norm.reset_running_stats()
            norm.momentum = None  # a cumulative average over the passes
        self.generator.train()
        with torch.no_grad():
            for _ in range(passes):
                self._generate(self.noise_amp, None, self.make_fake_input(), None)
        for norm, momentum in zip(norms, momenta, strict=True):
            norm.momentum = momentum

    def step(self) -> dict[str, float]:
        """One iteration: d_steps discriminator steps, then g_steps generator steps."""
        dtype = self.autocast_dtype
        with torch.autocast(self.model.device.type, dtype=dtype, enabled=dtype is not None):
            losses = self._step()
        if not all(math.isfinite(v) for v in losses.values()):
            raise TrainingError(f"training diverged at scale {self.scale} (loss became NaN/inf: "
                                f"{losses}); finished scales are kept", fix=Fix.LR_OR_SEED)
        return losses

    def _step(self) -> dict[str, float]:
        config, d = self.config, self.discriminator
        prev = self.make_fake_input()
        self.steps_done += 1
        window = self._window()
        real = self.real if window is None else cut(self.real, *window)
        rec_target = self.rec_target if window is None else cut(self.rec_target, *window)

        def d_loss_fn(fake: torch.Tensor) -> Callable[[], tuple[torch.Tensor, dict[str, torch.Tensor]]]:
            def loss_fn() -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
                loss = discriminator_loss(config.loss, d(real), d(fake))
                if config.loss == "wgan-gp" and self.gp_weight > 0:
                    loss = loss + self.gp_weight * gradient_penalty(d, real, fake)
                return loss, {"d": loss}
            return loss_fn

        # Each D step judges a fresh fake (a new coarser image and new noise), as the official
        # code does. The last one keeps G's graph: the first G step (G's weights are still those
        # that made it) backpropagates through it instead of running G once more. A repeated or
        # retried G step makes a fresh one.
        d.requires_grad_(True)
        for d_step in range(config.d_steps):
            last = d_step == config.d_steps - 1
            prev = prev if d_step == 0 else self.make_fake_input()
            with torch.set_grad_enabled(last):
                fake = self.fake(prev, window)
            d_losses = self._update(self.opt_d, d_loss_fn(fake.detach()))
        d.requires_grad_(False)  # G steps need no gradients for D's weights
        first_fake = [fake]

        def g_loss_fn() -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
            fake = first_fake.pop() if first_fake else self.fake(prev, window)
            adv = generator_loss(config.loss, d(fake))
            rec_out = self._generate(self.noise_amp, self.rec_noise, self.prev_rec, window)
            rec = self.rec_loss(rec_out, rec_target)
            return adv + config.rec_weight * rec, {"g_adv": adv, "rec": rec}

        for _ in range(config.g_steps):
            g_losses = self._update(self.opt_g, g_loss_fn)
        self.sched_g.step()
        self.sched_d.step()
        return {"d": d_losses["d"].item(), "g_adv": g_losses["g_adv"].item(),
                "rec": g_losses["rec"].item()}

    def _update(self, optimizer: torch.optim.Optimizer,
                loss_fn: Callable[[], tuple[torch.Tensor, dict[str, torch.Tensor]]],
                ) -> dict[str, torch.Tensor]:
        """One optimiser step on the loss that loss_fn returns; returns its reported losses.

        oneDNN's bf16 (AMX) weight-gradient kernels now and then return a non-finite value,
        never in fp32 (docs/benchmarks.md), which would poison the weights for good. So, as
        AMP's grad scaler does, the
        gradients are checked before the step; a bf16 step with a non-finite gradient is
        recomputed in fp32.
        """

        def backward() -> dict[str, torch.Tensor]:
            optimizer.zero_grad(set_to_none=True)
            loss, reported = loss_fn()
            loss.backward()
            return reported

        reported = backward()
        if self.autocast_dtype is not None and not _finite_gradients(optimizer):
            self.fp32_retries += 1
            with torch.autocast(self.model.device.type, enabled=False):
                reported = backward()
        optimizer.step()
        return reported


def _adam(network: torch.nn.Module, config: TrainConfig, device: torch.device) -> torch.optim.Adam:
    """Adam over the network's weights; the fused kernel where torch has one for the device
    (the same update in one op for all tensors instead of a dozen ops per tensor, which the
    small scales notice)."""
    return torch.optim.Adam(network.parameters(), lr=config.lr, betas=(config.beta1, 0.999),
                            fused=device.type in ("cpu", "cuda"))


def _finite_gradients(optimizer: torch.optim.Optimizer) -> bool:
    """True when every gradient the optimiser holds is finite (one norm per tensor: 2 ops)."""
    grads = [p.grad for group in optimizer.param_groups for p in group["params"]
             if p.grad is not None]
    return bool(torch.stack(torch._foreach_norm(grads)).isfinite().all()) if grads else True


@contextlib.contextmanager
def _isolated_rng(seed: int, device: torch.device) -> Iterator[None]:
    """Seed torch's global RNG for the block and give the caller's state back afterwards.

    Weight initialisation and `randn_like` draw from the global RNG; forking it keeps a seeded,
    reproducible scale without changing the random state of a program that calls `train`.
    """
    cuda_devices = list(range(torch.cuda.device_count())) if device.type == "cuda" else []
    with torch.random.fork_rng(devices=cuda_devices):
        torch.manual_seed(seed)
        yield


def train_scales(image: torch.Tensor, config: TrainConfig, save_dir: Path | None = None,
                 progress: ProgressCallback | None = None, model: SinGAN | None = None,
                 report_every: int = 10, resume: bool = False, force: bool = False,
                 threads: int = 0) -> Iterator[SinGAN]:
    """Train the scales of a SinGAN one by one, yielding the model after each finished scale.

    Args:
        image: 1x3xHxW in [-1, 1], already capped at config.max_size.
        save_dir: if given, the model directory, written after every finished scale (with a
            preview sheet in previews/ and the losses in train_log.csv) before the yield. Holds
            a lock on it while the generator runs; refuses an existing model unless `resume`
            (continue it at its next scale, if image and config match) or `force` (start over).
        progress: called every `report_every` iterations and once at the end of each scale.
        model: a partly trained model to continue; training starts at its next scale.
        threads: CPU threads per step; 0 chooses per scale from its size and the free cores
            (models/threads.py), within OMP_NUM_THREADS when that is set.
    Yields:
        The model (the same object, growing) after each finished scale; generators in eval mode.
    Returns:
        (as the generator's StopIteration value) the model, also when no scale was left.
    """
    model = model or new_model(image, config)
    if save_dir is None:
        yield from _train_remaining(model, None, progress, report_every, threads)
        return model
    check_memory(model)
    with TrainingLock(Path(save_dir)):
        model = prepare_output(Path(save_dir), model, resume=resume, force=force)
        yield from _train_remaining(model, Path(save_dir), progress, report_every, threads)
    return model


def _train_remaining(model: SinGAN, save_dir: Path | None, progress: ProgressCallback | None,
                     report_every: int, threads: int) -> Iterator[SinGAN]:
    config = model.config
    for scale in range(model.num_trained, model.geometry.num_scales):
        started = time.perf_counter()
        # per-scale seed: a resumed training continues exactly as an uninterrupted one
        with _isolated_rng(derive_seed(config.seed, Purpose.TRAIN_SCALE, scale), model.device):
            same_width = scale > 0 and config.channels_at(scale - 1) == config.channels_at(scale)
            # Warm start from the previous scale's weights when the width is unchanged (the paper).
            trainer = ScaleTrainer(model, scale, continue_from=scale - 1 if same_width else None)
            with scale_threads(trainer.work_size, threads, model.device) as governor:
                losses, log = trainer.run(progress, report_every, before_step=governor.adjust)
        model.generators.append(trainer.generator.eval().requires_grad_(False))
        model.discriminators.append(trainer.discriminator.eval().requires_grad_(False))
        model.noise_amps.append(trainer.noise_amp)
        model.train_seconds.append(time.perf_counter() - started)
        if save_dir is not None:
            write_train_log(save_dir, scale, log)
            save_model(model, save_dir)
            write_preview(model, save_dir)
        if progress:
            progress(TrainProgress(scale, model.geometry.num_scales, trainer.iters, trainer.iters,
                                   trainer.size, losses, scale_done=True))
        yield model


def train(image: torch.Tensor, config: TrainConfig, save_dir: Path | None = None,
          progress: ProgressCallback | None = None, model: SinGAN | None = None,
          report_every: int = 10, resume: bool = False, force: bool = False,
          threads: int = 0) -> SinGAN:
    """Train all scales of a SinGAN on `image` (1x3xHxW in [-1, 1], capped at max_size).

    The same as exhausting `train_scales` (see there for the arguments and the checks made
    when `save_dir` is given). Returns the trained SinGAN (generators in eval mode).
    """
    scales = train_scales(image, config, save_dir, progress, model, report_every,
                          resume=resume, force=force, threads=threads)
    while True:
        try:
            next(scales)
        except StopIteration as done:
            return done.value


def finetune_scale(model: SinGAN, scale: int, iters: int | None,
                   fake_input: Callable[[], torch.Tensor], rec_input: torch.Tensor | None = None,
                   rec_target: torch.Tensor | None = None, seed: int = 0,
                   fresh: bool = False, progress: ProgressCallback | None = None,
                   report_every: int = 10,
                   rec_loss: Callable[[torch.Tensor, torch.Tensor], torch.Tensor] | None = None,
                   ) -> SinGAN:
    """Continue training the trained scale `scale` with another generator input, in place.

    Needs the discriminators (load_model(..., with_discriminators=True)) unless `fresh`.

    Args:
        iters: iterations (0: none); None: the scale's own training schedule.
        fake_input: returns the generator's input ("prev") for the adversarial steps,
            1x3xh_nxw_n at the scale's size (e.g. a quantized or pasted image).
        rec_input: the input for the reconstruction term (default: the usual reconstruction).
        rec_target: what the reconstruction should give (default: the training image at this
            scale). The discriminator always sees the training image as real.
        seed: the run's seed; the fine-tune of scale `scale` draws from its own stream of it.
        fresh: retrain the scale from new weights (the paper's paint2image) instead of
            continuing from its trained G and D.
        progress: called every `report_every` iterations and at the end, as in training. An
            exception it raises stops the fine-tune and leaves the model as it was.
        rec_loss: (output, target) -> the reconstruction term (default: MSE), e.g.
            models.losses.edge_reconstruction_loss.
    Returns:
        the same model, with generators[scale] replaced by the fine-tuned one (eval mode).
    """
    if not fresh and len(model.discriminators) <= scale:
        raise UsageError("fine-tuning needs the model's discriminators: load the model with "
                         "load_model(..., with_discriminators=True)")
    with _isolated_rng(derive_seed(seed, Purpose.FINETUNE, scale), model.device):
        trainer = ScaleTrainer(model, scale, continue_from=None if fresh else scale, iters=iters)
        trainer.make_fake_input = fake_input
        if rec_input is not None:
            trainer.prev_rec = rec_input
        if rec_target is not None:
            trainer.rec_target = rec_target
        if rec_loss is not None:
            trainer.rec_loss = rec_loss
        trainer.run(progress, report_every, last_report_done=True)
    model.generators[scale] = trainer.generator.eval().requires_grad_(False)
    if len(model.discriminators) > scale:
        model.discriminators[scale] = trainer.discriminator.eval().requires_grad_(False)
    return model
