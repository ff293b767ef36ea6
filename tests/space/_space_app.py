"""Launch `spaces/chat/app.py` in this process on a free local port, as the tests and the browser test need it."""

from __future__ import annotations

import contextlib
import importlib.util
import socket
from collections.abc import Iterator
from pathlib import Path

APP_FILE = Path(__file__).resolve().parents[2] / "spaces" / "chat" / "app.py"


def load_app_module():
    spec = importlib.util.spec_from_file_location("chat_space_app", APP_FILE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def running_app(service, **options) -> Iterator[str]:
    """Serve the app around `service` (and `build_demo`'s `options`) until the block ends; yields its URL."""
    app = load_app_module()
    demo = app.build_demo(service, **options)
    port = free_port()
    demo.queue(default_concurrency_limit=16).launch(
        server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True, **app.LAUNCH_OPTIONS
    )
    try:
        yield f"http://127.0.0.1:{port}/"
    finally:
        demo.close()
