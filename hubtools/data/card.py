"""The dataset card (README.md) of a built dataset, rendered from `model_cards/dataset_card.md.jinja`.

The card is a pure function of the build summary (`build.json`, written by `hubtools.data.build`): rows
per source and the Hub revision each was read at, every filter's drop count, dedup and PII counts, the
selection score, the recipe (name + hash) and the hubtools version. No timestamps, so the same build always
renders the same card, which is what lets `push_dataset` see that nothing changed. The YAML header is
huggingface_hub's `DatasetCardData`, with `configs` and `dataset_info` matching the parquet files
`push_to_hub` writes, so `load_dataset(repo_id, revision=tag)` reads the pushed revision as built.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from hubtools.data.scrub import LABELS as PII_LABELS
from hubtools.errors import HubtoolsError
from hubtools.paths import TEMPLATES_DIR

DATASET_CARD_TEMPLATE = "dataset_card.md.jinja"
# The row schema of every hubtools dataset (docs/ARCHITECTURE.md), as it appears in `dataset_info`.
FEATURES_YAML = [
    {"name": "messages", "list": [{"name": "role", "dtype": "string"}, {"name": "content", "dtype": "string"}]},
    {"name": "source", "dtype": "string"},
    {"name": "source_id", "dtype": "string"},
    {"name": "score", "dtype": "float64"},
]
FILTER_SETTINGS = {
    "length": lambda c: f"turns {c['min_turns']}–{c['max_turns']}, ~tokens {c['min_tokens']}–{c['max_tokens']}",
    "language": lambda c: "keep " + ", ".join(c["languages"]),
    "refusal": lambda c: (
        ("built-in patterns" if c["use_defaults"] else "no built-in patterns")
        + (f" + {len(c['patterns'])} custom" if c["patterns"] else "")
    ),
    "repetition": lambda c: (
        f"repeated 3-grams ≤ {c['max_repeated_ngrams']:.0%}, duplicate replies ≤ {c['max_duplicate_replies']:.0%}"
    ),
    "empty_reply": lambda c: f"replies of ≥ {c['min_chars']} characters with a letter or digit",
}


def dataset_features():
    """The `datasets.Features` of the row schema (imported lazily: `datasets` is slow to import)."""
    from datasets import Features, List, Value

    return Features(
        {
            "messages": List({"role": Value("string"), "content": Value("string")}),
            "source": Value("string"),
            "source_id": Value("string"),
            "score": Value("float64"),
        }
    )


def size_category(rows: int) -> str:
    for limit, label in ((1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K"), (1_000_000, "100K<n<1M")):
        if rows < limit:
            return label
    return "n>1M"


def dataset_card_data(summary: Mapping[str, Any]):
    """The card's YAML header as huggingface_hub's `DatasetCardData`."""
    from huggingface_hub import DatasetCardData

    recipe = summary["recipe"]
    splits = summary["splits"]
    from_hub = [s["revision"] != "local" and "/" in s["origin"] for s in summary["sources"]]
    hub_sources = sorted({s["origin"] for s, hub in zip(summary["sources"], from_hub, strict=True) if hub})
    local = not all(from_hub)
    total = sum(split["num_examples"] for split in splits.values())
    configs = [
        {"config_name": "default", "data_files": [{"split": name, "path": f"data/{name}-*"} for name in splits]}
    ]
    preferences = summary.get("preferences")
    # The pairs `push_to_hub(config_name="preferences")` writes under `preferences/`, when there are any.
    if preferences is not None and any(split["num_examples"] for split in preferences["splits"].values()):
        configs.append(
            {
                "config_name": "preferences",
                "data_files": [  # an empty split has no file to point at: `load_dataset` would refuse it
                    {"split": name, "path": f"preferences/{name}-*"}
                    for name, split in preferences["splits"].items()
                    if split["num_examples"]
                ],
            }
        )
    return DatasetCardData(
        pretty_name=recipe.get("pretty_name") or recipe["name"],
        license=recipe["license"],
        language=recipe["language"],
        task_categories=["text-generation"],
        size_categories=[size_category(total)],
        source_datasets=hub_sources + (["original"] if local else []),
        tags=["conversational", "hubtools"] + (["dpo", "preference"] if preferences is not None else []),
        configs=configs,
        dataset_info={
            "features": FEATURES_YAML,
            "splits": [
                {"name": name, "num_bytes": split["num_bytes"], "num_examples": split["num_examples"]}
                for name, split in splits.items()
            ],
            "dataset_size": sum(split["num_bytes"] for split in splits.values()),
        },
        hubtools={
            "recipe": recipe["name"],
            "recipe_hash": recipe["hash"],
            "content_hash": summary["content_hash"],
            "version": summary["hubtools_version"],
        },
    )


def render_dataset_card(summary: Mapping[str, Any], *, repo_id: str | None = None) -> str:
    """The README.md text for a build summary; `repo_id` (default: the recipe's) goes in the usage snippet."""
    from huggingface_hub import DatasetCard

    template = TEMPLATES_DIR / DATASET_CARD_TEMPLATE
    if not template.is_file():
        raise HubtoolsError(f"dataset card template not found: {template}")
    recipe = summary["recipe"]
    counts = summary["counts"]
    filters = recipe["filters"]
    total_selected = counts["selected"]
    card = DatasetCard.from_template(
        dataset_card_data(summary),
        template_path=str(template),
        title=recipe.get("pretty_name") or recipe["name"],
        repo_id=repo_id or recipe.get("repo_id") or f"<user>/{recipe['name']}",
        recipe=recipe,
        sources=summary["sources"],
        counts=counts,
        total_selected=total_selected,
        filter_rows=[
            {
                "name": name,
                "enabled": config["enabled"],
                "setting": FILTER_SETTINGS[name](config),
                "dropped": counts["filters"].get(name, 0),
            }
            for name, config in filters.items()
        ],
        pii_rows=[
            {"kind": kind, "label": PII_LABELS.get(kind, kind), "count": n} for kind, n in counts["pii"].items()
        ],
        splits=summary["splits"],
        score=summary["score"],
        version=summary["hubtools_version"],
        content_hash=summary["content_hash"],
        preferences=summary.get("preferences"),
        feedback_sources=[s for s in summary["sources"] if "feedback" in s],
        fmt=lambda n: f"{n:,}",
    )
    return str(card).rstrip("\n") + "\n"


def render_card_from_folder(build_dir: Path, *, repo_id: str | None = None) -> str:
    """Re-render the card of a build folder from its `build.json`."""
    path = Path(build_dir) / "build.json"
    if not path.is_file():
        raise HubtoolsError(f"{build_dir} is not a hubtools dataset build (no build.json)")
    return render_dataset_card(json.loads(path.read_text(encoding="utf-8")), repo_id=repo_id)
