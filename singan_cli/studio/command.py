"""`singan studio [MODEL_DIR ...]`: start the local web page and print its URL.

    singan studio                          # http://127.0.0.1:7860/, workspace ./singan-studio/
    singan studio model/ --port 8000 --workspace ~/singan-studio

Imports gradio (the `studio` extra) only when run, so `singan --help` stays fast.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path
from typing import Annotated

import typer

from singan_cli.common import emit, say, user_errors

LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")
INSTALL_HINT = "singan studio needs the studio extra: pip install 'singan-cli[studio]'"


def studio_command(
    model_dirs: Annotated[list[Path] | None, typer.Argument(
        metavar="[MODEL_DIR]...", help="Model directories to offer besides the workspace's.")] = None,
    workspace: Annotated[Path, typer.Option(help="Folder for the page's models, uploads and "
                                            "results.")] = Path("singan-studio"),
    host: Annotated[str, typer.Option(help="Address to listen on. Anything but 127.0.0.1 lets "
                                      "others on the network use the studio.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on.")] = 7860,
) -> None:
    """Start the studio, a local web page to train, sample, paint, harmonize, edit, animate and
    enlarge (its URL goes to stdout; Ctrl-C stops it)."""
    with user_errors():
        from models.errors import ModelDirError, OutputError, SinganError

        if importlib.util.find_spec("gradio") is None:
            raise SinganError(INSTALL_HINT)
        from models.checkpoint import load_model
        from singan_cli.studio.workspace import Workspace

        for folder in model_dirs or []:
            try:
                load_model(folder, allow_empty=True)
            except ModelDirError as exc:
                raise ModelDirError(f"{exc.what} (given to singan studio)", path=exc.path,
                                    fix=exc.fix, **exc.facts) from None
        ws = Workspace(workspace, list(model_dirs or []))
        try:
            ws.create()
        except OSError as exc:
            raise OutputError(f"{ws.root}: cannot create the workspace ({exc.strerror or exc}); "
                              f"choose another --workspace") from None
        # Before gradio is imported: no telemetry or version check, and its upload cache lives
        # in the workspace (uploads are never written anywhere else).
        os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"
        os.environ["HF_HUB_OFFLINE"] = "1"
        os.environ["HF_HUB_DISABLE_TELEMETRY"] = "1"
        os.environ["GRADIO_TEMP_DIR"] = str(ws.cache)
        from singan_cli.studio.app import build_app
        from singan_cli.studio.editor import MAX_UPLOAD_BYTES

        if host not in LOCAL_HOSTS:
            say(f"warning: listening on {host}: anyone who can reach port {port} can use this "
                f"studio (train, upload, and read its workspace {ws.root})")
        demo = build_app(ws)
        demo.queue(default_concurrency_limit=1)
        try:
            _, url, _ = demo.launch(server_name=host, server_port=port, share=False, quiet=True,
                                    prevent_thread_lock=True, inbrowser=False,
                                    allowed_paths=[str(ws.root), *map(str, ws.extra_models)],
                                    max_file_size=MAX_UPLOAD_BYTES, ssr_mode=False,
                                    mcp_server=False, pwa=False, footer_links=["settings"])
        except OSError:  # Gradio's message names its own environment variables, not our flags
            raise SinganError(f"cannot listen on {host}:{port}: the port is taken (or the address "
                              f"is not one of this machine's); choose another --port") from None
        emit(url)
        say(f"studio: workspace {ws.root}; models: {len(ws.list_models())}; Ctrl-C stops it")
        try:
            demo.block_thread()
        except KeyboardInterrupt:
            pass
        finally:
            demo.close()
