import os
import subprocess
import sys

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


def test_every_command_has_help():
    from hubtools.cli import build_parser

    parser = build_parser()
    commands = parser._subparsers._group_actions[0].choices
    for name, sub in commands.items():
        assert sub.format_help(), name
