"""The card (README.md) of a base model: one pretrained on plain text (`method = "pretrain"`) to fine-tune from.

A base has no evaluation report or probe table of its own (its answers appear next to the fine-tuned model's on
that model's card), so its card is rendered from `hubtools_train.json` alone: what it is, what it was trained on
and how, and that it is not a chat model.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from hubtools.cards.model_card import (
    card_environment,
    count_parameters,
    describe_hardware,
    framework_rows,
    human_count,
    model_link,
)
from hubtools.errors import HubtoolsError
from hubtools.hub.target import DEFAULT_ENDPOINT
from hubtools.paths import LOSS_CURVE_FILE, TRAIN_RECORD_FILE

BASE_CARD_TEMPLATE = "base_card.md.jinja"


def render_base_card(
    model_dir: Path, *, repo_id: str, endpoint: str | None = None, license: str = "apache-2.0"
) -> str:
    """The README.md text of the base model in `model_dir`, published as `repo_id` on `endpoint`."""
    from huggingface_hub import ModelCard, ModelCardData

    model_dir = Path(model_dir)
    path = model_dir / TRAIN_RECORD_FILE
    try:
        train = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise HubtoolsError(f"{path}: cannot read the training record ({error})") from None
    endpoint = (endpoint or os.environ.get("HF_ENDPOINT") or DEFAULT_ENDPOINT).rstrip("/")
    hyper = train.get("hyperparameters") or {}
    dataset_repo = (train.get("dataset") or {}).get("repo_id")
    data = ModelCardData(
        base_model=(train.get("base_model") or {}).get("repo_id"),
        datasets=[dataset_repo] if dataset_repo else None,
        language="en",
        license=license,
        library_name="transformers",
        pipeline_tag="text-generation",
        tags=["hubtools", "trl", "pretraining", "base-model"],
        model_name=repo_id,
    )
    train_loss, eval_loss = train.get("train_loss"), train.get("eval_loss")
    content = (
        card_environment()
        .get_template(BASE_CARD_TEMPLATE)
        .render(
            card_data=data.to_yaml(),
            repo_id=repo_id,
            model_name=repo_id.split("/")[-1],
            recipe=train.get("recipe", "?"),
            recipe_hash=train.get("recipe_hash", "?"),
            base=model_link(train.get("base_model"), endpoint),
            dataset=model_link(train.get("dataset"), endpoint, kind="datasets"),
            parameters=human_count(count_parameters(model_dir)),
            sequence_length=hyper.get("max_length", "?"),
            steps=train.get("steps", "?"),
            learning_rate=hyper.get("learning_rate", "?"),
            train_loss=f"{train_loss:.4f}" if isinstance(train_loss, (int, float)) else "–",
            eval_loss=f"{eval_loss:.4f}" if isinstance(eval_loss, (int, float)) else "–",
            hardware=describe_hardware(train.get("hardware")),
            loss_curve=(model_dir / LOSS_CURVE_FILE).is_file(),
            loss_curve_file=LOSS_CURVE_FILE,
            framework_versions=framework_rows(train),
            hubtools_version=(train.get("framework_versions") or {}).get("hubtools"),
        )
    )
    ModelCard(content)  # the header parses back before anyone publishes it
    return content
