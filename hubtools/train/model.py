"""The base model and tokenizer of a run: from the Hub at a pinned sha, a local folder, or a config (random init).

Every model leaves here with a chat template that has `{% generation %}` markers (except for `method =
"pretrain"`, which learns plain text), attention dropout set by the recipe, and the packed-attention
implementation selected; its sequence length is checked against its positions.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer, PretrainedConfig, PreTrainedModel

from hubtools.errors import HubtoolsError
from hubtools.train.attention import register_packed_attention
from hubtools.train.chat_template import ensure_chat_template
from hubtools.train.model_config import max_positions
from hubtools.train.recipe import BaseModelSource, LoraSettings, TrainingSettings, TrainRecipe
from hubtools.train.sources import resolve_revision
from hubtools.train.tokenizer import gpt2_tokenizer, train_bpe_tokenizer

# Attention-probability dropout goes by several names; one recipe value sets whichever the model has.
_ATTENTION_DROPOUT_FIELDS = ("attn_pdrop", "attention_dropout", "attention_probs_dropout_prob")


@dataclass
class StartingPoint:
    """The model to fine-tune, its tokenizer (with our chat template) and where they came from."""

    model: PreTrainedModel
    tokenizer: Any
    record: dict[str, Any]


def check_max_length(config: PretrainedConfig, max_length: int, what: str) -> None:
    positions = max_positions(config)
    if positions is not None and max_length > positions:
        raise HubtoolsError(f"training.max_length {max_length} is above the {positions} positions of {what}")


def apply_training_config(config: PretrainedConfig, training: TrainingSettings) -> None:
    """Set what the recipe controls on a model config, and swap GPT-2's `gelu_new` for the same formula in one
    fused kernel (`gelu_pytorch_tanh`: one op instead of six, in the forward and the backward)."""
    for name in _ATTENTION_DROPOUT_FIELDS:
        if hasattr(config, name):
            setattr(config, name, training.attention_dropout)
    if getattr(config, "activation_function", None) == "gelu_new":
        config.activation_function = "gelu_pytorch_tanh"


def load_base_model(recipe: TrainRecipe, texts: list[str] | None = None, *, tokenizer: Any = None) -> StartingPoint:
    """Resolve, check and load the starting point.

    Config models get `tokenizer` if given, else one built per the recipe (trained on `texts`, the training data
    as the run renders it).
    """
    source = recipe.base_model
    attention = register_packed_attention()
    if source.config is not None:
        tokenizer = tokenizer or _config_tokenizer(source, texts or [])
        config = _config_from_recipe(source, tokenizer)
        check_max_length(config, recipe.training.max_length, f"base_model.config ({config.model_type})")
        apply_training_config(config, recipe.training)
        torch.manual_seed(recipe.training.seed)
        model = AutoModelForCausalLM.from_config(config, attn_implementation=attention, dtype=torch.float32)
        record: dict[str, Any] = {"config": config.to_diff_dict(), "tokenizer": source.tokenizer}
    else:
        if source.repo_id is not None:
            sha = resolve_revision(source.repo_id, source.revision, repo_type="model", what="base model")
            where, kwargs = source.repo_id, {"revision": sha}
            record = {"repo_id": source.repo_id, "revision": source.revision, "commit": sha}
        else:
            where, kwargs = source.path, {}
            record = {"path": source.path}
        try:
            config = AutoConfig.from_pretrained(where, **kwargs)
        except OSError as error:
            raise HubtoolsError(f"base model {where}: {str(error).splitlines()[0]}") from None
        check_max_length(config, recipe.training.max_length, f"base model {where}")
        tokenizer = AutoTokenizer.from_pretrained(where, **kwargs)
        apply_training_config(config, recipe.training)
        model = AutoModelForCausalLM.from_pretrained(
            where, config=config, attn_implementation=attention, dtype=torch.float32, **kwargs
        )
    if recipe.method != "pretrain":  # a base model learns plain text; its fine-tune adds the template
        ensure_chat_template(tokenizer)
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    return StartingPoint(model=model, tokenizer=tokenizer, record=record)


def _config_tokenizer(source: BaseModelSource, texts: list[str]) -> Any:
    if source.tokenizer == "gpt2":
        return gpt2_tokenizer()
    if not texts:
        raise HubtoolsError("base_model.tokenizer = 'train' needs training conversations")
    return train_bpe_tokenizer(texts, source.vocab_size)


def _config_from_recipe(source: BaseModelSource, tokenizer: Any) -> PretrainedConfig:
    values = dict(source.config or {})
    model_type = values.pop("model_type")
    values.update(
        vocab_size=len(tokenizer),
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
    )
    try:
        return AutoConfig.for_model(model_type, **values)
    except (ValueError, TypeError) as error:
        raise HubtoolsError(f"base_model.config: {error}") from None


def lora_config(settings: LoraSettings) -> Any:
    """The peft config for a recipe's `[lora]` section (None when LoRA is off)."""
    if not settings.enabled:
        return None
    from peft import LoraConfig

    return LoraConfig(
        r=settings.r,
        lora_alpha=settings.alpha,
        lora_dropout=settings.dropout,
        target_modules=settings.target_modules,
        task_type="CAUSAL_LM",
    )


def model_shape(config: PretrainedConfig) -> dict[str, int | None]:
    """Hidden size, layers and MLP width, whatever the config calls them (for the memory plan)."""
    widths = (getattr(config, name, None) for name in ("ffn_dim", "intermediate_size", "n_inner"))
    return {"hidden": config.hidden_size, "layers": config.num_hidden_layers, "ffn": next(filter(None, widths), None)}
