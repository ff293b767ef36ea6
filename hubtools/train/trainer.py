"""`train(recipe, out_dir=...)`: one code path from a recipe to a model folder, driving trl's SFTTrainer
(`method = "dpo"` recipes go to `hubtools.train.dpo`; `method = "pretrain"` trains on plain text, see
`hubtools.train.plain_text`).

Everything that can fail on user input (recipe, Hub revisions, dataset columns, sequence length) is checked before
the Trainer exists, so a failed run publishes nothing. Checkpoints, resumption, the Hub push of checkpoints and
multi-GPU execution are the Trainer's and accelerate's own machinery; we only choose their settings.
"""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from hubtools.errors import HubtoolsError
from hubtools.paths import hubtools_home
from hubtools.train.chat_template import template_into_config, template_texts
from hubtools.train.checkpoints import CHECKPOINT_BRANCH, checkpoint_step, find_resume_checkpoint
from hubtools.train.model import StartingPoint, load_base_model, lora_config, model_shape
from hubtools.train.outputs import (
    ADAPTER_DIR,
    TrainResult,
    build_record,
    logged_losses,
    write_run_files,
)
from hubtools.train.plain_text import TEXT_COLUMN, as_plain_text
from hubtools.train.recipe import TrainingSettings, TrainRecipe, load_train_recipe
from hubtools.train.sources import TrainingData, check_hub_revisions, load_training_data
from hubtools.train.speed import Hardware, SpeedPlan, detect_hardware, plan_speed, trainer_arguments

CHECKPOINTS_DIR = "checkpoints"


def sft_config(
    training: TrainingSettings,
    plan: SpeedPlan,
    hardware: Hardware,
    *,
    output_dir: Path,
    push_checkpoints_to: str | None = None,
) -> Any:
    """The SFTConfig for a recipe on this hardware (also what the throughput benchmark calls 'hubtools')."""
    from trl import SFTConfig

    hub = {}
    if push_checkpoints_to:
        hub = {
            "push_to_hub": True,
            "hub_model_id": push_checkpoints_to,
            "hub_strategy": "checkpoint",  # the latest checkpoint, resumable, in last-checkpoint/
            "hub_revision": CHECKPOINT_BRANCH,
            "hub_always_push": True,  # every checkpoint reaches the Hub, in order
        }
    return SFTConfig(
        **trainer_arguments(training, plan, hardware, output_dir=output_dir),
        torch_compile=plan.torch_compile,
        packing=training.packing,
        packing_strategy="bfd",
        shuffle_dataset=True,
        assistant_only_loss=training.assistant_only_loss,
        include_num_input_tokens_seen="non_padding",
        **hub,
    )


def train(
    recipe: TrainRecipe | str | Path,
    *,
    out_dir: str | Path,
    resume: bool = False,
    push_checkpoints_to: str | None = None,
    callbacks: Sequence[Any] = (),
    keep_checkpoints: bool = False,
) -> TrainResult:
    """Fine-tune as the recipe says and write the model folder to `out_dir`.

    `push_checkpoints_to` (a model repo id on the Hub target) receives every checkpoint on its `checkpoints` branch;
    `resume` continues from the newest checkpoint, local (`out_dir/checkpoints/`) or on that branch. Checkpoints
    are removed locally after a successful run unless `keep_checkpoints`.
    """
    from accelerate import PartialState

    recipe = recipe if isinstance(recipe, TrainRecipe) else load_train_recipe(recipe)
    if recipe.method == "dpo":
        if push_checkpoints_to:
            raise HubtoolsError("method = 'dpo' keeps its checkpoints locally: --push-checkpoints is not supported")
        from hubtools.train.dpo import train_dpo

        return train_dpo(
            recipe, out_dir=out_dir, resume=resume, callbacks=callbacks, keep_checkpoints=keep_checkpoints
        )
    out_dir = Path(out_dir)
    work_dir = out_dir / CHECKPOINTS_DIR
    process = PartialState()
    hardware = detect_hardware()

    check_hub_revisions(recipe)
    with process.main_process_first():
        data = load_training_data(recipe.dataset, cache_dir=hubtools_home() / "train-data")
        checkpoint = checkpoint_to_resume(work_dir, resume=resume, repo_id=push_checkpoints_to)
    if recipe.method == "pretrain":
        data = pretraining_data(data)
    resumed_from_step = checkpoint_step(checkpoint) if checkpoint else None
    start = _starting_point(recipe, data, checkpoint)
    plan = _plan(recipe, hardware, start)
    args = sft_config(recipe.training, plan, hardware, output_dir=work_dir, push_checkpoints_to=push_checkpoints_to)
    trainer = _make_trainer(recipe, start, data, args, callbacks)
    if push_checkpoints_to and process.is_main_process:
        from huggingface_hub import HfApi

        HfApi().create_branch(push_checkpoints_to, branch=CHECKPOINT_BRANCH, exist_ok=True)

    try:
        output = trainer.train(resume_from_checkpoint=str(checkpoint) if checkpoint else None)
    finally:
        # A run that dies in Python (OOM, Ctrl-C, a bug) still lands the checkpoints it saved on the Hub.
        pending = getattr(trainer, "push_in_progress", None)
        if pending is not None:
            pending.wait_until_done()
    eval_loss = trainer.evaluate()["eval_loss"] if data.eval is not None else None
    save_trained_model(trainer, out_dir, lora=recipe.lora.enabled)

    losses = logged_losses(trainer.state.log_history)
    final_loss = losses[-1] if losses else None
    record = build_record(
        recipe,
        base_model=start.record,
        dataset=data.record,
        hyperparameters={
            **recipe.training.model_dump(),
            **({"method": recipe.method} if recipe.method != "sft" else {}),  # as DPO records it; SFT as before
            "lora": recipe.lora.model_dump(),
            "execution": plan.as_json(),
        },
        steps=trainer.state.global_step,
        train_loss=final_loss,
        hardware=hardware.as_json(),
    )
    if eval_loss is not None:
        record["eval_loss"] = eval_loss
    if trainer.is_world_process_zero():
        write_run_files(out_dir, record=record, state=trainer.state, title=f"{recipe.name}: training loss")
        template_into_config(out_dir)
        if not keep_checkpoints:
            shutil.rmtree(work_dir, ignore_errors=True)
    return TrainResult(
        out_dir=out_dir,
        steps=trainer.state.global_step,
        train_loss=final_loss,
        first_loss=losses[0] if losses else None,
        eval_loss=eval_loss,
        tokens_seen=trainer.state.num_input_tokens_seen,
        runtime_seconds=float(output.metrics.get("train_runtime", 0.0)),
        resumed_from_step=resumed_from_step,
        lora=recipe.lora.enabled,
        record=record,
    )


def checkpoint_to_resume(work_dir: Path, *, resume: bool, repo_id: str | None) -> Path | None:
    """The checkpoint `--resume` continues from; without `--resume`, earlier checkpoints are refused, never
    silently trained over."""
    if not resume:
        if any(work_dir.glob("checkpoint-*")):
            raise HubtoolsError(
                f"{work_dir} holds checkpoints of an earlier run: pass --resume to continue it, or remove the folder"
            )
        return None
    checkpoint = find_resume_checkpoint(work_dir, repo_id)
    if checkpoint is None:
        where = f"{work_dir}" + (f" or on the {CHECKPOINT_BRANCH!r} branch of {repo_id}" if repo_id else "")
        raise HubtoolsError(f"--resume: no checkpoint found in {where}")
    return checkpoint


def pretraining_data(data: TrainingData) -> TrainingData:
    """The splits as plain text (`method = "pretrain"`)."""
    evaluation = as_plain_text(data.eval) if data.eval is not None else None
    return TrainingData(train=as_plain_text(data.train), eval=evaluation, record=data.record)


def _starting_point(recipe: TrainRecipe, data: TrainingData, checkpoint: Path | None) -> StartingPoint:
    """The base model; a resumed config model reuses the tokenizer saved in its checkpoint (same ids).

    A trained tokenizer learns the text as the run shows it: the chat template's rendering, or plain text.
    """
    source = recipe.base_model
    tokenizer = None
    if checkpoint is not None and source.config is not None:
        from transformers import AutoTokenizer

        tokenizer = AutoTokenizer.from_pretrained(checkpoint)
    texts = None
    if source.config is not None and source.tokenizer == "train" and tokenizer is None:
        plain = recipe.method == "pretrain"
        texts = list(data.train[TEXT_COLUMN]) if plain else template_texts(data.train["messages"])
    return load_base_model(recipe, texts, tokenizer=tokenizer)


def _plan(recipe: TrainRecipe, hardware: Hardware, start: StartingPoint) -> SpeedPlan:
    total = start.model.num_parameters()
    # LoRA trains ~1% of the weights; the plan only needs the order of magnitude.
    trainable = max(total // 100, 1) if recipe.lora.enabled else total
    return plan_speed(
        recipe.training, hardware, **model_shape(start.model.config), total_params=total, trainable_params=trainable
    )


def _make_trainer(recipe: TrainRecipe, start: StartingPoint, data: Any, args: Any, callbacks: Sequence[Any]) -> Any:
    from transformers.trainer_callback import ProgressCallback
    from trl import SFTTrainer

    from hubtools.train.progress import TokensPerSecondProgress

    trainer = SFTTrainer(
        model=start.model,
        args=args,
        train_dataset=data.train,
        eval_dataset=data.eval,
        processing_class=start.tokenizer,
        peft_config=lora_config(recipe.lora),
        callbacks=list(callbacks),
    )
    if trainer.pop_callback(ProgressCallback) is not None:
        trainer.add_callback(TokensPerSecondProgress())
    return trainer


def save_trained_model(trainer: Any, out_dir: Path, *, lora: bool) -> None:
    """Full runs: the model. LoRA runs: the adapter in adapter/ and the merged model at the top."""
    trainer.args.push_to_hub = False  # checkpoints went to the checkpoints branch; publishing is a later stage
    model = trainer.accelerator.unwrap_model(trainer.model)
    model.config.use_cache = True  # the Trainer turns the KV cache off for training; generation wants it
    if not lora:
        trainer.save_model(str(out_dir))
        return
    trainer.save_model(str(out_dir / ADAPTER_DIR))
    if trainer.is_world_process_zero():
        merged = model.merge_and_unload()
        merged.config.use_cache = True
        merged.save_pretrained(out_dir)
        trainer.processing_class.save_pretrained(out_dir)
