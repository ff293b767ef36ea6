"""The dataset card: golden file from a fixed build summary, YAML the Hub accepts, stable output.

Regenerate the golden file after an intended template change with
`HUBTOOLS_REGENERATE_GOLDEN=1 pytest tests/data/test_data_card.py` and review the diff.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

from hubtools.data.card import TEMPLATES_DIR, render_dataset_card, size_category

HERE = Path(__file__).parent
GOLDEN = HERE / "golden" / "dataset_card.md"
SUMMARY = json.loads((HERE / "fixtures" / "build_summary.json").read_text(encoding="utf-8"))


def test_template_lives_in_model_cards_at_the_repo_root():
    assert (TEMPLATES_DIR / "dataset_card.md.jinja").is_file()
    assert TEMPLATES_DIR.resolve().name == "model_cards"


def test_card_matches_golden_file():
    text = render_dataset_card(SUMMARY)
    if os.environ.get("HUBTOOLS_REGENERATE_GOLDEN"):
        GOLDEN.write_text(text, encoding="utf-8")
    assert GOLDEN.is_file(), f"missing golden file {GOLDEN}: run with HUBTOOLS_REGENERATE_GOLDEN=1"
    assert text == GOLDEN.read_text(encoding="utf-8"), "the card differs from the golden file (see module docstring)"


def test_card_is_stable_and_carries_the_numbers():
    text = render_dataset_card(SUMMARY)
    assert text == render_dataset_card(json.loads(json.dumps(SUMMARY)))
    for needle in [
        "| anthropic-hh-rlhf | hh-rlhf | `Anthropic/hh-rlhf` | `09be8c5bbc57cb3887f3a9732ad6aa7ec602a1fa` |",
        "| 43,835 | 21,012 |",
        "| dolly-s |",
        "| 4,067 |",
        "**24,736**",
        "`v1.0` (`4f2c9a1e0b7d6c5a3e8f1d2c4b6a8e0f1a3c5e7d`)",
        "| `refusal` | built-in patterns | 904 |",
        "3,120 exact duplicates",
        "1,406 near duplicates",
        "| e-mail addresses (also spelled out) | `[EMAIL_n]` | 212 |",
        "recipe: `grafito-25k` (hash `0123456789abcdef`)",
        "built with: hubtools 0.1.0",
        'load_dataset("appvoid/grafito-25k")',
    ]:
        assert needle in text, needle
    assert not re.search(r"\d{4}-\d{2}-\d{2}|\d{2}:\d{2}:\d{2}", text)  # no dates or times: stable output


def test_card_yaml_has_what_the_hub_reads(hub):
    from huggingface_hub import DatasetCard

    card = DatasetCard(render_dataset_card(SUMMARY, repo_id="someone/data"))
    data = card.data.to_dict()
    assert data["configs"] == [
        {
            "config_name": "default",
            "data_files": [{"split": "train", "path": "data/train-*"}, {"split": "test", "path": "data/test-*"}],
        }
    ]
    assert [split["num_examples"] for split in data["dataset_info"]["splits"]] == [24241, 495]
    assert data["source_datasets"] == [
        "Anthropic/hh-rlhf",
        "appvoid/characterai-dumps",
        "databricks/databricks-dolly-15k",
    ]
    assert data["task_categories"] == ["text-generation"] and data["license"] == "other"
    assert data["hubtools"] == {
        "recipe": "grafito-25k",
        "recipe_hash": "0123456789abcdef",
        "content_hash": "f" * 64,
        "version": "0.1.0",
    }
    card.validate(repo_type="dataset")  # the (embedded) Hub's validate-yaml


def test_size_categories():
    assert [size_category(n) for n in (10, 24736, 200_000)] == ["n<1K", "10K<n<100K", "100K<n<1M"]
