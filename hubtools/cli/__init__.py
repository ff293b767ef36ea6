"""The `hubtools` command: parses arguments and calls library functions; imports nothing heavy up front."""

from __future__ import annotations

import argparse
import importlib
import os
import sys

from hubtools import __version__
from hubtools.errors import HubtoolsError

# One module per command group; each exposes `register(subparsers)`.
GROUPS = (
    "hubtools.cli.hub",
    "hubtools.cli.data",
    "hubtools.cli.train",
    "hubtools.cli.eval",
    "hubtools.cli.space",
    "hubtools.cli.release",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="hubtools",
        description="Build chat datasets, fine-tune, evaluate and publish small chat models and their Space.",
        epilog="Run `hubtools COMMAND --help` for a command's options and examples.",
    )
    parser.add_argument("--version", action="version", version=f"hubtools {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in GROUPS:
        importlib.import_module(name).register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run one command: a user error is one line, and so is a bug (its traceback goes to a log file)."""
    argv = sys.argv[1:] if argv is None else argv
    try:
        args = build_parser().parse_args(argv)
        result = args.func(args)
    except HubtoolsError as error:
        notes = "; ".join(getattr(error, "__notes__", ()))
        print(f"hubtools: error: {error}" + (f" ({notes})" if notes else ""), file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("hubtools: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `hubtools … | head` closed our stdout: not an error worth a word
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    except Exception as error:
        from hubtools.cli._crash import report_unexpected

        return report_unexpected(error, argv)
    return int(result or 0)
