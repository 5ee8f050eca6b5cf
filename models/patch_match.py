"""A scale of the walk without training: match the photo's own patches at that scale.

    model = patch_model(load_image(path, 250), config)       # a SinGAN whose scales need no training
    model = photo_model(lambda size: load_image(path, size), "cpu")  # the same, default pyramid
    varied = with_patch_scales(trained, 6)   # a trained model's 6 coarsest scales matched instead
    image = model.generate(noise=model.draw_noise(seed=0))   # the same walk as a trained model

Each scale starts from the upsampled coarser image plus its noise (the coarsest from the photo
at that scale plus noise) and moves the pixels so that the image's 7x7 patches have the photo's
distribution at that scale: their projections on random directions, sorted, should equal the
photo's sorted projections (a sliced Wasserstein distance, the method of GPDM, Elnekave and
Weiss 2022). Each scale cycles through DIRECTION_SETS fixed sets of random directions, so the
photo's projections are sorted once per set (not once per step) and kept for every later sample;
the image's gradient flows through its own sort. A PatchMatchStep takes (noise, prev) like a
trained Generator, so SinGAN.generate runs either kind of scale, and every application can start
from either.
"""

from __future__ import annotations

import dataclasses
import functools
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from models.config import TrainConfig, resolve_config
from models.devices import resolve_device
from models.errors import Fix, UsageError
from models.geometry import Geometry, build_pyramid, gaussian_blur, resize
from models.seeds import Purpose, seeded_generator
from models.singan import SinGAN
from models.threads import scale_threads

PATCH = 7
DIRECTIONS = 64
DIRECTION_SETS = 8  # direction sets per scale, cycled through the steps
VOTE_COMPONENTS = 32  # principal components the nearest-patch search compares
SORT_SPLIT_MIN = 1 << 16  # values below which one thread sorts them all
KEY_TILE = 1024  # keys per block of the nearest-patch search
SHIFT_SMOOTHNESS = 0.15  # the sideways shift's Gaussian blur, std as a share of the longest side
# the strong noise and shift that rearrange every photo (objects in pieces): with_patch_scales
# draws a trained model's layout with them (the option is there to vary it more than the model
# does), and patch_model's coarsest scale draws again with them where gentle noise copied
STRONG_NOISE_AMP, STRONG_SHIFT = 3.0, 0.3
COPY_CHECK_L1 = 1.0  # mean |difference| (0-255) under which a scale's output is the photo's own


def project(image: torch.Tensor, directions: torch.Tensor) -> torch.Tensor:
    """The projections of every patch of `image` (Bx3xHxW) on `directions` (Dx3xpxp, unit
    norm): B x D x (H-p+1)(W-p+1). A convolution, so no patch matrix is ever built."""
    return F.conv2d(image, directions).flatten(2)


@functools.cache
def _sort_pool(threads: int, pid: int) -> ThreadPoolExecutor:
    """One pool per thread count and process (a forked child has none of its parent's threads)."""
    return ThreadPoolExecutor(threads, thread_name_prefix="patch-sort")


def argsort_rows(array: np.ndarray) -> np.ndarray:
    """np.argsort along the last axis, the rows shared among torch's current thread count:
    numpy's sort runs on one core but lets go of the GIL, and it is most of a step's time."""
    rows = array.reshape(-1, array.shape[-1])
    threads = min(torch.get_num_threads(), len(rows))
    if threads < 2 or rows.size < SORT_SPLIT_MIN:
        return np.argsort(array, axis=-1)
    pool = _sort_pool(threads, os.getpid())
    parts = pool.map(lambda part: np.argsort(part, axis=-1), np.array_split(rows, threads))
    return np.concatenate(list(parts)).reshape(array.shape)


def sort_last(values: torch.Tensor) -> torch.Tensor:
    """`values` sorted along the last dimension, keeping the gradient. On a CPU numpy's sort,
    much faster than torch's there, picks the order; on a GPU torch's, without a copy to the
    host."""
    if values.device.type != "cpu":
        return values.sort(dim=-1).values
    order = torch.from_numpy(argsort_rows(values.detach().numpy()))
    return values.gather(-1, order)


def photo_projections(real: torch.Tensor, directions: torch.Tensor) -> torch.Tensor:
    """The sorted projections of every patch of `real` (1x3xHxW) on `directions`: D x N, no
    gradient (on a CPU numpy's sort of the values alone, faster than an argsort)."""
    with torch.no_grad():
        values = project(real, directions)[0]
        if values.device.type != "cpu":
            return values.sort(dim=-1).values
        return torch.from_numpy(np.sort(values.numpy(), axis=-1))


def at_quantiles(sorted_values: torch.Tensor, count: int) -> torch.Tensor:
    """`count` evenly spaced quantiles of the last dimension (sorted) of `sorted_values`."""
    length = sorted_values.shape[-1]
    if length == count:
        return sorted_values
    at = ((torch.arange(count, device=sorted_values.device) + 0.5) * length / count).long()
    return sorted_values[..., at.clamp(max=length - 1)]


def sliced_patch_distance(image: torch.Tensor, target_sorted: torch.Tensor,
                          directions: torch.Tensor) -> torch.Tensor:
    """Mean squared gap between the sorted projections of `image`'s patches (Bx3xHxW) and
    `target_sorted` (D x N, the photo's, sorted per direction), quantiles matched when the
    counts differ."""
    ordered = sort_last(project(image, directions))  # B x D x M
    return (ordered - at_quantiles(target_sorted, ordered.shape[-1])).pow(2).mean()


def nearest_rows(queries: torch.Tensor, keys: torch.Tensor, chunk: int = 2048,
                 key_tile: int | None = None) -> torch.Tensor:
    """For each row of `queries` (M x C) the index of its nearest row of `keys` (N x C, L2):
    a LongTensor of M. Distances are |k|^2 - 2 q.k (|q|^2 does not change the order), one
    addmm per chunk of queries and tile of keys (default: KEY_TILE on a CPU, so that each block
    of distances is still in the cache when its minimum is taken; all keys on a GPU, where
    fewer, larger kernels are faster)."""
    if key_tile is None:
        key_tile = KEY_TILE if keys.device.type == "cpu" else max(1, len(keys))
    key_norms = (keys * keys).sum(dim=1)
    tiles = [(keys[s:s + key_tile].T.contiguous(), key_norms[None, s:s + key_tile], s)
             for s in range(0, len(keys), key_tile)]
    nearest = []
    for a in range(0, len(queries), chunk):
        block = queries[a:a + chunk]
        best_distance, best_index = None, None
        for keys_t, norms, start in tiles:
            distance, index = torch.addmm(norms, block, keys_t, alpha=-2).min(dim=1)
            index += start
            if best_distance is None:
                best_distance, best_index = distance, index
            else:  # ties keep the earlier key, as one argmin over the whole row would
                closer = distance < best_distance
                best_distance = torch.where(closer, distance, best_distance)
                best_index = torch.where(closer, index, best_index)
        nearest.append(best_index)
    return torch.cat(nearest)


def nearest_patch_vote(image: torch.Tensor, real: torch.Tensor, patch: int = PATCH,
                       chunk: int = 2048, components: int = VOTE_COMPONENTS) -> torch.Tensor:
    """Replace every patch of `image` (1x3xHxW) by its nearest patch of `real` (1x3xH'xW', L2)
    and average the overlapping votes (GPNN's step): afterwards every patch is close to one of
    the photo's. Returns 1x3xHxW.

    The nearest patch is searched for in the photo's patches' first `components` principal
    components (of 3p^2): the search is the costliest part of a sample, and natural patches
    keep nearly all their variance there. Votes are whole patches.
    """
    height, width = image.shape[-2:]
    queries = F.unfold(image, patch)[0].T  # M x 3p^2
    keys = F.unfold(real, patch)[0].T  # N x 3p^2
    centre = keys.mean(dim=0)
    basis = torch.linalg.svd(keys[::max(1, len(keys) // 4096)] - centre,
                             full_matrices=False).Vh[:components].T  # 3p^2 x components
    search_queries, search_keys = (queries - centre) @ basis, (keys - centre) @ basis
    nearest = nearest_rows(search_queries, search_keys, chunk)
    votes = F.fold(keys[nearest].T[None], (height, width), patch)
    counts = F.fold(torch.ones_like(queries.T)[None], (height, width), patch)
    return votes / counts


def shifted_sideways(image: torch.Tensor, field: torch.Tensor, shift: float) -> torch.Tensor:
    """`image` (1x3xhxw) resampled at x + d(x, y) for each of the B fields (Bx1xhxw, any noise):
    d is the field blurred (SHIFT_SMOOTHNESS) and scaled to std `shift`, in units of half the
    width. Rows stay rows, so a horizon stays where it was while what stands on it moves.
    Returns Bx3xhxw (reflected at the borders); a zero field returns the image as it was."""
    height, width = image.shape[-2:]
    d = gaussian_blur(field, SHIFT_SMOOTHNESS * max(height, width))
    d = d / d.flatten(1).std(dim=1).clamp(min=1e-12).view(-1, 1, 1, 1) * shift
    ys, xs = torch.meshgrid(torch.linspace(-1, 1, height, device=image.device),
                            torch.linspace(-1, 1, width, device=image.device), indexing="ij")
    grid = torch.stack([xs + d[:, 0], ys.expand_as(d[:, 0])], dim=-1)  # B x h x w x (x, y)
    return F.grid_sample(image.expand(len(field), -1, -1, -1), grid, mode="bilinear",
                         padding_mode="reflection", align_corners=True)


class PatchMatchStep(nn.Module):
    """One scale: optimise noise + prev (Bx3xhxw) so that its patches match `real`'s (1x3xHxW).

    Args:
        real: the photo at this scale, in [-1, 1].
        steps: optimiser steps (Adam on the pixels).
        lr: Adam's learning rate, in pixel units of [-1, 1].
        from_real: start from the photo itself instead of prev (the coarsest scale, where prev
            is empty): noise on the photo then rearranges its layout.
        shift: with from_real, first shift the photo sideways by a smooth field made of the
            noise's first channel (shifted_sideways; std `shift`, in units of half the width):
            under noise alone some photos (a yard, a lawn) came back to their own layout.
        scale: this scale's index; its random directions are a fixed stream of it (the sample's
            randomness is all in the noise, so a seed gives the same image).
        direction_sets: how many sets of `directions` directions the steps cycle through.
        vote: end with one nearest-patch vote (nearest_patch_vote), which removes the colour
            fringes the projections leave and makes every patch one of the photo's.
        redraw: with from_real, (noise gain, shift) for a second draw of an image that comes
            back to the photo's own layout: `copy_check` (the next scale's step, set by
            patch_model) refines it once more, and where that equals the photo at its scale
            (COPY_CHECK_L1) the image is drawn again from the noise times the gain with that
            shift. Gentle noise keeps an object whole (a zebra on grass moves and stays one
            zebra) but lets a photo that fills its frame fall back onto itself: at the small
            scales the photo is the only image with its own patches. Samples of another size
            than the photo's are not checked.
    """

    def __init__(self, real: torch.Tensor, steps: int, lr: float = 0.02, from_real: bool = False,
                 scale: int = 0, patch: int = PATCH, directions: int = DIRECTIONS,
                 vote: bool = False, direction_sets: int = DIRECTION_SETS, shift: float = 0.0,
                 redraw: tuple[float, float] | None = None):
        super().__init__()
        self.register_buffer("real", real.detach().clone())
        self.steps, self.lr, self.from_real, self.vote = steps, lr, from_real, vote
        self.shift, self.redraw = shift, redraw
        self.copy_check: tuple[PatchMatchStep, ...] = ()  # (the next scale's step,) not a submodule
        self.scale, self.patch, self.directions = scale, patch, directions
        self.direction_sets = direction_sets
        # (directions Dx3xpxp, the photo's sorted projections DxN) per set, made at first use
        self._targets: list[tuple[torch.Tensor, torch.Tensor]] = []

    def _targets_on(self, device: torch.device) -> list[tuple[torch.Tensor, torch.Tensor]]:
        """The direction sets and the photo's sorted projections on each, made once."""
        if not self._targets or self._targets[0][0].device != device:
            gen = seeded_generator(self.scale, Purpose.PATCH_DIRECTIONS)
            real = self.real.to(device)
            self._targets = []
            for _ in range(max(1, min(self.direction_sets, self.steps))):
                directions = torch.randn(self.directions, 3 * self.patch ** 2, generator=gen)
                directions = (directions / directions.norm(dim=1, keepdim=True)).view(
                    self.directions, 3, self.patch, self.patch).to(device)
                self._targets.append((directions, photo_projections(real, directions)))
        return self._targets

    def forward(self, noise: torch.Tensor, prev: torch.Tensor) -> torch.Tensor:
        """noise: Bx3xhxw already times the noise amplitude; prev: Bx3xhxw. Returns Bx3xhxw."""
        image = self._match(self._start(noise, prev, self.shift))
        # only at the photo's own size: a sample of another aspect cannot copy it
        if self.redraw and self.copy_check and image.shape[-2:] == self.real.shape[-2:]:
            again = self._comes_back(image)
            if again.any():
                gain, shift = self.redraw
                image[again] = self._match(self._start(noise[again] * gain, prev[again], shift))
        return image

    def _start(self, noise: torch.Tensor, prev: torch.Tensor, shift: float) -> torch.Tensor:
        start = prev
        if self.from_real:
            start = F.interpolate(self.real, size=prev.shape[-2:], mode="bicubic", align_corners=False)
            if shift > 0:
                start = shifted_sideways(start, noise[:, :1], shift)
        return start + noise

    def _comes_back(self, image: torch.Tensor) -> torch.Tensor:
        """B booleans: the next scale turns this image into the photo at its scale."""
        (check,) = self.copy_check
        up = resize(image, tuple(check.real.shape[-2:]))  # as the walk hands it to that scale
        refined = check(torch.zeros_like(up), up)
        return (refined - check.real).abs().flatten(1).mean(dim=1) * 127.5 < COPY_CHECK_L1

    def _match(self, start: torch.Tensor) -> torch.Tensor:
        """Optimise `start` (Bx3xhxw) towards the photo's patches; vote; clamp to [-1, 1]."""
        image = start.detach().clone()
        if min(*image.shape[-2:], *self.real.shape[-2:]) < self.patch:
            return image.clamp(-1, 1)
        with torch.enable_grad(), scale_threads(tuple(image.shape[-2:]), device=image.device):
            image.requires_grad_(True)
            optimizer = torch.optim.Adam([image], lr=self.lr)
            # the step size falls linearly to 0: late steps polish instead of adding noise
            schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda i: 1 - i / self.steps)
            targets = self._targets_on(image.device)
            for step in range(self.steps):
                directions, target = targets[step % len(targets)]
                loss = sliced_patch_distance(image, target, directions)
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                optimizer.step()
                schedule.step()
            image = image.detach()
            if self.vote:
                image = torch.cat([nearest_patch_vote(one[None], self.real, self.patch) for one in image])
        return image.clamp(-1, 1)


def patch_model(image: torch.Tensor, config: TrainConfig, steps: int = 400, finest_steps: int = 30,
                noise_amp: float = 1.0, lr: float = 0.05, vote_scales: int = 3,
                vote_step_share: float = 2 / 3, shift: float = 0.5,
                redraw_noise_amp: float = STRONG_NOISE_AMP, redraw_shift: float = STRONG_SHIFT,
                ) -> SinGAN:
    """A SinGAN for `image` (1x3xHxW in [-1, 1], capped at max_size) whose every scale is a
    PatchMatchStep: ready to sample, nothing to train.

    Args:
        steps: optimiser steps at the coarsest scale, falling geometrically to `finest_steps`.
            The coarse scales need many: there the photo under noise of std `noise_amp` must
            become a clean image; with too few steps (or a small `lr`) the noise stays, every
            finer scale inherits it as colour speckle that breaks the shapes around it, and only
            the votes hide it.
        noise_amp: noise at the coarsest scale (on the photo there); finer scales get none, as
            their start, the upsampled coarser image, already carries the variation. Gentle
            noise keeps objects whole; strong noise (3) rearranges every photo, objects in pieces.
        lr: Adam's step size at every scale (it falls linearly to 0 over a scale's steps).
        vote_scales: how many of the finest scales end with a nearest-patch vote. Each hands the
            next scale a sharp image made of the photo's patches; with a vote at the finest
            scale alone, the blur the projections leave at the scales below stayed in the sample.
        vote_step_share: the share of its optimiser steps a voting scale keeps (the vote
            finishes what the steps leave).
        shift: the coarsest scale's sideways shift of the photo under its noise (PatchMatchStep).
        redraw_noise_amp, redraw_shift: the coarsest scale's second draw for a layout that the
            next scale turns back into the photo's own (PatchMatchStep's redraw); none when
            noise_amp is already at least redraw_noise_amp.
    """
    geometry = Geometry.for_image(image.shape[-2], image.shape[-1], config.max_size,
                                  config.min_size, config.scale_factor)
    model = SinGAN(config=config, geometry=geometry, image=image)
    reals = build_pyramid(image, geometry)
    last = max(1, geometry.num_scales - 1)
    redraw = (redraw_noise_amp / noise_amp, redraw_shift) if redraw_noise_amp > noise_amp else None
    for n, real in enumerate(reals):
        votes = n > last - vote_scales
        count = round(steps * (finest_steps / steps) ** (n / last) * (vote_step_share if votes else 1))
        step = PatchMatchStep(real, max(1, count), lr=lr, from_real=n == 0, scale=n, vote=votes,
                              shift=shift if n == 0 else 0.0, redraw=redraw if n == 0 else None)
        model.generators.append(step)  # type: ignore[arg-type]
        model.noise_amps.append(noise_amp if n == 0 else 0.0)
    if len(model.generators) > 1:
        model.generators[0].copy_check = (model.generators[1],)  # type: ignore[assignment]
    model.z_rec = torch.zeros(1, 3, *geometry.sizes[0], device=image.device)
    return model


def with_patch_scales(model: SinGAN, scales: int) -> SinGAN:
    """`model` (trained) with its `scales` coarsest generators replaced by patch_model's scales
    for its own image: the layout is then drawn by matching the photo's patches (as varied as a
    training-free sample), the trained generators above draw the detail. The model itself is
    not changed. Only for walks from scale 0: the reconstruction path (start scales above 0)
    stays the trained one's.

    Raises UsageError unless 0 <= scales <= model.num_trained.
    """
    if not 0 <= scales <= model.num_trained:
        raise UsageError(f"patch scales {scales} is out of range: this model has "
                         f"{model.num_trained} trained scales", fix=Fix.START_SCALE,
                         num_trained=model.num_trained)
    if scales == 0:
        return model
    matched = patch_model(model.image, model.config, noise_amp=STRONG_NOISE_AMP, shift=STRONG_SHIFT)
    if matched.geometry.sizes != model.geometry.sizes:  # a model from another geometry rule
        raise UsageError("patch scales need a model in this version's pyramid (retrain it)")
    return dataclasses.replace(
        model, generators=[*matched.generators[:scales], *model.generators[scales:]],
        noise_amps=[*matched.noise_amps[:scales], *model.noise_amps[scales:]])


def photo_model(read_photo: Callable[[int], torch.Tensor], device: str = "cpu") -> SinGAN:
    """The training-free model that `singan sample photo.jpg`, `singan eval photo.jpg` and the
    studio's first look draw from: patch_model in the default preset's pyramid.

    Args:
        read_photo: max_size -> the photo (1x3xHxW in [-1, 1], longest side at most max_size);
            callers read a file or an upload their own way (notes, error messages).
        device: where the model runs ("cpu", "cuda", "mps" or "auto").
    """
    config = resolve_config("default", overrides={"device": device})
    return patch_model(read_photo(config.max_size).to(resolve_device(device)), config)
