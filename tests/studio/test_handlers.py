"""The studio's handlers and page values as plain functions, with the tiny model and no server;
the page itself built once."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image
from typer.testing import CliRunner

from models.checkpoint import load_model
from models.errors import ImageError, ModelDirError, SinganError, UsageError
from singan_cli.main import app
from singan_cli.studio.chosen_model import load_studio_model, model_image, model_info
from singan_cli.studio.editor import editor_image, editor_mask, read_upload
from singan_cli.studio.handlers import (
    animate_clip,
    blend_images,
    first_look,
    paint_canvas,
    paint_images,
    paste_object,
    sample_images,
    sr_stream,
)
from singan_cli.studio.messages import STUDIO_FIXES, page_message
from singan_cli.studio.train_handlers import resume_stream, train_stream
from singan_cli.studio.training_control import StopRequested, TrainingControl
from singan_cli.studio.workspace import Workspace
from tests.conftest import read_png, synthetic_image


@pytest.fixture
def ws(tmp_path: Path, tiny_model_dir: Path) -> Workspace:
    workspace = Workspace(tmp_path / "studio", [tiny_model_dir])
    workspace.create()
    return workspace


def editor(background: np.ndarray, painted: np.ndarray | None = None,
           color: tuple[int, int, int] = (255, 0, 255)) -> dict[str, Any]:
    """An ImageEditor value as Gradio sends it: RGBA arrays; `painted` (HxW bool) is brushed
    with `color` on the one layer and shows in the composite."""
    h_, w_ = background.shape[:2]
    layer = np.zeros((h_, w_, 4), dtype=np.uint8)
    composite = np.dstack([background, np.full((h_, w_), 255, np.uint8)])
    if painted is not None:
        layer[painted] = (*color, 255)
        composite[painted] = (*color, 255)
    return {"background": np.dstack([background, np.full((h_, w_), 255, np.uint8)]),
            "layers": [layer], "composite": composite}


def stroke(h_: int = 24, w_: int = 32) -> np.ndarray:
    region = np.zeros((h_, w_), dtype=bool)
    region[8:14, 10:20] = True
    return region


# ------------------------------------------------------------------------- uploads and paths


def test_uploads_that_are_not_images_name_the_file_not_the_cache(tmp_path: Path) -> None:
    hidden = tmp_path / "gradio-cache" / "abc123"
    hidden.mkdir(parents=True)
    text = hidden / "notes.png"
    text.write_text("not an image")
    with pytest.raises(ImageError) as info:
        read_upload(text)
    assert str(info.value).startswith("notes.png: not an image file")
    assert str(hidden) not in str(info.value)
    truncated = hidden / "cut.png"
    good = hidden / "good.png"
    Image.fromarray(synthetic_image()).save(good)
    truncated.write_bytes(good.read_bytes()[:60])
    with pytest.raises(ImageError, match="^cut.png: cannot decode image"):
        read_upload(truncated)
    with pytest.raises(UsageError, match="upload an image"):
        read_upload(None)


def test_enormous_uploads_are_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "big.png"
    Image.fromarray(synthetic_image()).save(path)
    monkeypatch.setattr("singan_cli.studio.editor.MAX_UPLOAD_BYTES", 100)
    with pytest.raises(ImageError, match="^big.png: is 0 MB; the studio takes images up to"):
        read_upload(path)
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 200)  # a decompression bomb, for Pillow
    monkeypatch.setattr("singan_cli.studio.editor.MAX_UPLOAD_BYTES", 2**20)
    with pytest.raises(ImageError, match="too large to open safely"):
        read_upload(path)


def test_workspace_names_are_ours(ws: Workspace, tiny_model_dir: Path) -> None:
    assert ws.model_dir("rocket-2") == ws.models / "rocket-2"
    for bad in ("../evil", "a/b", "", ".hidden", "x" * 65, "name."):
        with pytest.raises(UsageError, match="model name"):
            ws.model_dir(bad)
    assert ws.next_model_name() == "model-001"
    (ws.models / "model-001").mkdir()
    assert ws.next_model_name() == "model-002"
    assert ws.list_models() == [(str(tiny_model_dir.resolve()), str(tiny_model_dir.resolve()))]
    assert ws.allows(tiny_model_dir) and ws.allows(ws.models / "x")
    assert not ws.allows(Path("/etc")) and not ws.allows(ws.models / ".." / "uploads")
    with pytest.raises(ModelDirError, match="not one of the studio's models"):
        load_studio_model(ws, tiny_model_dir.parent)


def test_pictures_go_to_the_page_as_files_written_once(ws: Workspace) -> None:
    from singan_cli.studio.editor import editor_value
    from singan_cli.studio.tabs.common import as_pictures

    image = synthetic_image(24, 32)
    value = as_pictures(ws, (editor_value(image), editor_value(image)))
    first, second = value
    assert first == second  # one picture shown twice: one file, not two writes of it
    background, blank = Path(first["background"]), Path(first["layers"][0])
    assert background.parent == blank.parent == ws.cache / "pictures"
    assert np.array_equal(read_png(background), image)
    assert np.asarray(Image.open(blank)).shape == (24, 32, 4) and first["composite"] is None
    written = background.stat().st_mtime_ns
    assert ws.picture(image) == background and background.stat().st_mtime_ns == written
    assert ws.picture(image[:, ::-1]) != background


# ------------------------------------------------------------------------- training


def test_train_stop_and_resume(ws: Workspace, tiny_image_path: Path) -> None:
    control = TrainingControl()
    statuses = []
    for status in train_stream(ws, control, tiny_image_path, "tiny", "default", 32, 10, 10):
        statuses.append(status)
        if "done" in status.text and "Scale 1 of" in status.text:
            control.request_stop()  # the page's Stop button, after the first scale
    out = ws.models / "tiny"
    assert statuses[-1].done and statuses[-1].text.startswith("Stopped: 1 scales")
    assert load_model(out).num_trained == 1 and not load_model(out).complete
    assert [p.name for p in statuses[-1].previews] == ["scale_00.png"]
    assert [label for label, _ in ws.list_models()][0] == "tiny"
    assert len(list(ws.uploads.glob("upload_*.png"))) == 1  # our name, not the upload's
    with pytest.raises(ModelDirError, match="already holds a model") as refused:
        list(train_stream(ws, control, tiny_image_path, "tiny", "default", 32, 10, 10))
    assert page_message(refused.value).endswith("press Resume to continue it, tick Overwrite to "
                                                 "start over, or choose another name")
    assert load_model(out).num_trained == 1  # the refused training wrote nothing

    statuses = list(resume_stream(ws, control, str(out)))
    assert statuses[-1].done and statuses[-1].text.startswith("Done: tiny is trained")
    model = load_model(out)
    assert model.complete and model.config.iters == 10 and model.config.max_size == 32
    assert len(statuses[-1].previews) == model.geometry.num_scales
    with pytest.raises(UsageError, match="is complete, nothing to resume"):
        next(resume_stream(ws, control, str(out)))


def test_a_model_stopped_in_its_first_scale_is_listed(ws: Workspace, tiny_image_path: Path,
                                                       tiny_config) -> None:  # type: ignore[no-untyped-def]
    from models.image_io import load_image
    from models.output_dir import prepare_output
    from models.trainer import new_model

    out = ws.models / "early"
    prepare_output(out, new_model(load_image(tiny_image_path, 32), tiny_config))  # 0 scales
    assert ws.list_models()[0] == ("early", str(out))
    info = model_info(ws, str(out))
    assert info.num_trained == 0 and "no scale trained yet" in info.text
    with pytest.raises(ModelDirError):
        sample_images(ws, str(out))


def test_training_refuses_a_bad_upload_before_starting(ws: Workspace, tmp_path: Path) -> None:
    text = tmp_path / "x.jpg"
    text.write_text("hello")
    with pytest.raises(ImageError, match="^x.jpg: not an image"):
        next(train_stream(ws, TrainingControl(), text, "m", "default", 32, 10, 10))
    assert not (ws.models / "m").exists()


# ------------------------------------------------------------------------- applications


def test_sample_writes_numbered_pngs(ws: Workspace, tiny_model_dir: Path) -> None:
    paths = sample_images(ws, str(tiny_model_dir), count=3, start_scale=1, scale_h=1.5, seed=0)
    assert [p.name for p in paths] == ["sample_000.png", "sample_001.png", "sample_002.png"]
    assert read_png(paths[0]).shape == (24, 48, 3)
    again = sample_images(ws, str(tiny_model_dir), count=1, seed=0)
    assert again[0].name == "sample_003.png"  # results are never overwritten
    with pytest.raises(SinganError, match="start"):
        sample_images(ws, str(tiny_model_dir), start_scale=7)
    with pytest.raises(UsageError, match="choose a model"):
        sample_images(ws, None)


def test_sample_can_vary_the_layout_by_patch_matching(ws: Workspace, tiny_model_dir: Path) -> None:
    model_alone = read_png(sample_images(ws, str(tiny_model_dir), count=1, seed=0)[0])
    varied = sample_images(ws, str(tiny_model_dir), count=1, seed=0, vary_layout=True)
    assert read_png(varied[0]).shape == model_alone.shape
    assert not np.array_equal(read_png(varied[0]), model_alone)
    with pytest.raises(UsageError, match="patch scales"):
        sample_images(ws, str(tiny_model_dir), start_scale=1, vary_layout=True)


def test_a_first_look_samples_the_upload_without_training(ws: Workspace, tiny_image_path: Path,
                                                          tmp_path: Path) -> None:
    models = ws.list_models()
    paths = first_look(ws, str(tiny_image_path), count=2, seed=0)
    assert [p.name for p in paths] == ["first_look_000.png", "first_look_001.png"]
    first, second = (read_png(p) for p in paths)
    assert first.shape == read_png(tiny_image_path).shape and not np.array_equal(first, second)
    assert ws.list_models() == models  # nothing was trained
    (tmp_path / "notes.txt").write_text("not an image")
    with pytest.raises(ImageError, match="^notes.txt: not an image"):
        first_look(ws, str(tmp_path / "notes.txt"))


def test_paint_canvas_palette_and_paint_to_image(ws: Workspace, tiny_model_dir: Path) -> None:
    canvas, colors = paint_canvas(ws, str(tiny_model_dir), "palette", 4)
    assert canvas.shape == (24, 32, 3) and len(colors) == 4
    assert all(len(c) == 7 and c.startswith("#") for c in colors)
    used = {f"#{r:02x}{g:02x}{b:02x}" for r, g, b in canvas.reshape(-1, 3)}
    assert used <= set(colors)  # the image mapped to its own palette
    blank, _ = paint_canvas(ws, str(tiny_model_dir), "blank", 4)
    assert len(np.unique(blank.reshape(-1, 3), axis=0)) == 1
    paths = paint_images(ws, str(tiny_model_dir), editor(canvas, stroke()), start_scale=1,
                         count=2, seed=0)
    assert [p.stem for p in paths] == ["painting_000", "paint_000", "paint_001"]
    painting = read_png(paths[0])
    assert painting.shape == (24, 32, 3) and (painting[10, 15] == (255, 0, 255)).all()
    assert all(read_png(p).shape == (24, 32, 3) for p in paths[1:])
    with pytest.raises(ImageError, match="painting is 10x40"):
        paint_images(ws, str(tiny_model_dir), editor(np.zeros((40, 10, 3), np.uint8)))
    with pytest.raises(UsageError, match="painting is empty"):
        paint_images(ws, str(tiny_model_dir), None)


def test_editor_mask_is_where_the_brush_went() -> None:
    background = np.zeros((24, 32, 3), np.uint8)
    assert (editor_mask(editor(background, stroke())) == stroke()).all()
    with pytest.raises(UsageError, match="mask is empty"):
        editor_mask(editor(background))
    with pytest.raises(UsageError, match="mask is empty"):
        editor_mask({"background": None, "layers": [], "composite": None})


@pytest.mark.parametrize("mode", ["harmonize", "edit"])
def test_harmonize_and_edit_with_a_brushed_mask(ws: Workspace, tiny_model_dir: Path,
                                                mode: str) -> None:
    image = model_image(ws, str(tiny_model_dir))
    pasted = editor(image, stroke(), color=(250, 250, 20))
    mask = editor(editor_image(pasted), stroke())
    paths = blend_images(ws, str(tiny_model_dir), mode, pasted, mask, start_scale=1, seed=0)
    expected = [f"{mode}_000_paste", f"{mode}_000_mask", f"{mode}_000"]
    assert [p.stem for p in paths] == expected + ([f"{mode}_000_raw"] if mode == "edit" else [])
    paste, region, result = (read_png(p) for p in paths[:3])
    assert paste.shape == region.shape == result.shape == (24, 32, 3)
    assert ((region[..., 0] > 127) == stroke()).all()
    # outside the dilated, feathered region the input is kept exactly
    assert (result[0:2, 0:4] == paste[0:2, 0:4]).all()
    assert not (result[8:14, 10:20] == paste[8:14, 10:20]).all()


def test_blend_refuses_masks_that_do_not_fit(ws: Workspace, tiny_model_dir: Path) -> None:
    image = model_image(ws, str(tiny_model_dir))
    tall = editor(np.zeros((64, 16, 3), np.uint8), np.ones((64, 16), bool))
    with pytest.raises(ImageError, match="mask is 16x64 but the model's image is 32x24"):
        blend_images(ws, str(tiny_model_dir), "harmonize", editor(image), tall)
    with pytest.raises(UsageError, match="mode 'blend'"):
        blend_images(ws, str(tiny_model_dir), "blend", editor(image), tall)


def test_paste_an_object_with_transparency(ws: Workspace, tiny_model_dir: Path,
                                           tmp_path: Path) -> None:
    obj = np.zeros((10, 10, 4), np.uint8)
    obj[2:8, 2:8] = (255, 255, 0, 255)  # an opaque yellow square on a transparent tile
    path = tmp_path / "object.png"
    Image.fromarray(obj, "RGBA").save(path)
    pasted, layer = paste_object(ws, str(tiny_model_dir), path, x=0.5, y=0.5, width=0.5)
    assert pasted.shape == (24, 32, 3) and layer.shape == (24, 32, 4)
    region = layer[..., 3] > 0
    assert 0 < region.sum() < 16 * 16  # the square, not its transparent tile
    middle = pasted[10:14, 14:18].astype(int)  # resampled, so within a few levels
    assert np.abs(middle - (255, 255, 0)).max() < 20
    assert (editor_mask({"layers": [layer]}) == region).all()


def test_animate_writes_a_looping_gif(ws: Workspace, tiny_model_dir: Path) -> None:
    frames: list[int] = []
    paths = animate_clip(ws, str(tiny_model_dir), frames=4, fps=5, on_frame=frames.append)
    assert [p.name for p in paths] == ["animation_000.gif"] and frames == [0, 1, 2, 3]
    with Image.open(paths[0]) as gif:
        assert gif.n_frames == 4 and gif.size == (32, 24)


def test_super_resolution_in_the_studio(ws: Workspace, tiny_image_path: Path) -> None:
    statuses = list(sr_stream(ws, TrainingControl(), tiny_image_path, factor=2, iters=5))
    bicubic, big = statuses[-1].paths
    assert read_png(bicubic).shape == read_png(big).shape == (48, 64, 3)
    assert statuses[-1].text.startswith("Done: 32x24 -> 64x48")
    with pytest.raises(UsageError, match="above 1"):
        next(sr_stream(ws, TrainingControl(), tiny_image_path, factor=1))


# ------------------------------------------------------------------------- page and command


def test_page_errors_are_one_line_and_the_page_builds(tmp_path: Path) -> None:
    gr = pytest.importorskip("gradio")
    from singan_cli.studio.tabs.common import guard

    def bad_upload() -> None:
        raise ImageError("photo.png: not an image file Pillow can read (use PNG or JPEG)")

    def bug() -> None:
        raise KeyError("oops")

    def stream() -> Any:
        yield 1
        raise UsageError("upload an image first")

    with pytest.raises(gr.Error) as info:
        guard(bad_upload)()
    assert info.value.message == "photo.png: not an image file Pillow can read (use PNG or JPEG)"
    with pytest.raises(gr.Error, match="unexpected error \\(KeyError"):
        guard(bug)()
    wrapped = guard(stream)
    with pytest.raises(gr.Error, match="upload an image first"):
        list(wrapped())
    # Built in a child process: a gr.Blocks leaves an asyncio loop of Gradio's own unclosed,
    # which pytest (warnings as errors) would report at the end of the whole run.
    code = ("import sys, gradio as gr; from pathlib import Path; "
            "from singan_cli.studio.app import build_app; "
            "from singan_cli.studio.workspace import Workspace; "
            "demo = build_app(Workspace(Path(sys.argv[1]))); print(isinstance(demo, gr.Blocks)); "
            "print(sorted(d['api_name'] for d in demo.config['dependencies'] "
            "if d['show_progress'] != 'full'))")
    built = subprocess.run([sys.executable, "-c", code, str(tmp_path / "ws")], capture_output=True,
                           text=True, check=False, env={**os.environ, "GRADIO_ANALYTICS_ENABLED": "False"})
    assert built.returncode == 0, built.stderr[-2000:]
    assert built.stdout.split("\n")[0] == "True"
    # the trainings stream their own status; Gradio's full pending display would keep the
    # browser redrawing on the training's cores
    assert built.stdout.split("\n")[1] == "['on_look', 'on_resume', 'on_sr', 'on_train']"
    assert not (tmp_path / "ws").exists()  # building the page writes nothing


def test_command_without_gradio_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "gradio" else real(name, *a))
    result = CliRunner().invoke(app, ["studio"])
    assert result.exit_code == 1
    assert result.stderr.strip() == ("error: singan studio needs the studio extra: "
                                     "pip install 'singan-cli[studio]'")
    assert result.stdout == ""


def test_command_refuses_a_model_dir_that_is_not_one(tmp_path: Path) -> None:
    pytest.importorskip("gradio")
    result = CliRunner().invoke(app, ["studio", str(tmp_path), "--workspace", str(tmp_path / "w")])
    assert result.exit_code == 1 and str(tmp_path) in result.stderr
    assert "given to singan studio" in result.stderr and not (tmp_path / "w").exists()


def test_help_imports_neither_gradio_nor_torch() -> None:
    code = ("import sys; from singan_cli.main import app; "
            "print('gradio' in sys.modules, 'torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


@pytest.mark.parametrize("tab", ["harmonize", "paint"])
def test_stop_cancels_a_fine_tune_and_writes_nothing(ws: Workspace, tiny_model_dir: Path,
                                                     tab: str) -> None:
    """Stop pressed while the harmonize / quantize fine-tune runs: it ends at the next report,
    no result is written, and the next run (Stop cleared) finishes."""
    control = TrainingControl()
    seen: list[Any] = []

    def press_stop(report: Any) -> None:
        seen.append(report)
        control.request_stop()

    image = model_image(ws, str(tiny_model_dir))
    pasted = editor(image, stroke(), color=(250, 250, 20))

    def run(progress: Any) -> list[Path]:
        if tab == "harmonize":
            return blend_images(ws, str(tiny_model_dir), "harmonize", pasted,
                                editor(image, stroke()), start_scale=1, finetune_iters=400,
                                seed=0, progress=progress)
        return paint_images(ws, str(tiny_model_dir), pasted, start_scale=1, quantize=True,
                            colors=3, finetune_iters=400, seed=0, progress=progress)

    with pytest.raises(StopRequested):
        run(control.watch(press_stop))
    assert [(r.iteration, r.iters) for r in seen] == [(10, 400)]  # one report, then stopped
    assert not list(ws.root.rglob("*.png"))
    paths = run(control.watch())  # a new action clears Stop
    assert paths and all(p.is_file() for p in paths)


def test_a_stop_pressed_while_the_action_waits_in_the_queue_still_stops_it() -> None:
    """Run clicked (the tab arms the control), then Stop clicked before the queued action has
    begun: the action stops at its first report. The next Run clears Stop again."""
    from types import SimpleNamespace

    pytest.importorskip("gradio")
    from singan_cli.studio.tabs.common import STOPPED, Finetune

    finetune = Finetune()
    reports: list[Any] = []

    def action(progress: Any) -> list[Path]:
        progress(SimpleNamespace(scale=1, iteration=10, iters=400))
        return []

    finetune.control.arm()
    finetune.control.request_stop()
    assert finetune.run(lambda *a, **k: reports.append(a), action, lambda n: [])[1] == STOPPED
    assert not reports  # stopped before the report reached the progress bar
    finetune.control.arm()
    assert finetune.run(lambda *a, **k: reports.append(a), action, lambda n: [])[1].startswith("Done")
    assert len(reports) == 1


def test_every_fix_is_worded_for_the_page_without_flags() -> None:
    from models.errors import Fix

    assert set(STUDIO_FIXES) == set(Fix)
    assert not any("--" in words for words in STUDIO_FIXES.values())
    error = UsageError("training at max_size 900 needs about 9 GiB", fix=Fix.MAX_SIZE, fits=420)
    assert page_message(error) == ("training at max_size 900 needs about 9 GiB; set Max size to 420 "
                                   "or less")
