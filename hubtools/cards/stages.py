"""The training stages a DPO model's card lists: the SFT stage it started from, when a release chained them, and
the DPO stage itself, with the measure of what DPO is for (the chosen replies' log-probability margin)."""

from __future__ import annotations

import math
from typing import Any

SFT_STAGE = "sft_stage"  # the SFT stage's record inside a chained DPO model's hubtools_train.json


def training_stages(train: dict[str, Any]) -> list[dict[str, str]]:
    """One row per stage, in training order; none for a supervised run (its card has the one training table)."""
    hyper = train.get("hyperparameters") or {}
    if hyper.get("method") != "dpo":
        return []
    rows = []
    sft = train.get(SFT_STAGE)
    if isinstance(sft, dict):
        sft_hyper = sft.get("hyperparameters") or {}
        loss = sft.get("train_loss")
        rows.append(
            {
                "stage": "1. SFT",
                "recipe": f"`{sft.get('recipe', '?')}`",
                "method": "supervised fine-tuning" + (" (LoRA)" if sft.get("lora") else ""),
                "data": "the conversations (`messages`, default config)",
                "steps": str(sft.get("steps", "?")),
                "learning_rate": str(sft_hyper.get("learning_rate", "?")),
                "result": f"final training loss {loss:.4f}" if isinstance(loss, int | float) else "?",
            }
        )
    dpo = hyper.get("dpo") or {}
    pairs = (train.get("preference_pairs") or {}).get("train", "?")
    config = (train.get("dataset") or {}).get("config") or dpo.get("dataset_config", "preferences")
    rows.append(
        {
            "stage": f"{len(rows) + 1}. DPO",
            "recipe": f"`{train.get('recipe', '?')}`",
            "method": f"DPO (beta {dpo.get('beta', '?')}, loss `{dpo.get('loss_type', '?')}`)"
            + (" (LoRA)" if train.get("lora") else ""),
            "data": f"{pairs} preference pairs (`{config}` config: prompt, chosen, rejected)",
            "steps": str(train.get("steps", "?")),
            "learning_rate": str(hyper.get("learning_rate", "?")),
            "result": margin_text(train.get("preference_margin")),
        }
    )
    return rows


def margin_text(margin: dict[str, Any] | None) -> str:
    """'margin -1.23 → +4.56 on 22 training pairs': before and after DPO, mean log p(chosen) − log p(rejected)."""
    if not margin or not all(isinstance(margin.get(key), int | float) for key in ("before", "after")):
        return "margin not recorded"
    before, after = margin["before"], margin["after"]
    if math.isnan(before) or math.isnan(after):
        return "margin not measured"
    return f"chosen-over-rejected margin {before:+.2f} → {after:+.2f} on {margin.get('pairs', '?')} training pairs"


def stage_base(train: dict[str, Any]) -> dict[str, str] | None:
    """The base a chained DPO model names on its card: the release's own SFT stage (a local folder, unpublished)."""
    base = train.get("base_model") or {}
    sft = train.get(SFT_STAGE)
    if base.get("stage") != "sft" or not isinstance(sft, dict):
        return None
    label = f"the SFT stage of this release (train recipe `{sft.get('recipe', '?')}`)"
    return {"label": label, "url": "", "commit": ""}
