"""`hubtools hub ...`: run the embedded, Hub-compatible server."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from pathlib import Path

from hubtools.cli._common import Formatter
from hubtools.errors import HubtoolsError

SERVE_EPILOG = """\
examples:
  hubtools hub serve                                 # data in $HUBTOOLS_HOME/hub, port 8765
  hubtools hub serve --root ./hub-data --port 9000
  hubtools hub serve --host 0.0.0.0 --token s3cret --token other --user alice

then point the Hugging Face clients at it (before they are imported):
  export HF_ENDPOINT=http://127.0.0.1:8765 HF_HUB_DISABLE_XET=1 HF_TOKEN=hf_local_dev
"""


def register(subparsers: argparse._SubParsersAction) -> None:
    hub = subparsers.add_parser("hub", help="run the embedded Hugging Face Hub-compatible server")
    commands = hub.add_subparsers(dest="hub_command", metavar="COMMAND", required=True)
    serve = commands.add_parser(
        "serve",
        help="serve a local Hub that huggingface_hub, datasets and transformers can use",
        description="Serve repos (models, datasets, Spaces) from git repositories under --root, speaking the "
        "Hugging Face Hub HTTP API. Stop with Ctrl-C or SIGTERM; data survives restarts.",
        epilog=SERVE_EPILOG,
        formatter_class=Formatter,
    )
    serve.add_argument("--root", type=Path, help="data folder (default: $HUBTOOLS_HOME/hub)")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8765, help="port to listen on; 0 picks a free one (default: 8765)")
    serve.add_argument(
        "--token",
        dest="tokens",
        action="append",
        default=[],
        metavar="TOKEN",
        help="accepted token (repeatable); without it any non-empty token may write (local development)",
    )
    serve.add_argument("--user", default="local", help="user name reported by whoami and on commits (default: local)")
    serve.add_argument("--verbose", action="store_true", help="log one line per request to stderr")
    serve.set_defaults(func=serve_command)


def serve_command(args: argparse.Namespace) -> int:
    from hubtools.hub.server import running_hub
    from hubtools.hub.target import LOCAL_DEV_TOKEN, hubtools_home

    root = args.root or hubtools_home() / "hub"
    stop = threading.Event()
    previous = {sig: signal.signal(sig, lambda *_: stop.set()) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        try:
            context = running_hub(
                root, host=args.host, port=args.port, tokens=args.tokens, user=args.user, log_requests=args.verbose
            )
            server = context.__enter__()
        except OSError as error:
            raise HubtoolsError(f"cannot serve on {args.host}:{args.port}: {error.strerror or error}") from error
        except ValueError as error:
            raise HubtoolsError(str(error)) from error
        try:
            token_hint = "one of the --token values" if args.tokens else LOCAL_DEV_TOKEN
            print(f"hubtools hub: serving {root} at {server.url}", file=sys.stderr)
            print("point the Hugging Face clients at it with:", file=sys.stderr)
            print(f"  export HF_ENDPOINT={server.url} HF_HUB_DISABLE_XET=1", file=sys.stderr)
            print(f"  export HF_TOKEN={token_hint}", file=sys.stderr)
            print("stop with Ctrl-C", file=sys.stderr, flush=True)
            while not stop.wait(0.5):
                pass
        finally:
            context.__exit__(None, None, None)
        print("hubtools hub: stopped", file=sys.stderr, flush=True)
        return 0
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
