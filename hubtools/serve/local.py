"""Serving a Space on this machine: the Gradio chat app (`hubtools space run`, `release --serve`) or the static
in-browser chat page, pointed at the Hub target already entered."""

from __future__ import annotations

import os
import sys
import threading
from pathlib import Path

from hubtools.errors import HubtoolsError


def launch_space(
    model: str,
    revision: str | None,
    *,
    where: str,
    host: str = "127.0.0.1",
    port: int = 7860,
    backend: str = "auto",
    maintainer: bool = False,
    app_dir: Path | None = None,
) -> None:
    """Serve the chat Space app locally until interrupted (inside an entered `hub_target`)."""
    os.environ["MODEL_REPO"] = model
    if revision:
        os.environ["MODEL_REVISION"] = revision
    os.environ["SERVE_BACKEND"] = backend
    if maintainer:
        os.environ["SHOW_CHECKPOINTS"] = "1"
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    app = load_app(app_dir)
    demo = app.build_demo()
    print(f"hubtools space: serving {model} from {where} at http://{host}:{port}/", file=sys.stderr)
    demo.queue(default_concurrency_limit=16).launch(
        server_name=host, server_port=port, show_error=False, quiet=True, **app.LAUNCH_OPTIONS
    )


def serve_static_space(
    model: str, revision: str | None, *, target, host: str, port: int, app_dir: Path | None
) -> None:
    """Serve the static Space's page locally until interrupted, pointed at the Hub target."""
    from huggingface_hub import HfApi

    from hubtools.serve.resolve import resolve_model
    from hubtools.serve.static_server import running_static_space
    from hubtools.serve.static_space import WEB_APP_DIR, space_config, static_space_files

    resolved = resolve_model(model, revision, api=HfApi(endpoint=target.endpoint, token=target.token))
    config = space_config(model, resolved.commit, target.endpoint)
    files = static_space_files(app_dir or WEB_APP_DIR, config, models=[model], datasets=[])
    with running_static_space(files, host=host, port=port) as url:
        print(
            f"hubtools space: in-browser chat for {model}@{resolved.commit[:12]} from {target} at {url}",
            file=sys.stderr,
        )
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            pass


def load_app(app_dir: Path | None):
    import importlib.util

    from hubtools.serve.deploy import DEFAULT_APP_DIR

    app_file = (app_dir or DEFAULT_APP_DIR) / "app.py"
    if not app_file.is_file():
        raise HubtoolsError(f"no chat Space app at {app_file} (pass --app-dir)")
    spec = importlib.util.spec_from_file_location("hubtools_chat_space", app_file)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
