"""Options shared by several commands, defined once."""

from __future__ import annotations

import argparse


def add_hub_options(parser: argparse.ArgumentParser) -> None:
    """`--hub` and `--token`: which Hub to talk to and with what credentials."""
    group = parser.add_argument_group("Hub target")
    group.add_argument(
        "--hub",
        metavar="local|URL",
        help="'local' starts the embedded Hub for this command; a URL targets that Hub "
        "(default: $HF_ENDPOINT or https://huggingface.co)",
    )
    group.add_argument(
        "--token",
        help="Hub token (default: $HF_TOKEN or the token saved by `hf auth login`); never printed",
    )


def add_revision_option(parser: argparse.ArgumentParser, *, what: str = "repo") -> None:
    parser.add_argument("--revision", metavar="REV", help=f"branch, tag or commit sha of the {what} (default: main)")


class Formatter(argparse.RawDescriptionHelpFormatter):
    """Keeps the examples in epilogs laid out as written."""
