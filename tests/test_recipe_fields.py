"""Every recipe field with a range rejects what cannot be meant, in one line naming the file and the dotted field.

Each case writes one bad value into a copy of a shipped recipe (data, train, release, eval) and loads it the
way the commands do; the message is compared whole.
"""

from __future__ import annotations

import json
import math
import typing
from pathlib import Path

import pytest
from pydantic import BaseModel

from hubtools.data.recipe import DataRecipe, load_data_recipe
from hubtools.errors import HubtoolsError
from hubtools.evaluation.config import EvalConfig, load_eval_config
from hubtools.recipes import RECIPES_DIR, tomllib
from hubtools.release.recipe import load_release_recipe
from hubtools.train.recipe import TrainRecipe, load_train_recipe

DEMO_DATA = RECIPES_DIR.parent / "data" / "demo"


def _value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and not math.isfinite(value):
        return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{key} = {_value(item)}" for key, item in value.items()) + " }"
    return "[" + ", ".join(_value(item) for item in value) + "]"


def _is_table(value) -> bool:
    return isinstance(value, dict) or (isinstance(value, list) and bool(value) and isinstance(value[0], dict))


def to_toml(table: dict, prefix: str = "") -> str:
    """Enough TOML for recipes: scalars, arrays, tables and arrays of tables (with `inf`/`nan` literals)."""
    lines = [f"{key} = {_value(value)}" for key, value in table.items() if not _is_table(value)]
    for key, value in table.items():
        if isinstance(value, dict):
            lines += [f"[{prefix}{key}]", to_toml(value, f"{prefix}{key}.")]
        elif _is_table(value):
            for item in value:
                lines += [f"[[{prefix}{key}]]", to_toml(item, f"{prefix}{key}.")]
    return "\n".join(lines)


def shipped(kind: str, name: str = "demo") -> dict:
    raw = tomllib.loads((RECIPES_DIR / kind / f"{name}.toml").read_text())
    for source in raw.get("sources", []):
        if "path" in source:  # the copy lives in tmp_path: point at the shipped demo files
            source["path"] = str(DEMO_DATA / Path(source["path"]).name)
    return raw


def put(table: dict, dotted: str, value) -> dict:
    node = table
    *parents, leaf = dotted.replace("[", ".").replace("]", "").split(".")
    for part in parents:
        node = node[int(part)] if part.isdigit() else node.setdefault(part, {})
    node[leaf] = value
    return table


LOADERS = {"data": load_data_recipe, "train": load_train_recipe, "release": load_release_recipe}


def error_of(tmp_path: Path, kind: str, table: dict) -> tuple[Path, str]:
    path = tmp_path / f"bad-{kind}.toml"
    path.write_text(to_toml(table))
    loader = load_eval_config if kind == "eval" else LOADERS[kind]
    with pytest.raises(HubtoolsError) as error:
        loader(path)
    return path, str(error.value)


GT0, GE0 = "Input should be greater than 0", "Input should be greater than or equal to 0"
FINITE, LT1 = "Input should be a finite number", "Input should be less than 1"
BOOL = "expected a number, got true"
RANGES = [
    # data recipe
    ("data", "seed", -1, f"{GE0} (got -1)"),
    ("data", "seed", 2**32, "Input should be less than or equal to 4294967295 (got 4294967296)"),
    ("data", "seed", True, BOOL),
    ("data", "sources[3].weight", math.inf, f"{FINITE} (got inf)"),
    ("data", "sources[3].weight", "nan", f"{FINITE} (got 'nan')"),
    ("data", "sources[1].weight", -0.5, f"{GE0} (got -0.5)"),
    ("data", "sources[0].sample", 0, f"{GT0} (got 0)"),
    ("data", "filters.length.min_turns", 0, f"{GT0} (got 0)"),
    ("data", "filters.length.max_turns", -3, f"{GT0} (got -3)"),
    ("data", "filters.length.min_tokens", -1, f"{GE0} (got -1)"),
    ("data", "filters.length.max_tokens", 0, f"{GT0} (got 0)"),
    ("data", "filters.length.min_turns", 40, "40 is larger than max_turns 32"),
    ("data", "filters.repetition.max_repeated_ngrams", 1.5, "Input should be less than or equal to 1 (got 1.5)"),
    ("data", "filters.repetition.max_duplicate_replies", -math.inf, f"{FINITE} (got -inf)"),
    ("data", "filters.empty_reply.min_chars", 0, f"{GT0} (got 0)"),
    ("data", "dedup.threshold", 1.0, f"{LT1} (got 1.0)"),
    ("data", "dedup.threshold", 0, f"{GT0} (got 0)"),
    ("data", "dedup.threshold", math.nan, f"{FINITE} (got nan)"),
    ("data", "dedup.num_perm", 8, "Input should be greater than or equal to 16 (got 8)"),
    ("data", "dedup.num_perm", 1024, "Input should be less than or equal to 512 (got 1024)"),
    ("data", "dedup.shingle_words", 0, "Input should be greater than or equal to 1 (got 0)"),
    ("data", "selection.size", 0, f"{GT0} (got 0)"),
    (
        "data",
        "selection.size",
        2**64,
        "Input should be less than or equal to 9223372036854775807 (got 18446744073709551616)",
    ),
    ("data", "selection.turns", -1, f"{GE0} (got -1)"),
    ("data", "selection.length", math.inf, f"{FINITE} (got inf)"),
    ("data", "splits.train", 0, f"{GT0} (got 0)"),
    ("data", "splits.train", "inf", f"{FINITE} (got 'inf')"),
    ("data", "splits.test", 1, f"{LT1} (got 1)"),
    ("data", "splits.test", 0.3, "train + test must be 1, got 0.9 + 0.3"),
    # train recipe
    ("train", "training.max_length", 4, "Input should be greater than or equal to 8 (got 4)"),
    ("train", "training.max_length", 512, "512 is above the 256 positions of base_model.config"),
    ("train", "training.max_steps", 0, f"{GT0} (got 0)"),
    (
        "train",
        "training.max_steps",
        2.5,
        "Input should be a valid integer, got a number with a fractional part (got 2.5)",
    ),
    ("train", "training.learning_rate", 0, f"{GT0} (got 0)"),
    ("train", "training.learning_rate", math.inf, f"{FINITE} (got inf)"),
    ("train", "training.learning_rate", math.nan, f"{FINITE} (got nan)"),
    ("train", "training.learning_rate", "-inf", f"{FINITE} (got '-inf')"),
    ("train", "training.batch_size", 0, f"{GT0} (got 0)"),
    ("train", "training.batch_size", True, BOOL),
    ("train", "training.micro_batch_size", -2, f"{GT0} (got -2)"),
    ("train", "training.batch_size", 6, "6 is not a multiple of micro_batch_size 4"),
    ("train", "training.warmup_ratio", 1.0, f"{LT1} (got 1.0)"),
    ("train", "training.warmup_ratio", -0.1, f"{GE0} (got -0.1)"),
    ("train", "training.weight_decay", -1.0, f"{GE0} (got -1.0)"),
    ("train", "training.weight_decay", math.inf, f"{FINITE} (got inf)"),
    ("train", "training.max_grad_norm", 0, f"{GT0} (got 0)"),
    ("train", "training.seed", -1, f"{GE0} (got -1)"),
    ("train", "training.seed", 2**32, "Input should be less than or equal to 4294967295 (got 4294967296)"),
    ("train", "training.attention_dropout", 1.0, f"{LT1} (got 1.0)"),
    ("train", "training.save_steps", 0, f"{GT0} (got 0)"),
    ("train", "training.save_total_limit", 0, f"{GT0} (got 0)"),
    ("train", "training.logging_steps", -10, f"{GT0} (got -10)"),
    ("train", "lora.r", 0, f"{GT0} (got 0)"),
    ("train", "lora.alpha", 0, f"{GT0} (got 0)"),
    ("train", "lora.dropout", 1.0, f"{LT1} (got 1.0)"),
    ("train", "base_model.vocab_size", 100, "Input should be greater than or equal to 256 (got 100)"),
    ("train", "base_model.config.n_layer", 0, "expected a whole number of at least 1, got 0"),
    ("train", "base_model.config.n_layer", 2.5, "expected a whole number of at least 1, got 2.5"),
    ("train", "base_model.config.n_head", -4, "expected a whole number of at least 1, got -4"),
    ("train", "base_model.config.n_embd", True, "expected a whole number of at least 1, got True"),
    ("train", "base_model.config.n_positions", 0, "expected a whole number of at least 1, got 0"),
    ("train", "base_model.config.resid_pdrop", 1.0, "expected a probability in [0, 1), got 1.0"),
    ("train", "base_model.config.embd_pdrop", math.nan, "expected a finite number, got nan"),
    ("train", "base_model.config.layer_norm_epsilon", 0.0, "expected a number above 0, got 0.0"),
    ("train", "base_model.config.initializer_range", math.inf, "expected a finite number, got inf"),
    ("train", "base_model.config.n_embd", 130, "130 is not divisible by n_head 4"),
    ("train", "base_model.config.n_layers", 4, "unknown field for a gpt2 config"),
    ("train", "base_model.config.model_type", "gtp2", "unknown model_type 'gtp2' (e.g. 'gpt2', 'llama', 'opt')"),
    # release recipe (its [eval] table) and an eval config file
    ("release", "eval.max_samples", 0, f"{GT0} (got 0)"),
    ("release", "eval.max_new_tokens", 0, "Input should be greater than or equal to 1 (got 0)"),
    ("release", "eval.max_new_tokens", 4096, "Input should be less than or equal to 2048 (got 4096)"),
    ("release", "eval.batch_size", 0, f"{GT0} (got 0)"),
    ("release", "eval.max_length", 1, "Input should be greater than or equal to 2 (got 1)"),
    ("eval", "max_samples", -1, f"{GT0} (got -1)"),
    ("eval", "batch_size", "nan", "Input should be a valid integer, unable to parse string as an integer (got 'nan')"),
]


@pytest.mark.parametrize(
    ("kind", "field", "value", "message"), RANGES, ids=[f"{c[0]}:{c[1]}={c[2]!r}" for c in RANGES]
)
def test_out_of_range_value_is_one_line_naming_file_and_field(tmp_path, kind, field, value, message):
    base = {} if kind == "eval" else shipped(kind)
    if field == "training.batch_size" and value == 6:
        base["training"]["micro_batch_size"] = 4
    path, error = error_of(tmp_path, kind, put(base, field, value))
    assert error == f"{path}: {field}: {message}"


def test_the_shipped_copies_load(tmp_path):
    """The cases above change one value of recipes that load as written (so each error is that value's)."""
    for kind in ("data", "train", "release"):
        path = tmp_path / f"{kind}.toml"
        path.write_text(to_toml(shipped(kind)))
        LOADERS[kind](path)


def _float_fields(model: type[BaseModel], prefix: str = ""):
    """Dotted paths of every float field of a recipe model, descending into tables and the first list item."""
    for name, info in model.model_fields.items():
        annotation = info.annotation
        args = typing.get_args(annotation)
        inner = next((a for a in args if isinstance(a, type) and issubclass(a, BaseModel)), None)
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            yield from _float_fields(annotation, f"{prefix}{name}.")
        elif typing.get_origin(annotation) is list and inner is not None:
            yield from _float_fields(inner, f"{prefix}{name}[0].")
        elif annotation is float or float in args:
            yield f"{prefix}{name}"


FLOATS = [("data", f) for f in _float_fields(DataRecipe)] + [("train", f) for f in _float_fields(TrainRecipe)]
FLOATS += [("eval", f) for f in _float_fields(EvalConfig)]


def test_float_fields_are_found():
    assert ("data", "sources[0].weight") in FLOATS and ("train", "training.learning_rate") in FLOATS
    assert len(FLOATS) >= 15


@pytest.mark.parametrize("value", [math.inf, -math.inf, math.nan, "inf", "NaN"])
@pytest.mark.parametrize(("kind", "field"), FLOATS)
def test_every_float_field_rejects_non_finite_numbers(tmp_path, kind, field, value):
    path, error = error_of(tmp_path, kind, put({} if kind == "eval" else shipped(kind), field, value))
    assert error.startswith(f"{path}: {field}: ") and "finite" in error and "\n" not in error


def test_several_problems_are_one_line(tmp_path):
    table = put(put(shipped("train"), "training.learning_rate", math.inf), "training.seed", -1)
    path, error = error_of(tmp_path, "train", put(table, "training.bogus", 1))
    assert error == (
        f"{path}: training.learning_rate: {FINITE} (got inf); training.seed: {GE0} (got -1); "
        "training.bogus: unknown field"
    )


def test_missing_and_mistyped_tables_are_named(tmp_path):
    train = shipped("train")
    del train["training"]["max_steps"]
    path, error = error_of(tmp_path, "train", train)
    assert error == f"{path}: training.max_steps: required field is missing"
    path, error = error_of(tmp_path, "data", put(shipped("data"), "dedup", 5))
    assert error == f"{path}: dedup: Input should be a valid dictionary or instance of Dedup (got 5)"


def test_missing_local_inputs_name_the_recipe_and_field(tmp_path):
    path, error = error_of(tmp_path, "data", put(shipped("data"), "sources[1].path", "nowhere/dolly.jsonl"))
    assert error == f"{path}: sources[1].path: no such file or folder: {tmp_path / 'nowhere' / 'dolly.jsonl'}"
    train = shipped("train")
    train["base_model"] = {"path": str(tmp_path / "no-model")}
    path, error = error_of(tmp_path, "train", train)
    assert error == f"{path}: base_model.path: no such file or folder: {tmp_path / 'no-model'}"
    train = put(shipped("train"), "dataset", {"path": str(tmp_path / "no-data")})
    path, error = error_of(tmp_path, "train", train)
    assert error == f"{path}: dataset.path: no such file or folder: {tmp_path / 'no-data'}"
    path, error = error_of(tmp_path, "train", put(shipped("train"), "dataset.recipe", "nope"))
    assert error.startswith(f"{path}: dataset.recipe: unknown data recipe 'nope' (shipped: demo, ")
    path, error = error_of(tmp_path, "release", put(shipped("release"), "train", "missing.toml"))
    assert error == f"{path}: train: recipe file not found: {tmp_path / 'missing.toml'}"


def test_names_are_one_path_part(tmp_path):
    path, error = error_of(tmp_path, "release", put(shipped("release"), "name", "../../elsewhere"))
    assert error == (
        f"{path}: name: expected letters, digits, '-', '_' or '.' (a repo name; it defaults to the file name) "
        "(got '../../elsewhere')"
    )
    path, error = error_of(tmp_path, "data", put(shipped("data"), "sources[0].name", " "))
    assert error == f"{path}: sources[0].name: expected a non-empty string (got ' ')"


@pytest.mark.parametrize(
    ("kind", "field", "value", "message"),
    [
        ("data", "sources[0].path", "", "expected a non-empty string (got '')"),
        ("train", "dataset.recipe", " ", "expected a non-empty string (got ' ')"),
        (
            "release",
            "repos.model",
            "my model",
            "expected 'name' (published under the token's user) or 'namespace/name', got 'my model'",
        ),  # fmt: skip
        (
            "release",
            "spaces[1].repo",
            "a/../b",
            "expected 'name' (published under the token's user) or 'namespace/name', got 'a/../b'",
        ),  # fmt: skip
    ],
)
def test_strings_that_cannot_be_meant(tmp_path, kind, field, value, message):
    path, error = error_of(tmp_path, kind, put(shipped(kind), field, value))
    assert error == f"{path}: {field}: {message}"


def test_lora_targets_and_scheduler_are_checked(tmp_path):
    path, error = error_of(tmp_path, "train", put(shipped("train"), "lora.target_modules", []))
    assert error == f"{path}: lora.target_modules: expected 'all-linear' or a non-empty list of module names"
    path, error = error_of(
        tmp_path, "train", put(shipped("train"), "training.lr_scheduler_type", "cosine_with_min_lr")
    )
    assert error.startswith(f"{path}: training.lr_scheduler_type: Input should be 'linear', 'cosine', ")


def test_unreadable_recipe_file_is_one_line(tmp_path):
    path = tmp_path / "binary.toml"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\xff\xfe")
    with pytest.raises(HubtoolsError) as error:
        load_train_recipe(path)
    assert str(error.value) == f"{path}: not UTF-8 text (byte 0): is this a TOML file?"


def test_base_model_folder_must_hold_a_saved_model(tmp_path):
    folder = tmp_path / "model"
    folder.mkdir()
    train = shipped("train")
    train["base_model"] = {"path": str(folder)}
    path, error = error_of(tmp_path, "train", train)
    assert error == f"{path}: base_model.path: not a saved model folder (no config.json): {folder}"
    (folder / "config.json").write_text(json.dumps({"model_type": "gpt2", "n_positions": 128}))
    path, error = error_of(tmp_path, "train", train)
    assert error == f"{path}: training.max_length: 256 is above the 128 positions of {folder}"


def test_byte_order_mark_is_fine_and_deep_nesting_is_one_line(tmp_path):
    path = tmp_path / "bom.toml"
    path.write_bytes(b"\xef\xbb\xbf" + to_toml(shipped("train")).encode())
    assert load_train_recipe(path).name == "bom"
    path.write_text("description = " + "[" * 5000 + "]" * 5000 + "\n")
    with pytest.raises(HubtoolsError) as error:
        load_train_recipe(path)
    assert str(error.value) == f"{path}: invalid TOML: arrays or tables nested too deeply"


def test_shipped_name_is_not_hidden_by_a_folder(tmp_path, monkeypatch):
    (tmp_path / "demo").mkdir()
    monkeypatch.chdir(tmp_path)
    assert load_data_recipe("demo").name == "demo"
