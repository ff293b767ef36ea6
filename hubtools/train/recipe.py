"""Training recipes: typed TOML, unknown fields rejected, every error naming the field.

A recipe fixes the *math* of a run (model, data, global batch, steps, learning rate); the hardware only picks
how to execute it fast (micro-batch, precision, kernels; see `hubtools.train.speed`). So the same recipe gives the
same optimisation on a laptop and on a GPU node.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from hubtools.errors import HubtoolsError
from hubtools.recipes import format_validation_error, load_recipe, recipe_path


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class BaseModelSource(_Strict):
    """Where the starting weights come from: a Hub repo at a pinned revision, a local folder, or a config."""

    repo_id: str | None = Field(None, description="model repo on the Hub target, e.g. openai-community/gpt2")
    revision: str | None = Field(None, description="commit sha or tag of the model repo (required with repo_id)")
    path: str | None = Field(None, description="a local save_pretrained folder (tests, air-gapped runs)")
    config: dict[str, Any] | None = Field(
        None, description="random init from a transformers config, e.g. {model_type='gpt2', n_layer=4, ...}"
    )
    tokenizer: Literal["gpt2", "train"] = Field(
        "train", description="with `config`: the real GPT-2 BPE, or a small BPE trained on the training data"
    )
    vocab_size: int = Field(2048, ge=256, description="with tokenizer='train': size of the trained BPE")

    @model_validator(mode="after")
    def _one_source(self) -> BaseModelSource:
        given = [name for name in ("repo_id", "path", "config") if getattr(self, name) is not None]
        if len(given) != 1:
            raise ValueError(f"give exactly one of repo_id, path, config (got {', '.join(given) or 'none'})")
        if self.repo_id is not None and not self.revision:
            raise ValueError("repo_id needs a pinned revision (a commit sha or a tag)")
        if self.config is not None and "model_type" not in self.config:
            raise ValueError("config needs a model_type, e.g. 'gpt2'")
        return self


class DatasetSource(_Strict):
    """Where the conversations come from: a Hub dataset at a tag/sha, a data recipe built locally, or a folder."""

    repo_id: str | None = Field(None, description="dataset repo on the Hub target")
    revision: str | None = Field(None, description="tag or commit sha of the dataset repo (required with repo_id)")
    recipe: str | None = Field(None, description="a hubtools data recipe, built (once) on this machine")
    path: str | None = Field(None, description="a DatasetDict saved with save_to_disk")
    train_split: str = "train"
    eval_split: str | None = Field(None, description="split to evaluate on at the end (e.g. 'test'); none: skip")

    @model_validator(mode="after")
    def _one_source(self) -> DatasetSource:
        given = [name for name in ("repo_id", "recipe", "path") if getattr(self, name) is not None]
        if len(given) != 1:
            raise ValueError(f"give exactly one of repo_id, recipe, path (got {', '.join(given) or 'none'})")
        if self.repo_id is not None and not self.revision:
            raise ValueError("repo_id needs a pinned revision (a tag or a commit sha)")
        return self


class LoraSettings(_Strict):
    """LoRA via peft: train low-rank adapters, publish the merged model and the adapter (`adapter/`)."""

    enabled: bool = False
    r: int = Field(16, ge=1)
    alpha: int = Field(32, ge=1)
    dropout: float = Field(0.05, ge=0.0, lt=1.0)
    target_modules: list[str] | Literal["all-linear"] = "all-linear"


class TrainingSettings(_Strict):
    """The optimisation itself. Fields left unset are chosen for the hardware (see hubtools.train.speed)."""

    max_length: int = Field(1024, ge=8, description="tokens per packed sequence")
    max_steps: int = Field(..., ge=1)
    learning_rate: float = Field(..., gt=0)
    batch_size: int = Field(8, ge=1, description="global batch: packed sequences per optimizer step")
    micro_batch_size: int | None = Field(None, ge=1, description="per device and forward pass; unset: from memory")
    lr_scheduler_type: str = "cosine"
    warmup_ratio: float = Field(0.03, ge=0.0, lt=1.0)
    weight_decay: float = Field(0.0, ge=0.0)
    max_grad_norm: float = Field(1.0, gt=0)
    seed: int = 42
    packing: bool = Field(True, description="padding-free best-fit packing; conversations never attend to each other")
    assistant_only_loss: bool = True
    attention_dropout: float = Field(
        0.0, ge=0.0, lt=1.0, description="0 lets packed batches use the FlashAttention varlen kernel on GPUs"
    )
    gradient_checkpointing: bool | None = Field(None, description="unset: only when memory requires it")
    torch_compile: bool | None = Field(None, description="unset: on for CUDA GPUs")
    save_steps: int = Field(200, ge=1, description="checkpoint every N steps (local, and pushed when asked)")
    save_total_limit: int = Field(2, ge=1)
    logging_steps: int = Field(10, ge=1)


class TrainRecipe(_Strict):
    """A whole training run, as shipped in hubtools/recipes/train/*.toml."""

    name: str
    description: str = ""
    base_model: BaseModelSource
    dataset: DatasetSource
    training: TrainingSettings
    lora: LoraSettings = LoraSettings()
    launch: Literal["single", "ddp", "fsdp"] = Field(
        "single", description="documentation of intent: the accelerate config to launch this recipe with"
    )

    @model_validator(mode="after")
    def _consistent(self) -> TrainRecipe:
        if self.lora.enabled and self.base_model.config is not None:
            raise ValueError("lora.enabled needs pretrained weights (base_model.repo_id or path), not a config")
        if self.training.micro_batch_size and self.training.batch_size % self.training.micro_batch_size:
            raise ValueError("training.batch_size must be a multiple of training.micro_batch_size")
        return self


def load_train_recipe(recipe: str | Path, overrides: list[str] | None = None) -> TrainRecipe:
    """Load a shipped or file recipe, then apply `key.sub=value` overrides and validate again."""
    loaded = load_recipe(recipe, TrainRecipe, "train")
    if not overrides:
        return loaded
    raw = loaded.model_dump(mode="python", exclude_unset=True)
    for item in overrides:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise HubtoolsError(f"--set {item!r}: expected KEY=VALUE, e.g. training.max_steps=20")
        _set_dotted(raw, key.strip(), _parse_value(value.strip()))
    try:
        return TrainRecipe.model_validate(raw)
    except ValidationError as error:
        raise HubtoolsError(format_validation_error(recipe_path(recipe, "train"), error)) from None


def _parse_value(text: str) -> Any:
    """TOML semantics for a bare value (numbers, booleans, arrays, inline tables); anything else is a string."""
    from hubtools.recipes import tomllib

    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text


def _set_dotted(raw: dict[str, Any], key: str, value: Any) -> None:
    node = raw
    *parents, leaf = key.split(".")
    for part in parents:
        child = node.setdefault(part, {})
        if not isinstance(child, dict):
            raise HubtoolsError(f"--set {key}: {part!r} is not a section")
        node = child
    node[leaf] = value
