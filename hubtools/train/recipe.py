"""Training recipes: typed TOML, unknown fields rejected, every error naming the field.

A recipe fixes the *math* of a run (model, data, global batch, steps, learning rate); the hardware only picks
how to execute it fast (micro-batch, precision, kernels; see `hubtools.train.speed`). So the same recipe gives the
same optimisation on a laptop and on a GPU node.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, ValidationInfo, field_validator, model_serializer, model_validator
from pydantic_core import PydanticCustomError

from hubtools.errors import HubtoolsError
from hubtools.recipes import load_recipe, recipe_path, validate_recipe
from hubtools.recipes.fields import (
    Fraction,
    Int,
    NonNegativeFloat,
    PositiveFloat,
    PositiveInt,
    RecipeModel,
    RecipeName,
    Seed,
    Text,
    field_error,
)

# Schedulers transformers builds from the recipe alone (the others need arguments a recipe cannot give).
Scheduler = Literal[
    "linear", "cosine", "cosine_with_restarts", "polynomial", "constant", "constant_with_warmup", "inverse_sqrt"
]


class BaseModelSource(RecipeModel):
    """Where the starting weights come from: a Hub repo at a pinned revision, a local folder, or a config."""

    repo_id: Text | None = Field(None, description="model repo on the Hub target, e.g. openai-community/gpt2")
    revision: Text | None = Field(None, description="commit sha or tag of the model repo (required with repo_id)")
    path: Text | None = Field(None, description="a local save_pretrained folder (tests, air-gapped runs)")
    config: dict[str, Any] | None = Field(
        None, description="random init from a transformers config, e.g. {model_type='gpt2', n_layer=4, ...}"
    )
    tokenizer: Literal["gpt2", "train"] = Field(
        "train", description="with `config`: the real GPT-2 BPE, or a small BPE trained on the training data"
    )
    vocab_size: Int = Field(2048, ge=256, description="with tokenizer='train': size of the trained BPE")

    @model_validator(mode="after")
    def _one_source(self) -> BaseModelSource:
        given = [name for name in ("repo_id", "path", "config") if getattr(self, name) is not None]
        if len(given) != 1:
            raise ValueError(f"give exactly one of repo_id, path, config (got {', '.join(given) or 'none'})")
        if self.repo_id is not None and not self.revision:
            raise ValueError("repo_id needs a pinned revision (a commit sha or a tag)")
        if self.config is not None and "model_type" not in self.config:
            raise field_error("config.model_type", "config needs a model_type, e.g. 'gpt2'")
        return self

    @field_validator("config")
    @classmethod
    def _config_values(cls, config: dict[str, Any] | None) -> dict[str, Any] | None:
        if config is None or "model_type" not in config:
            return config
        from hubtools.train.model_config import check_model_config

        check_model_config(config)
        return config


class DatasetSource(RecipeModel):
    """Where the conversations come from: a Hub dataset at a tag/sha, a data recipe built locally, or a folder."""

    repo_id: Text | None = Field(None, description="dataset repo on the Hub target")
    revision: Text | None = Field(None, description="tag or commit sha of the dataset repo (required with repo_id)")
    recipe: Text | None = Field(None, description="a hubtools data recipe, built (once) on this machine")
    path: Text | None = Field(None, description="a DatasetDict saved with save_to_disk")
    train_split: Text = "train"
    eval_split: Text | None = Field(None, description="split to evaluate on at the end (e.g. 'test'); none: skip")

    @model_validator(mode="after")
    def _one_source(self) -> DatasetSource:
        given = [name for name in ("repo_id", "recipe", "path") if getattr(self, name) is not None]
        if len(given) != 1:
            raise ValueError(f"give exactly one of repo_id, recipe, path (got {', '.join(given) or 'none'})")
        if self.repo_id is not None and not self.revision:
            raise ValueError("repo_id needs a pinned revision (a tag or a commit sha)")
        return self


def _modules(value: Any) -> Any:
    if value == "all-linear" or (
        isinstance(value, list) and value and all(isinstance(name, str) and name.strip() for name in value)
    ):
        return value
    raise PydanticCustomError("target_modules", "expected 'all-linear' or a non-empty list of module names")


class LoraSettings(RecipeModel):
    """LoRA via peft: train low-rank adapters, publish the merged model and the adapter (`adapter/`)."""

    enabled: bool = False
    r: PositiveInt = 16
    alpha: PositiveInt = 32
    dropout: Fraction = 0.05
    target_modules: Annotated[Literal["all-linear"] | list[str], BeforeValidator(_modules)] = "all-linear"


class TrainingSettings(RecipeModel):
    """The optimisation itself. Fields left unset are chosen for the hardware (see hubtools.train.speed)."""

    max_length: Int = Field(1024, ge=8, description="tokens per packed sequence")
    max_steps: PositiveInt
    learning_rate: PositiveFloat
    batch_size: PositiveInt = Field(8, description="global batch: packed sequences per optimizer step")
    micro_batch_size: PositiveInt | None = Field(None, description="per device and forward pass; unset: from memory")
    lr_scheduler_type: Scheduler = "cosine"
    warmup_ratio: Fraction = 0.03
    weight_decay: NonNegativeFloat = 0.0
    max_grad_norm: PositiveFloat = 1.0
    seed: Seed = 42
    packing: bool = Field(True, description="padding-free best-fit packing; conversations never attend to each other")
    assistant_only_loss: bool = True
    attention_dropout: Fraction = Field(
        0.0, description="0 lets packed batches use the FlashAttention varlen kernel on GPUs"
    )
    gradient_checkpointing: bool | None = Field(None, description="unset: only when memory requires it")
    torch_compile: bool | None = Field(None, description="unset: on for CUDA GPUs")
    save_steps: PositiveInt = Field(200, description="checkpoint every N steps (local, and pushed when asked)")
    save_total_limit: PositiveInt = 2
    logging_steps: PositiveInt = 10


# DPO losses TRL computes from preference pairs alone (the others need extra settings a recipe does not give).
DpoLoss = Literal["sigmoid", "hinge", "ipo", "robust", "exo_pair", "nca_pair", "bco_pair", "sppo_hard", "apo_zero"]


class DpoSettings(RecipeModel):
    """Direct preference optimisation on the `preferences` config of the dataset (TRL's `DPOTrainer`).

    The starting point is `base_model`, which for DPO must be an SFT model (a released one by `repo_id` and
    `revision`, or a local folder); it is also the frozen reference (for LoRA: the base with adapters off).
    """

    beta: PositiveFloat = Field(0.1, description="how far the policy may move from the reference; higher: less")
    loss_type: DpoLoss = "sigmoid"
    label_smoothing: Annotated[float, Field(ge=0, lt=0.5, allow_inf_nan=False)] = Field(
        0.0, description="robust/exo_pair: the assumed share of flipped preference labels"
    )
    dataset_config: Text = Field("preferences", description="config of a Hub dataset (or subfolder of a build)")


class TrainRecipe(RecipeModel):
    """A whole training run, as shipped in hubtools/recipes/train/*.toml."""

    name: RecipeName
    description: str = ""
    base_model: BaseModelSource
    dataset: DatasetSource
    training: TrainingSettings
    lora: LoraSettings = LoraSettings()
    method: Literal["sft", "dpo", "pretrain"] = Field(
        "sft",
        description="supervised fine-tuning, DPO on preference pairs, or pretraining: plain language modelling on "
        "the conversations' text (no chat template), which makes a base model to fine-tune",
    )
    dpo: DpoSettings = DpoSettings()
    launch: Literal["single", "ddp", "fsdp"] = Field(
        "single", description="documentation of intent: the accelerate config to launch this recipe with"
    )

    @model_serializer(mode="wrap")
    def _dump(self, handler: Any) -> dict[str, Any]:
        """An SFT recipe dumps (and hashes) as before DPO existed: `method` appears unless it is SFT, `dpo` only
        for DPO."""
        data = handler(self)
        if self.method != "dpo" and "dpo" not in self.model_fields_set:
            data.pop("dpo", None)
            if self.method == "sft":
                data.pop("method", None)
        return data

    @model_validator(mode="after")
    def _consistent(self) -> TrainRecipe:
        if self.method != "dpo" and "dpo" in self.model_fields_set:
            raise field_error("dpo", "only applies with method = 'dpo'")
        if self.method == "pretrain" and self.training.assistant_only_loss:
            raise field_error(
                "training.assistant_only_loss",
                "method = 'pretrain' learns every token of plain text (there are no assistant turns): set it to false",
            )
        if self.method == "dpo" and self.base_model.config is not None:
            raise field_error("base_model.config", "DPO starts from an SFT model: give base_model.repo_id or path")
        if self.lora.enabled and self.base_model.config is not None:
            raise field_error("lora.enabled", "needs pretrained weights (base_model.repo_id or path), not a config")
        micro = self.training.micro_batch_size
        if micro and self.training.batch_size % micro:
            raise field_error(
                "training.batch_size", f"{self.training.batch_size} is not a multiple of micro_batch_size {micro}"
            )
        if self.base_model.config is not None:
            from hubtools.train.model_config import config_positions

            positions = config_positions(self.base_model.config)
            if positions is not None and self.training.max_length > positions:
                raise field_error(
                    "training.max_length",
                    f"{self.training.max_length} is above the {positions} positions of base_model.config",
                )
        return self

    @model_validator(mode="after")
    def _local_inputs_exist(self, info: ValidationInfo) -> TrainRecipe:
        """Read from a file, local inputs are checked before anything runs (paths relative to the working folder)."""
        if not (info.context or {}).get("recipe_dir"):
            return self
        for field, value in (("base_model.path", self.base_model.path), ("dataset.path", self.dataset.path)):
            if value is not None and not Path(value).expanduser().exists():
                raise field_error(field, f"no such file or folder: {Path(value).expanduser().absolute()}")
        if self.base_model.path is not None:
            self._check_saved_model(Path(self.base_model.path).expanduser())
        if self.dataset.recipe is not None:
            try:
                recipe_path(self.dataset.recipe, "data")
            except HubtoolsError as error:
                raise field_error("dataset.recipe", str(error)) from None
        return self

    def _check_saved_model(self, folder: Path) -> None:
        """A save_pretrained folder holds config.json; its positions bound training.max_length."""
        from hubtools.train.model_config import POSITION_FIELDS

        try:
            config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
        except OSError:
            raise field_error("base_model.path", f"not a saved model folder (no config.json): {folder}") from None
        except ValueError as error:
            raise field_error("base_model.path", f"{folder / 'config.json'} is not valid JSON: {error}") from None
        positions = next((config[k] for k in POSITION_FIELDS if isinstance(config, dict) and k in config), None)
        if isinstance(positions, int) and self.training.max_length > positions:
            raise field_error(
                "training.max_length", f"{self.training.max_length} is above the {positions} positions of {folder}"
            )


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
    # Errors still name the file (its folder is the context paths are read in) and say the values came with --set.
    return validate_recipe(recipe_path(recipe, "train"), raw, TrainRecipe, label="(with --set)")


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
