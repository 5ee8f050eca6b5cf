"""Real training processes stopped by SIGINT / SIGKILL at several moments, then resumed."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from models.checkpoint import load_model
from models.output_dir import TrainingLock
from singan_cli.main import app
from tests.conftest import TINY_FLAGS

runner = CliRunner()
# Slow enough per scale (about a second or more) to be caught in the middle.
FLAGS = ["--max-size", "32", "--min-size", "14", "--iters", "150", "--iters-finest", "150",
         "--device", "cpu"]


def _interruptible() -> None:
    # A shell starts background jobs with SIGINT ignored and Python keeps an ignored SIGINT:
    # give the child the default a terminal's Ctrl-C meets, however the tests were started.
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def start(image: Path, out: Path) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "singan_cli", "train", str(image), "--out",
                             str(out), *FLAGS], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, preexec_fn=_interruptible)


def wait_for(condition: Callable[[], bool], process: subprocess.Popen[str], timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def resume_and_check(image: Path, out: Path) -> None:
    result = runner.invoke(app, ["train", str(image), "--out", str(out), *FLAGS, "--resume"])
    assert result.exit_code == 0, result.stderr
    model = load_model(out)
    assert model.complete
    assert model.generate().shape[-2:] == (24, 32)


def test_sigint_saves_finished_scales_and_says_how_to_resume(tiny_image_path: Path,
                                                             tmp_path: Path) -> None:
    out = tmp_path / "m"
    process = start(tiny_image_path, out)
    wait_for(lambda: (out / "previews" / "scale_00.png").exists(), process)
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 1
    assert "interrupted;" in stderr and "--resume" in stderr and "Traceback" not in stderr
    partial = load_model(out)
    assert 1 <= partial.num_trained < 3
    assert partial.generate().shape[-2:] == partial.geometry.sizes[partial.num_trained - 1]
    resume_and_check(tiny_image_path, out)


def test_sigterm_stops_like_ctrl_c(tiny_image_path: Path, tmp_path: Path) -> None:
    out = tmp_path / "m"
    process = start(tiny_image_path, out)
    wait_for(lambda: (out / "previews" / "scale_00.png").exists(), process)
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 1 and "interrupted;" in stderr


@pytest.mark.parametrize("moment", ["before the first scale", "after scale 0", "after scale 1"])
def test_sigkill_at_any_moment_leaves_a_loadable_or_clearly_partial_model(
        tiny_image_path: Path, tmp_path: Path, moment: str) -> None:
    out = tmp_path / "m"
    process = start(tiny_image_path, out)
    marker = {"before the first scale": out / "config.yaml",
              "after scale 0": out / "previews" / "scale_00.png",
              "after scale 1": out / "previews" / "scale_01.png"}[moment]
    wait_for(marker.exists, process)
    # while it runs, a second training into the same directory is refused
    second = runner.invoke(app, ["train", str(tiny_image_path), "--out", str(out), *FLAGS, "--resume"])
    assert second.exit_code == 1 and "another training" in second.stderr
    process.kill()
    process.communicate(timeout=60)
    info = runner.invoke(app, ["info", str(out)])
    if info.exit_code == 0:
        assert "PARTIAL" in info.stdout or "complete" in info.stdout
    else:
        assert info.exit_code == 1 and "no finished scale yet" in info.stderr and "--resume" in info.stderr
    assert not list(out.glob(".*.tmp")) and not list(out.glob(".config.yaml.*"))
    resume_and_check(tiny_image_path, out)  # the killed process left no stuck lock


def test_lock_is_released_and_reusable(tmp_path: Path) -> None:
    with TrainingLock(tmp_path):
        pass
    with TrainingLock(tmp_path):
        pass


def test_tiny_flags_match_the_shared_fixture() -> None:
    assert FLAGS[:4] == ["--max-size", str(TINY_FLAGS["max_size"]), "--min-size", str(TINY_FLAGS["min_size"])]
