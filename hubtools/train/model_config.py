"""`base_model.config` checked against the transformers config class it names, at recipe load.

transformers takes any keyword into a config (a typo such as `n_layers` is silently ignored) and only fails on
a zero head count or an odd width when the model is built, deep inside torch. Here every key must be one the
config class has, and its value must have the type of the class default: sizes and counts at least 1,
dropouts in [0, 1), epsilons above 0, every float finite. Errors name the key (`base_model.config.n_layer`).
"""

from __future__ import annotations

import math
import re
from typing import Any

from hubtools.recipes.fields import field_error

_COUNT = re.compile(r"^(n_|num_)|(_size|_dim|_layers|_heads|_positions|_embeddings)$")
_DROPOUT = re.compile(r"drop|_prob$")
_EPSILON = re.compile(r"(eps|epsilon)$")
# Where configs keep the positions a model can attend over (GPT-2's n_positions, OPT's max_position_embeddings).
POSITION_FIELDS = ("max_position_embeddings", "n_positions", "n_ctx")


def _config_class(model_type: Any) -> type:
    from transformers import CONFIG_MAPPING
    from transformers.models.auto.modeling_auto import MODEL_FOR_CAUSAL_LM_MAPPING_NAMES

    if not isinstance(model_type, str) or model_type not in CONFIG_MAPPING:
        raise field_error("model_type", f"unknown model_type {model_type!r} (e.g. 'gpt2', 'llama', 'opt')")
    if model_type not in MODEL_FOR_CAUSAL_LM_MAPPING_NAMES:
        raise field_error("model_type", f"{model_type!r} has no causal language model in transformers")
    return CONFIG_MAPPING[model_type]


def _finite(value: Any) -> bool:
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, dict):
        return all(_finite(item) for item in value.values())
    if isinstance(value, list):
        return all(_finite(item) for item in value)
    return True


def _problem(key: str, value: Any, default: Any) -> str | None:
    """What is wrong with one value, judged by its key's name and the class default; None when it is fine."""
    if not _finite(value):
        return f"expected a finite number, got {value!r}"
    is_int = isinstance(value, int) and not isinstance(value, bool)
    is_number = is_int or isinstance(value, float)
    if isinstance(default, bool):
        return None if isinstance(value, bool) else f"expected true or false, got {value!r}"
    if isinstance(default, int) or (default is None and _COUNT.search(key) and value is not None):
        least = 0 if key.endswith("_token_id") or default == 0 else 1
        if not is_int or value < least:
            return f"expected a whole number of at least {least}, got {value!r}"
    elif isinstance(default, float):
        if not is_number:
            return f"expected a number, got {value!r}"
        if _DROPOUT.search(key) and not 0 <= value < 1:
            return f"expected a probability in [0, 1), got {value!r}"
        if _EPSILON.search(key) and not value > 0:
            return f"expected a number above 0, got {value!r}"
        if value < 0:
            return f"expected a number of at least 0, got {value!r}"
    elif isinstance(default, str) and not isinstance(value, str):
        return f"expected a string, got {value!r}"
    return None


def check_model_config(config: dict[str, Any]) -> None:
    """Raise a field error (key-level location) for the first thing in `config` that cannot build a model."""
    cls = _config_class(config.get("model_type"))
    defaults = cls()
    aliases = dict(getattr(cls, "attribute_map", {}) or {})
    values = {key: value for key, value in config.items() if key != "model_type"}
    for key, value in values.items():
        if not hasattr(defaults, key) and key not in aliases:
            raise field_error(key, f"unknown field for a {config['model_type']} config")
        problem = _problem(key, value, getattr(defaults, key, None))
        if problem:
            raise field_error(key, problem)
    try:
        built = cls(**values)
    except (ValueError, TypeError, KeyError) as error:
        raise field_error("", str(error).splitlines()[0] if str(error) else type(error).__name__) from None
    _check_heads(built, aliases)


def _check_heads(config: Any, aliases: dict[str, str]) -> None:
    hidden, heads = getattr(config, "hidden_size", None), getattr(config, "num_attention_heads", None)
    kv_heads = getattr(config, "num_key_value_heads", None)
    name = {key: aliases.get(key, key) for key in ("hidden_size", "num_attention_heads")}
    if isinstance(hidden, int) and isinstance(heads, int) and heads > 0 and hidden % heads:
        raise field_error(name["hidden_size"], f"{hidden} is not divisible by {name['num_attention_heads']} {heads}")
    if isinstance(kv_heads, int) and isinstance(heads, int) and kv_heads > 0 and heads % kv_heads:
        raise field_error("num_key_value_heads", f"{kv_heads} does not divide {name['num_attention_heads']} {heads}")


def max_positions(config: Any) -> int | None:
    """How many positions a (built) model config can attend over."""
    for name in POSITION_FIELDS:
        value = getattr(config, name, None)
        if isinstance(value, int):
            return value
    return None


def config_positions(config: dict[str, Any]) -> int | None:
    """The positions of the model a recipe's `base_model.config` builds (given, or the class default)."""
    from transformers import CONFIG_MAPPING

    cls = CONFIG_MAPPING[config["model_type"]]
    return max_positions(cls(**{key: value for key, value in config.items() if key != "model_type"}))
