"""`hubtools hub ...`: run the embedded, Hub-compatible server."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from hubtools.cli._common import Formatter
from hubtools.errors import HubtoolsError

if TYPE_CHECKING:
    from hubtools.hub.users import Accounts

SERVE_EPILOG = """\
examples:
  hubtools hub serve                                 # data in $HUBTOOLS_HOME/hub, port 8765
  hubtools hub serve --root ./hub-data --port 9000
  hubtools hub serve --host 0.0.0.0 --token-file ~/.hub-token --user alice
  HUBTOOLS_HUB_TOKEN=s3cret hubtools hub serve --host 0.0.0.0 --user alice
  hubtools hub serve --host 0.0.0.0 --users users.toml      # several users, each with their namespace

users.toml:
  [users.alice]
  token = "hf_..."          # or a list: token = ["hf_...", "hf_..."]
  orgs = ["team"]
  [users.bob]
  token = "hf_..."

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
        help="accepted token (repeatable; visible in the process list: prefer --token-file or $HUBTOOLS_HUB_TOKEN); "
        "with no token at all, any non-empty token may write (local development, loopback only)",
    )
    serve.add_argument(
        "--token-file", type=Path, metavar="FILE", help="read accepted tokens from FILE, one a line ('#' comments)"
    )
    serve.add_argument("--user", default="local", help="the user the tokens belong to (default: local)")
    serve.add_argument(
        "--users", type=Path, metavar="USERS.toml", help="several users with their tokens and orgs (see below)"
    )
    serve.add_argument(
        "--insecure-open",
        action="store_true",
        help="allow serving a non-loopback address without any token: anyone on the network may write",
    )
    serve.add_argument("--verbose", action="store_true", help="log one line per request to stderr")
    serve.set_defaults(func=serve_command)


def _accounts(args: argparse.Namespace) -> Accounts:
    """Who may use the Hub, from --users, or from --token/--token-file/$HUBTOOLS_HUB_TOKEN and --user."""
    from hubtools.hub.users import Accounts, load_users, read_token_file, tokens_from_env

    tokens = [*args.tokens, *tokens_from_env()]
    if args.token_file is not None:
        tokens += read_token_file(args.token_file.expanduser())
    if args.users is not None:
        if tokens:
            raise HubtoolsError("--users cannot be combined with --token, --token-file or $HUBTOOLS_HUB_TOKEN")
        return load_users(args.users.expanduser())
    try:
        return Accounts.single(args.user, tokens)
    except ValueError as error:
        raise HubtoolsError(f"--user: {error}") from None


def serve_command(args: argparse.Namespace) -> int:
    from hubtools.hub.server import running_hub
    from hubtools.hub.target import LOCAL_DEV_TOKEN
    from hubtools.paths import hubtools_home

    root = args.root or hubtools_home() / "hub"
    accounts = _accounts(args)
    stop = threading.Event()
    previous = {sig: signal.signal(sig, lambda *_: stop.set()) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        try:
            context = running_hub(
                root,
                host=args.host,
                port=args.port,
                users=accounts,
                insecure_open=args.insecure_open,
                log_requests=args.verbose,
            )
            server = context.__enter__()
        except OSError as error:
            raise HubtoolsError(f"cannot serve on {args.host}:{args.port}: {error.strerror or error}") from error
        except ValueError as error:
            raise HubtoolsError(str(error)) from error
        try:
            if accounts.open and args.insecure_open:
                _banner(
                    f"INSECURE: serving {args.host} without tokens: anyone who can reach it may write, delete "
                    "and read every repo, private ones included"
                )
            token_hint = LOCAL_DEV_TOKEN if accounts.open else "one of your tokens"
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


def _banner(message: str) -> None:
    line = "!" * 78
    print(f"{line}\n!! {message}\n{line}", file=sys.stderr, flush=True)
