"""The tiny model trained by the fixture: the trainer's rules hold on what it produced."""

import pytest
import torch
import torch.nn.functional as F


def test_tiny_training_produces_every_scale(tiny_model) -> None:  # type: ignore[no-untyped-def]
    assert tiny_model.complete
    assert tiny_model.geometry.num_scales == 3
    assert tiny_model.geometry.sizes[-1] == (24, 32)
    assert all(not g.training for g in tiny_model.generators)


def test_reconstruction_approaches_the_real_image(tiny_model) -> None:  # type: ignore[no-untyped-def]
    real = tiny_model.reals()[-1]
    rec_error = F.mse_loss(tiny_model.reconstruct(), real).item()
    gray = torch.full_like(real, real.mean().item())
    assert rec_error < 0.5 * F.mse_loss(gray, real).item()


def test_samples_vary_with_the_noise(tiny_model) -> None:  # type: ignore[no-untyped-def]
    a = tiny_model.generate(noise=tiny_model.draw_noise(seed=1))
    b = tiny_model.generate(noise=tiny_model.draw_noise(seed=2))
    assert a.shape == (1, 3, 24, 32)
    assert (a - b).abs().mean() > 1e-3


def test_training_progress_reports_every_scale(tiny_image_path, tiny_config) -> None:  # type: ignore[no-untyped-def]
    import dataclasses

    from models.image_io import load_image
    from models.trainer import train

    config = dataclasses.replace(tiny_config, iters=3, iters_finest=2)
    events = []
    model = train(load_image(tiny_image_path, 32), config, progress=events.append, report_every=1)
    done = [e.scale for e in events if e.scale_done]
    assert done == [0, 1, 2]
    assert model.num_trained == 3
    assert all({"d", "g_adv", "rec"} <= set(e.losses) for e in events)


def _with_config(model, **changes):  # type: ignore[no-untyped-def]
    """A copy of the trained model with config fields changed (its own network lists, so the
    shared fixture is never altered)."""
    import dataclasses

    copy = dataclasses.replace(model, config=dataclasses.replace(model.config, **changes))
    copy.generators, copy.discriminators = list(model.generators), list(model.discriminators)
    return copy


def _step_moves_the_generator(trainer) -> bool:  # type: ignore[no-untyped-def]
    """Run one training step; True when it changed any of the generator's weights."""
    before = [p.clone() for p in trainer.generator.parameters()]
    trainer.step()
    return any(not torch.equal(a, b) for a, b in zip(before, trainer.generator.parameters(),
                                                     strict=True))


def test_a_bf16_step_with_a_nonfinite_gradient_is_redone_in_fp32(tiny_model) -> None:  # type: ignore[no-untyped-def]
    """oneDNN's bf16 weight gradients are now and then NaN; such a step is recomputed in fp32."""
    from models.trainer import ScaleTrainer

    trainer = ScaleTrainer(_with_config(tiny_model, precision="bf16"), 1, iters=2)
    assert trainer.autocast_dtype == torch.bfloat16
    poisoned = next(trainer.discriminator.parameters())
    # NaN gradient whenever bf16 autocast is on (the bug), a clean one in fp32
    poisoned.register_hook(lambda g: torch.full_like(g, float("nan"))
                           if torch.is_autocast_enabled("cpu") else g)
    losses = trainer.step()
    assert trainer.fp32_retries == trainer.config.d_steps
    assert all(torch.isfinite(p).all() for p in trainer.discriminator.parameters())
    assert all(torch.isfinite(torch.tensor(v)) for v in losses.values())


def test_precision_fp32_turns_autocast_off_and_bf16_forces_it() -> None:
    from models.devices import autocast_dtype

    cpu = torch.device("cpu")
    assert autocast_dtype("fp32", cpu) is None
    assert autocast_dtype("bf16", cpu) == torch.bfloat16
    assert autocast_dtype("auto", torch.device("meta")) is None  # no native bf16 known: fp32


@pytest.mark.parametrize(("flags", "native"), [
    ({"avx2", "fma"}, False),  # AVX2 only (AMD EPYC Zen 2/3): fp32
    ({"avx512f", "avx512bw", "avx512vl"}, False),  # AVX-512 without bf16 instructions: emulated
    ({"avx512f", "avx512_bf16"}, True),  # Zen 4, Cooper Lake
    ({"avx512f", "amx_bf16", "amx_tile"}, True),  # Sapphire Rapids and later
])
def test_auto_precision_on_a_cpu_follows_its_bf16_instructions(flags: set[str], native: bool) -> None:
    from models.devices import native_bf16

    assert native_bf16(torch.device("cpu"), flags=frozenset(flags)) is native


@pytest.mark.parametrize(("capability", "native"), [
    ((6, 1), False), ((7, 0), False), ((7, 5), False),  # Pascal, V100, T4: bf16 is emulated
    ((8, 0), True), ((8, 6), True), ((9, 0), True),  # A100, RTX 30xx, H100
])
def test_auto_precision_on_a_gpu_needs_compute_capability_8(capability: tuple[int, int],
                                                             native: bool) -> None:
    from models.devices import native_bf16

    assert native_bf16(torch.device("cuda"), capability=capability) is native


def test_cpu_flags_are_read_from_cpuinfo(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from models.devices import cpu_flags

    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text("processor\t: 0\nflags\t\t: fpu sse avx2 avx512_bf16\n\nprocessor\t: 1\n")
    assert cpu_flags(cpuinfo) == {"fpu", "sse", "avx2", "avx512_bf16"}
    assert cpu_flags(tmp_path / "missing") == frozenset()


def test_training_uses_the_fused_adam_on_the_cpu(tiny_model) -> None:  # type: ignore[no-untyped-def]
    from models.trainer import ScaleTrainer

    trainer = ScaleTrainer(tiny_model, 1, iters=1)
    assert trainer.opt_g.defaults["fused"] and trainer.opt_d.defaults["fused"]
    assert _step_moves_the_generator(trainer)


@pytest.mark.parametrize(("d_steps", "g_steps"), [(1, 1), (2, 1), (3, 2), (3, 3)])
def test_each_d_step_judges_a_fresh_fake_and_the_last_serves_the_first_g_step(
        tiny_model, d_steps: int, g_steps: int) -> None:  # type: ignore[no-untyped-def]
    """G runs once per D step (a fresh coarser input each time); the first G step trains
    through the last D step's fake; then once per later G step, plus once per G step for the
    reconstruction."""
    from models.trainer import ScaleTrainer

    model = _with_config(tiny_model, d_steps=d_steps, g_steps=g_steps, precision="fp32")
    trainer = ScaleTrainer(model, 1, iters=6)
    outputs: list[torch.Tensor] = []
    trainer.generator.register_forward_hook(lambda _, args, out: outputs.append(out.detach()))
    inputs: list[torch.Tensor] = []
    draw = trainer.make_fake_input
    trainer.make_fake_input = lambda: inputs.append(draw()) or inputs[-1]  # type: ignore[method-assign]
    assert _step_moves_the_generator(trainer)
    assert len(outputs) == d_steps + 2 * g_steps - 1
    assert len(inputs) == d_steps  # a fresh coarser image for each D step
    d_fakes = outputs[:d_steps]
    assert all(not torch.equal(a, b) for i, a in enumerate(d_fakes) for b in d_fakes[i + 1:])
