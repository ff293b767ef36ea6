"""`method = "dpo"`: preference-tune an SFT model on the dataset's `preferences` config with TRL's `DPOTrainer`.

The run is the SFT run's shape (same recipe sections, hardware plan, model folder and `hubtools_train.json`), with
pairs instead of conversations: `prompt`, `chosen`, `rejected`, each a list of messages, as the data stage writes
them from the Space's feedback. The reference model is the starting SFT model (TRL copies it for a full run, and
turns the adapters off for LoRA). What DPO is for is measured on the training pairs before and after: the mean
log-probability margin of the chosen reply over the rejected one, recorded as `preference_margin`.
"""

from __future__ import annotations

import json
import math
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from hubtools.errors import HubtoolsError
from hubtools.paths import hubtools_home
from hubtools.train.model import load_base_model, lora_config, model_shape
from hubtools.train.outputs import TrainResult, build_record, logged_losses, write_run_files
from hubtools.train.recipe import DatasetSource, TrainRecipe
from hubtools.train.sources import TrainingData, build_data_recipe, check_hub_revisions, resolve_revision
from hubtools.train.speed import detect_hardware, plan_speed, trainer_arguments

COLUMNS = ("prompt", "chosen", "rejected")
MARGIN_PAIRS = 64  # training pairs the before/after margin is measured on


def load_preference_data(source: DatasetSource, config: str, *, cache_dir: Path) -> TrainingData:
    """The preference pairs of the recipe's dataset (its `config`), checked for TRL's three message columns."""
    from datasets import DatasetDict, load_dataset, load_from_disk

    if source.repo_id is not None:
        sha = resolve_revision(source.repo_id, source.revision, repo_type="dataset", what="dataset")
        name = f"dataset {source.repo_id}@{source.revision} (config {config!r})"
        try:
            splits = load_dataset(source.repo_id, config, revision=sha)
        except ValueError as error:  # the config is not in the card's list
            raise HubtoolsError(f"{name}: {str(error).splitlines()[0]}") from None
        record = {"repo_id": source.repo_id, "revision": source.revision, "commit": sha, "config": config}
    else:
        if source.recipe is not None:
            root, name = build_data_recipe(source.recipe, cache_dir), f"data recipe {source.recipe}"
            record: dict[str, Any] = {"recipe": source.recipe, "config": config}
        else:
            root = Path(source.path).expanduser()
            name, record = f"dataset {root}", {"path": str(root)}
        path = root / config if (root / config / "dataset_dict.json").is_file() else root
        if not (path / "dataset_dict.json").is_file() and not (path / "dataset_info.json").is_file():
            raise HubtoolsError(
                f"{name} has no {config!r} config of preference pairs (a data recipe needs a space-feedback source)"
            )
        splits = load_from_disk(str(path))
        record["path"] = str(path)
        build = root / "build.json"
        if build.is_file():
            record["content_hash"] = json.loads(build.read_text(encoding="utf-8")).get("content_hash")
    if not isinstance(splits, DatasetDict):
        splits = DatasetDict({source.train_split: splits})

    def split(wanted: str) -> Any:
        if wanted not in splits:
            raise HubtoolsError(f"{name} has no split {wanted!r} (splits: {', '.join(splits) or 'none'})")
        data = splits[wanted]
        missing = [column for column in COLUMNS if column not in data.column_names]
        if missing:
            raise HubtoolsError(
                f"{name}: split {wanted!r} lacks {', '.join(missing)} (preference pairs need prompt, chosen, rejected)"
            )
        return data.select_columns(list(COLUMNS))

    train = split(source.train_split)
    if len(train) == 0:
        raise HubtoolsError(f"{name}: split {source.train_split!r} has no preference pairs")
    evaluation = split(source.eval_split) if source.eval_split and source.eval_split in splits else None
    return TrainingData(train=train, eval=evaluation, record=record)


def preference_margin(model: Any, tokenizer: Any, pairs: Any, limit: int = MARGIN_PAIRS) -> float:
    """Mean over pairs of log p(chosen | prompt) − log p(rejected | prompt), summed over the reply's tokens,
    each reply rendered by the chat template as training sees it."""
    import torch

    model.eval()
    device = next(model.parameters()).device
    margins = []
    with torch.no_grad():
        for row in pairs.select(range(min(limit, len(pairs)))):
            prompt = tokenizer.apply_chat_template(row["prompt"], tokenize=False, add_generation_prompt=True)
            sides = []
            for side in ("chosen", "rejected"):
                full = tokenizer.apply_chat_template(row["prompt"] + row[side], tokenize=False)
                reply = full[len(prompt) :] if full.startswith(prompt) else row[side][0]["content"]
                context = tokenizer(prompt, add_special_tokens=False)["input_ids"]
                target = tokenizer(reply, add_special_tokens=False)["input_ids"]
                ids = torch.tensor([context + target], device=device)
                logits = model(input_ids=ids).logits[0, len(context) - 1 : -1]
                logps = torch.log_softmax(logits.float(), dim=-1)
                sides.append(float(logps.gather(1, ids[0, len(context) :, None]).sum()))
            margins.append(sides[0] - sides[1])
    return sum(margins) / len(margins) if margins else math.nan


def dpo_config(recipe: TrainRecipe, plan: Any, hardware: Any, *, output_dir: Path) -> Any:
    from trl import DPOConfig

    training, dpo = recipe.training, recipe.dpo
    return DPOConfig(
        **trainer_arguments(training, plan, hardware, output_dir=output_dir),
        beta=dpo.beta,
        loss_type=[dpo.loss_type],
        label_smoothing=dpo.label_smoothing,
        include_num_input_tokens_seen="non_padding",
    )


def train_dpo(
    recipe: TrainRecipe,
    *,
    out_dir: str | Path,
    resume: bool = False,
    callbacks: Sequence[Any] = (),
    keep_checkpoints: bool = False,
) -> TrainResult:
    """Preference-tune `recipe.base_model` (an SFT model) on the dataset's pairs; write the model folder.

    `resume` continues from the newest local checkpoint (`out_dir/checkpoints/`): the starting model is loaded
    again as the reference (and for the margin before training), and the Trainer restores the policy's weights,
    optimizer, scheduler and RNG state from the checkpoint, so the run goes on as if never stopped.
    """
    from trl import DPOTrainer

    from hubtools.train.checkpoints import checkpoint_step
    from hubtools.train.trainer import CHECKPOINTS_DIR, checkpoint_to_resume, save_trained_model

    out_dir = Path(out_dir)
    work_dir = out_dir / CHECKPOINTS_DIR
    checkpoint = checkpoint_to_resume(work_dir, resume=resume, repo_id=None)
    resumed_from_step = checkpoint_step(checkpoint) if checkpoint else None
    hardware = detect_hardware()
    check_hub_revisions(recipe)
    data = load_preference_data(recipe.dataset, recipe.dpo.dataset_config, cache_dir=hubtools_home() / "train-data")
    start = load_base_model(recipe)
    total = start.model.num_parameters()
    plan = plan_speed(
        recipe.training,
        hardware,
        **model_shape(start.model.config),
        total_params=total,
        trainable_params=max(total // 100, 1) if recipe.lora.enabled else total,
    )
    margin_before = preference_margin(start.model, start.tokenizer, data.train)
    trainer = DPOTrainer(
        model=start.model,
        args=dpo_config(recipe, plan, hardware, output_dir=work_dir),
        train_dataset=data.train,
        eval_dataset=data.eval,
        processing_class=start.tokenizer,
        peft_config=lora_config(recipe.lora),
        callbacks=list(callbacks),
    )
    output = trainer.train(resume_from_checkpoint=str(checkpoint) if checkpoint else None)
    eval_loss = trainer.evaluate()["eval_loss"] if data.eval is not None and len(data.eval) else None
    model = trainer.accelerator.unwrap_model(trainer.model)
    margin_after = preference_margin(model, start.tokenizer, data.train)
    save_trained_model(trainer, out_dir, lora=recipe.lora.enabled)

    losses = logged_losses(trainer.state.log_history)
    record = build_record(
        recipe,
        base_model=start.record,
        dataset=data.record,
        hyperparameters={
            **recipe.training.model_dump(),
            "method": "dpo",
            "dpo": recipe.dpo.model_dump(),
            "lora": recipe.lora.model_dump(),
            "execution": plan.as_json(),
        },
        steps=trainer.state.global_step,
        train_loss=losses[-1] if losses else None,
        hardware=hardware.as_json(),
    )
    record["preference_margin"] = {"pairs": min(MARGIN_PAIRS, len(data.train)), "before": margin_before,
                                   "after": margin_after}  # fmt: skip
    record["preference_pairs"] = {"train": len(data.train), "eval": len(data.eval) if data.eval is not None else 0}
    if eval_loss is not None:
        record["eval_loss"] = eval_loss
    if trainer.is_world_process_zero():
        write_run_files(out_dir, record=record, state=trainer.state, title=f"{recipe.name}: DPO loss")
        if not keep_checkpoints:
            shutil.rmtree(work_dir, ignore_errors=True)
    return TrainResult(
        out_dir=out_dir,
        steps=trainer.state.global_step,
        train_loss=losses[-1] if losses else None,
        first_loss=losses[0] if losses else None,
        eval_loss=eval_loss,
        tokens_seen=trainer.state.num_input_tokens_seen,
        runtime_seconds=float(output.metrics.get("train_runtime", 0.0)),
        resumed_from_step=resumed_from_step,
        lora=recipe.lora.enabled,
        record=record,
    )
