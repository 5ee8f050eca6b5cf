"""A node dies while its task trains: the photo finishes on another node, keeping its scales.

On the two-node test cluster (conftest.py), the node running the task is removed right after
the driver has written the task's first scale; a new node takes its place afterwards. (The file
name sorts after test_train_many.py, so the other tests never see a missing node.)
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from safetensors.torch import load_file

from singan_cli.cluster.driver import Driver
from singan_cli.cluster.record import PhotoRun
from tests.conftest import TINY_FLAGS, synthetic_image

pytest.importorskip("ray")
# scale 0 is quick, scale 1 (40 iterations) long enough to be cut by the node's removal
FLAGS = {**TINY_FLAGS, "iters": 10, "iters_finest": 160, "device": "cpu"}


def test_task_of_a_removed_node_finishes_elsewhere_keeping_its_scales(cluster: Any,
                                                                      tmp_path: Path) -> None:
    from models.checkpoint import load_model
    from models.config import resolve_config

    photo = tmp_path / "p.png"
    Image.fromarray(synthetic_image(seed=3)).save(photo)
    models = tmp_path / "models"
    models.mkdir()
    starts: list[tuple[str, int]] = []  # (node, scales on the driver's disk) per attempt
    at_fault: dict[str, Any] = {}

    def remove_node_after_first_scale(run: PhotoRun, item: dict[str, Any]) -> None:
        if item["kind"] == "start":
            starts.append((item["node"], run.num_trained))
        if item["kind"] == "scale" and not at_fault:
            at_fault["scales"] = run.num_trained
            at_fault["weights"] = load_file(str(run.out / "generators.safetensors"))
            node = next(n for n in cluster.worker_nodes if n.node_id == run.node)
            cluster.remove_node(node, allow_graceful=False)

    config = resolve_config("default", overrides=FLAGS)
    runs = [PhotoRun(photo, "p", models / "p")]
    try:
        Driver(runs, models, config, 1, 0, max_retries=2, force=False,
               on_item=remove_node_after_first_scale).run()
    finally:
        if at_fault:
            cluster.add_node(num_cpus=1)  # back to two nodes for whatever runs next

    run = runs[0]
    assert run.status == "trained", run.error
    assert run.attempts == 2 and run.num_trained == 3
    assert at_fault["scales"] >= 1
    (first_node, _), (second_node, resumed_at) = starts
    assert second_node != first_node
    assert resumed_at == at_fault["scales"]  # the retry started from the scales already received
    final = load_file(str(models / "p" / "generators.safetensors"))
    kept = [k for k in at_fault["weights"] if k.startswith("scale_00.") or k == "z_rec"]
    assert kept and all(final[k].equal(at_fault["weights"][k]) for k in kept)
    assert load_model(models / "p").complete
