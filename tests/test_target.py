import argparse
import contextlib
import io
import itertools
import os
import shlex
import subprocess
import sys
from collections.abc import Iterator

import pytest

from hubtools.errors import HubtoolsError
from hubtools.hub.target import HubTarget, apply_target, resolve_target


def test_url_target_keeps_token_out_of_its_text():
    target = resolve_target("https://hub.example.org/", token="hf_secret_value")
    assert target.endpoint == "https://hub.example.org"
    assert target.token == "hf_secret_value"
    assert "hf_secret_value" not in repr(target)
    assert "hf_secret_value" not in str(target)


def test_bad_hub_value_names_the_option():
    with pytest.raises(HubtoolsError, match="--hub"):
        resolve_target("ftp://nowhere")


def test_embedded_hub_is_recognised_by_url(hub, monkeypatch):
    monkeypatch.delenv("HUBTOOLS_EMBEDDED_HUB", raising=False)
    target = resolve_target(hub.url)
    assert target.embedded
    assert target.token  # the embedded Hub gets a development token


def test_refuses_a_second_endpoint_once_clients_are_imported(hub):
    import huggingface_hub.constants  # noqa: F401  (reads the session Hub)

    with pytest.raises(HubtoolsError, match="imported before the Hub target"):
        apply_target(HubTarget(endpoint="https://elsewhere.example.org"))
    assert os.environ["HF_ENDPOINT"] == hub.url


def test_cli_help_imports_no_heavy_library():
    code = (
        "import sys\n"
        "from hubtools.cli import build_parser\n"
        "build_parser().format_help()\n"
        "heavy = {'torch', 'transformers', 'trl', 'datasets', 'gradio', 'huggingface_hub', 'peft', 'evaluate',"
        " 'ctranslate2'}\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in heavy))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


_SHELL_OPERATORS = {"|", "||", "&", "&&", ";", ">", ">>", "<", "2>"}


def _commands(
    parser: argparse.ArgumentParser, path: tuple[str, ...] = ()
) -> Iterator[tuple[str, argparse.ArgumentParser, bool]]:
    """Every parser of the CLI: its command words, itself, and whether it is a leaf (runs something)."""
    groups = [action for action in parser._actions if isinstance(action, argparse._SubParsersAction)]
    yield " ".join(path), parser, not groups
    for group in groups:
        for name, sub in group.choices.items():
            yield from _commands(sub, (*path, name))


def _examples(epilog: str | None) -> list[list[str]]:
    """The `hubtools ...` lines of an epilog as words, cut at the first shell operator (`| jq`, `> FILE`)."""
    examples = []
    for line in (epilog or "").splitlines():
        if not line.strip().startswith("hubtools "):
            continue
        lexer = shlex.shlex(line.strip(), posix=True, punctuation_chars=True)
        lexer.whitespace_split = True
        words = list(itertools.takewhile(lambda word: word not in _SHELL_OPERATORS, lexer))
        examples.append(words)
    return examples


def test_every_command_describes_itself_and_shows_examples():
    from hubtools.cli import build_parser

    missing = []
    for name, parser, leaf in _commands(build_parser()):
        if leaf:
            if not (parser.description or "").strip():
                missing.append(f"{name}: no description")
            if not _examples(parser.epilog):
                missing.append(f"{name}: no `hubtools {name} ...` example in its epilog")
    assert not missing, missing


def test_every_example_in_the_help_parses_and_runs_its_own_command():
    from hubtools.cli import build_parser

    checked, wrong = 0, []
    for name, parser, _leaf in _commands(build_parser()):
        for words in _examples(parser.epilog):
            checked += 1
            example = " ".join(words)
            if name and words[1 : 1 + len(name.split())] != name.split():
                wrong.append(f"{name}: example runs another command: {example}")
                continue
            stderr = io.StringIO()
            try:
                with contextlib.redirect_stderr(stderr), contextlib.redirect_stdout(io.StringIO()):
                    build_parser().parse_args(words[1:])
            except SystemExit:
                wrong.append(f"{name}: {example}: {stderr.getvalue().strip().splitlines()[-1:]}")
    assert checked >= 20 and not wrong, wrong
