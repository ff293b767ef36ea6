"""docs/cli.md is the `--help` of every command; regenerate with HUBTOOLS_REGENERATE_GOLDEN=1."""

import argparse
import os
from pathlib import Path

from hubtools.cli import build_parser

REFERENCE = Path(__file__).resolve().parent.parent / "docs" / "cli.md"


def _walk(parser: argparse.ArgumentParser, prog: str):
    yield prog, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from _walk(sub, f"{prog} {name}")


def render_reference() -> str:
    parts = [
        "# Command-line reference",
        "",
        "Generated from `--help`; `tests/test_cli_reference.py` keeps it current.",
        "",
    ]
    for prog, parser in _walk(build_parser(), "hubtools"):
        parser.prog = prog
        parts += [f"## `{prog}`", "", "```text", parser.format_help().rstrip(), "```", ""]
    return "\n".join(parts)


def test_cli_reference_is_current(monkeypatch):
    monkeypatch.setenv("COLUMNS", "100")  # argparse wraps help to the terminal width
    text = render_reference()
    if os.environ.get("HUBTOOLS_REGENERATE_GOLDEN"):
        REFERENCE.write_text(text)
    assert REFERENCE.read_text() == text, (
        "docs/cli.md is stale: run HUBTOOLS_REGENERATE_GOLDEN=1 pytest tests/test_cli_reference.py"
    )
