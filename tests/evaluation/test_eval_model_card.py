"""Model cards: golden files from the hand-written fixture, metadata round trip, validation by the embedded Hub.

Regenerate the golden files after an intended template change with
`HUBTOOLS_REGENERATE_GOLDEN=1 pytest tests/evaluation/test_eval_model_card.py` and review the diff.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

from hubtools.cards.model_card import count_parameters, escape_cell, render_model_card
from hubtools.errors import HubtoolsError

GOLDEN = Path(__file__).parent / "golden"
FIXTURES = Path(__file__).parent / "fixtures"
REPO_ID = "local/grafito-small"
COMMIT = "1a5d76f45bb1ceb5ca012b6337072796df00c383"


def check_golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if os.environ.get("HUBTOOLS_REGENERATE_GOLDEN"):
        path.write_text(text, encoding="utf-8")
    assert path.is_file(), f"missing golden file {path}: run with HUBTOOLS_REGENERATE_GOLDEN=1"
    assert text == path.read_text(encoding="utf-8"), f"{name} differs from the golden file (see module docstring)"


def render_release(model_dir: Path) -> str:
    return render_model_card(
        model_dir, repo_id=REPO_ID, revision="v2", previous=FIXTURES / "previous", endpoint="https://huggingface.co"
    )


def first_release_dir(card_model_dir: Path) -> Path:
    """The fixture as a first release: a base from a config, a local data recipe, no previous release."""
    train = json.loads((card_model_dir / "hubtools_train.json").read_text())
    train["base_model"] = {"config": {"model_type": "gpt2", "n_layer": 2}}
    train["dataset"] = {"recipe": "grafito-chat", "path": "/data/grafito-chat"}
    (card_model_dir / "hubtools_train.json").write_text(json.dumps(train))
    results = json.loads((card_model_dir / "eval_results.json").read_text())
    results["models"]["previous"] = None
    results["eval_dataset"] = {"path": "/data/grafito-chat", "split": "test"}
    for probe in results["probes"]:
        del probe["answers"]["previous"]
    (card_model_dir / "eval_results.json").write_text(json.dumps(results))
    (card_model_dir / "loss_curve.png").unlink()
    return card_model_dir


def test_card_golden_with_previous_release(card_model_dir):
    check_golden("model_card.txt", render_release(card_model_dir))


def test_card_golden_first_release(card_model_dir):
    text = render_model_card(first_release_dir(card_model_dir), repo_id=REPO_ID, endpoint="http://127.0.0.1:8080")
    check_golden("model_card_first_release.txt", text)


def test_lora_is_tagged_and_named(card_model_dir):
    from huggingface_hub import ModelCard

    train = json.loads((card_model_dir / "hubtools_train.json").read_text())
    (card_model_dir / "hubtools_train.json").write_text(json.dumps({**train, "lora": True}))
    text = render_release(card_model_dir)
    assert {"lora", "peft"} <= set(ModelCard(text).data.tags)
    assert "| 4.2K | LoRA | 512 |" in text


def test_card_content(card_model_dir):
    text = render_release(card_model_dir)
    assert f"https://huggingface.co/datasets/local/grafito-chat/tree/{COMMIT}" in text
    assert "![Training loss](loss_curve.png)" in text
    assert 'repo_id, revision = "local/grafito-small", "v2"' in text
    assert "| grafito-small | local/tiny-gpt2-base@v0 | 4.2K | full fine-tuning | 512 | 1000 steps |" in text
    assert "To chat with you \\| and help.<br>Ask me &lt;anything&gt;!" in text
    assert "| perplexity | 15.0000 | 12.3457 | -2.6543 (-17.7%) |" in text


def test_every_table_row_has_its_header_width(card_model_dir):
    """Escaping holds: no cell text adds or splits a column."""
    for text in (
        render_release(card_model_dir),
        render_model_card(first_release_dir(card_model_dir), repo_id=REPO_ID),
    ):
        width = None
        for line in text.splitlines():
            if not line.startswith("|"):
                width = None
                continue
            cells = len(re.findall(r"(?<!\\)\|", line)) - 1
            width = width or cells
            assert cells == width, line


def test_escape_cell():
    assert escape_cell("a|b\nc\r\nd <e> & f") == "a\\|b<br>c<br>d &lt;e&gt; &amp; f"
    assert escape_cell("  padded  ") == "padded"


def test_metadata_round_trip(card_model_dir):
    from huggingface_hub import ModelCard
    from huggingface_hub.repocard_data import model_index_to_eval_results

    data = ModelCard(render_release(card_model_dir)).data
    assert data.base_model == "local/tiny-gpt2-base"
    assert data.datasets == ["local/grafito-chat"]
    assert (data.pipeline_tag, data.license, data.language, data.library_name) == (
        "text-generation", "apache-2.0", "en", "transformers"
    )  # fmt: skip
    assert "hubtools" in data.tags

    name, results = model_index_to_eval_results(data.to_dict()["model-index"])
    assert name == REPO_ID
    assert {result.metric_type: result.metric_value for result in results} == {"perplexity": 12.3457, "loss": 2.5133}
    for result in results:
        assert (result.task_type, result.dataset_type, result.dataset_split) == (
            "text-generation", "local/grafito-chat", "test"
        )  # fmt: skip
        assert result.dataset_revision == COMMIT
    assert [(r.metric_type, r.metric_value) for r in data.eval_results] == [
        (r.metric_type, r.metric_value) for r in results
    ]


def test_first_release_metadata_has_no_hub_provenance(card_model_dir):
    from huggingface_hub import ModelCard

    data = ModelCard(render_model_card(first_release_dir(card_model_dir), repo_id=REPO_ID)).data
    assert data.base_model is None and data.datasets is None
    assert "lora" not in data.tags
    assert data.eval_results[0].dataset_type == "grafito-chat"


def test_cards_validate_on_the_embedded_hub(card_model_dir, hub):
    from huggingface_hub import ModelCard

    ModelCard(render_release(card_model_dir)).validate()
    ModelCard(render_model_card(first_release_dir(card_model_dir), repo_id=REPO_ID)).validate()


def test_card_command_prints_the_card(card_model_dir, capsys):
    from hubtools.cli import main

    argv = ["card", str(card_model_dir), "--repo-id", REPO_ID, "--revision", "v2"]
    argv += ["--previous-dir", str(FIXTURES / "previous"), "--endpoint", "https://huggingface.co"]
    assert main(argv) == 0
    assert capsys.readouterr().out == render_release(card_model_dir)
    assert main(["card", str(FIXTURES), "--repo-id", REPO_ID]) == 1
    assert "no hubtools_train.json" in capsys.readouterr().err


def test_card_shows_the_web_export_and_its_q8_agreement(card_model_dir):
    (card_model_dir / "onnx").mkdir()
    check = {
        "tolerance": 1e-4,
        "logits_diff_no_past": 3e-6,
        "logits_diff_with_past": 4.2e-6,
        "logits_scale": 3.0,
        "prompts": 6,
        "greedy_equal": 6,
        "greedy_tokens": 144,
        "q8_agreement": 0.96527,
        "q8_positions": 144,
    }
    record = {"files": {"model.onnx": 652_106_750, "model_quantized.onnx": 163_602_365}, "check": check}
    (card_model_dir / "onnx" / "hubtools_web.json").write_text(json.dumps(record))
    text = render_model_card(card_model_dir, repo_id=REPO_ID, revision="v2", endpoint="http://127.0.0.1:8080")
    assert '`model.onnx` (fp32, 652 MB) and `model_quantized.onnx` (dynamic int8, `dtype: "q8"`,\n164 MB)' in text
    assert "**q8 agreement: 96.5%**, the\nshare of 144 greedy next-token choices" in text
    assert "fp32 logits within 4.2e-06" in text
    assert 'env.remoteHost = "http://127.0.0.1:8080/";' in text
    assert 'pipeline("text-generation", "local/grafito-small", { revision: "v2", dtype: "q8" })' in text
    (card_model_dir / "onnx" / "hubtools_web.json").unlink()
    assert "### In the browser" not in render_release(card_model_dir)


def test_card_names_a_broken_web_report(card_model_dir):
    import pytest

    from hubtools.errors import HubtoolsError

    (card_model_dir / "onnx").mkdir()
    (card_model_dir / "onnx" / "hubtools_web.json").write_text(json.dumps({"files": {}, "check": {}}))
    with pytest.raises(HubtoolsError, match=r"hubtools_web.json: missing or malformed field 'model.onnx'"):
        render_release(card_model_dir)


def test_parameters_are_counted_from_every_safetensors_file(tmp_path):
    import numpy as np
    from safetensors.numpy import save_file

    save_file({"a": np.zeros((3, 4), dtype=np.float32), "b": np.zeros(5, dtype=np.int8)}, tmp_path / "one.safetensors")
    save_file({"c": np.zeros((2, 2, 2), dtype=np.float16)}, tmp_path / "two.safetensors", metadata={"format": "np"})
    assert count_parameters(tmp_path) == 12 + 5 + 8
    assert count_parameters(tmp_path / "missing") is None


def test_a_broken_safetensors_file_is_named_not_a_traceback(tmp_path):
    (tmp_path / "model.safetensors").write_bytes(b"\x08\x00\x00\x00\x00\x00\x00\x00{broken}")
    with pytest.raises(HubtoolsError, match=r"model\.safetensors: not a readable safetensors file"):
        count_parameters(tmp_path)


def _as_dpo(card_model_dir: Path, *, chained: bool) -> Path:
    """The fixture as a DPO model: alone (from a released SFT model), or as the DPO stage of a chained release."""
    train = json.loads((card_model_dir / "hubtools_train.json").read_text())
    train["recipe"] = "demo-dpo"
    train["hyperparameters"] = {**train["hyperparameters"], "method": "dpo", "learning_rate": 5e-05}
    train["hyperparameters"]["dpo"] = {"beta": 0.25, "loss_type": "ipo", "label_smoothing": 0.0}
    train["dataset"] = {**train["dataset"], "config": "preferences"}
    train["preference_margin"] = {"pairs": 22, "before": -1.234, "after": 3.5}
    train["preference_pairs"] = {"train": 22, "eval": 0}
    train["steps"] = 40
    if chained:
        train["base_model"] = {"stage": "sft"}
        train["sft_stage"] = {
            "recipe": "demo",
            "steps": 300,
            "train_loss": 2.5,
            "hyperparameters": {"learning_rate": 3e-3},
        }
    (card_model_dir / "hubtools_train.json").write_text(json.dumps(train))
    return card_model_dir


def test_a_chained_dpo_card_lists_both_stages(card_model_dir):
    from huggingface_hub import ModelCard

    text = render_release(_as_dpo(card_model_dir, chained=True))
    assert "Trained in 2 stages: DPO starts from the SFT stage's model" in text
    assert (
        "| 1. SFT | `demo` | supervised fine-tuning | the conversations (`messages`, default config) | 300 |" in text
    )
    assert (
        "| 2. DPO | `demo-dpo` | DPO (beta 0.25, loss `ipo`) | 22 preference pairs (`preferences` config: prompt, "
        "chosen, rejected) | 40 | 5e-05 | chosen-over-rejected margin -1.23 → +3.50 on 22 training pairs |"
    ) in text
    assert "trained from the SFT stage of this release (train recipe `demo`)" in text
    assert "local folder" not in text  # the unpublished SFT folder is named as the stage it is
    assert ModelCard(text).data.tags[:4] == ["hubtools", "trl", "sft", "dpo"]


def test_a_dpo_card_without_a_chain_shows_its_one_stage(card_model_dir):
    from huggingface_hub import ModelCard

    text = render_release(_as_dpo(card_model_dir, chained=False))
    assert "Preference-tuned with DPO from its base model" in text and "| 1. DPO | `demo-dpo` |" in text
    assert "SFT" not in text and "fine-tuned from [local/tiny-gpt2-base@v0]" in text
    assert "sft" not in ModelCard(text).data.tags and "dpo" in ModelCard(text).data.tags


def test_an_sft_card_has_no_stage_table(card_model_dir):
    assert "| Stage |" not in render_release(card_model_dir)
