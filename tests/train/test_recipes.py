"""Shipped training recipes and accelerate configs validate; recipe errors name the field; the CLI stays light."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hubtools.cli import main
from hubtools.errors import HubtoolsError
from hubtools.recipes import RECIPES_DIR, shipped_recipes
from hubtools.train.recipe import load_train_recipe


def test_the_roadmap_recipes_ship():
    assert set(shipped_recipes("train")) == {
        *("demo", "demo-base", "demo-chat", "demo-dpo"),
        *("ruby-002", "pygmalion-350m", "opt-1.3b"),
    }


@pytest.mark.parametrize("name", shipped_recipes("train"))
def test_every_shipped_recipe_validates_and_pins_its_inputs(name):
    recipe = load_train_recipe(name)
    assert recipe.name == name and recipe.description
    if recipe.base_model.repo_id:
        assert recipe.base_model.revision
    if recipe.dataset.repo_id:
        assert recipe.dataset.revision


def test_ruby_002_is_the_grafito_model():
    recipe = load_train_recipe("ruby-002")
    assert recipe.base_model.repo_id == "openai-community/gpt2"
    assert (recipe.training.max_length, recipe.training.max_steps, recipe.training.learning_rate) == (1024, 1000, 1e-4)
    assert "grafito-25k" in recipe.dataset.repo_id


def test_pygmalion_and_opt_recipes():
    assert load_train_recipe("pygmalion-350m").base_model.repo_id == "facebook/opt-350m"
    big = load_train_recipe("opt-1.3b")
    assert big.base_model.repo_id == "facebook/opt-1.3b" and big.launch == "fsdp"


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "mine.toml"
    path.write_text(text)
    return path


MINIMAL = """
[base_model]
config = { model_type = "gpt2", n_layer = 1 }
[dataset]
recipe = "demo"
[training]
max_steps = 3
learning_rate = 1e-3
"""


def test_unknown_field_is_named(tmp_path):
    path = write(tmp_path, MINIMAL.replace("max_steps = 3", "max_stpes = 3\nmax_steps = 3"))
    with pytest.raises(HubtoolsError) as error:
        load_train_recipe(path)
    assert str(error.value) == f"{path}: training.max_stpes: unknown field"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (MINIMAL.replace('recipe = "demo"', 'repo_id = "a/b"'), "repo_id needs a pinned revision"),
        (
            MINIMAL.replace(
                'config = { model_type = "gpt2", n_layer = 1 }', 'path = "x"\nconfig = {model_type="gpt2"}'
            ),
            "give exactly one of repo_id, path, config",
        ),
        (MINIMAL + "[lora]\nenabled = true\n", "lora.enabled: needs pretrained weights"),
        ('method = "pretrain"\n' + MINIMAL, "training.assistant_only_loss: method = 'pretrain' learns every token"),
        ('method = "pretrain"\n' + MINIMAL + "[dpo]\nbeta = 0.2\n", "dpo: only applies with method = 'dpo'"),
    ],
)
def test_inconsistent_recipes_are_explained(tmp_path, text, message):
    with pytest.raises(HubtoolsError, match=message):
        load_train_recipe(write(tmp_path, text))


def test_a_pretrain_recipe_hashes_its_method_and_an_sft_one_as_before(tmp_path):
    """`method` is part of a pretrain recipe's hash (the same settings as SFT train another model); an SFT recipe's
    dump, and so its hash and every published release keyed by it, has no `method` or `dpo`."""
    from hubtools.recipes import recipe_hash

    sft = load_train_recipe(
        write(tmp_path, MINIMAL.replace("max_steps = 3", "max_steps = 3\nassistant_only_loss = false"))
    )
    pretrain = load_train_recipe(
        write(
            tmp_path,
            'method = "pretrain"\n' + MINIMAL.replace("max_steps = 3", "max_steps = 3\nassistant_only_loss = false"),
        )
    )
    assert "method" not in sft.model_dump() and "dpo" not in sft.model_dump()
    assert pretrain.model_dump()["method"] == "pretrain" and "dpo" not in pretrain.model_dump()
    assert recipe_hash(pretrain) != recipe_hash(sft)


def test_overrides_are_validated_like_the_file():
    recipe = load_train_recipe("demo", ["training.max_steps=5", "training.learning_rate=3e-4", "lora.r=4"])
    assert (recipe.training.max_steps, recipe.training.learning_rate, recipe.lora.r) == (5, 3e-4, 4)
    assert recipe.base_model == load_train_recipe("demo").base_model
    with pytest.raises(HubtoolsError, match="training.nope: unknown field"):
        load_train_recipe("demo", ["training.nope=1"])
    with pytest.raises(HubtoolsError) as error:
        load_train_recipe("demo", ["training.max_steps=0"])
    assert str(error.value).endswith(
        "demo.toml (with --set): training.max_steps: Input should be greater than 0 (got 0)"
    )
    with pytest.raises(HubtoolsError, match="expected KEY=VALUE"):
        load_train_recipe("demo", ["training.max_steps"])


@pytest.mark.parametrize(("name", "kind"), [("ddp", "MULTI_GPU"), ("fsdp", "FSDP")])
def test_accelerate_configs_load_with_accelerate(name, kind):
    from accelerate.commands.config.config_args import load_config_from_file

    config = load_config_from_file(str(RECIPES_DIR / "accelerate" / f"{name}.yaml"))
    assert config.distributed_type.value == kind
    assert config.mixed_precision == "bf16"


def test_cli_check_prints_the_resolved_recipe(capsys):
    assert main(["train", "demo", "--check", "--set", "training.max_steps=7"]) == 0
    assert json.loads(capsys.readouterr().out)["training"]["max_steps"] == 7


def test_cli_error_is_one_line_and_exits_nonzero(tmp_path, capsys):
    path = write(tmp_path, MINIMAL.replace("[training]", "[training]\nbogus = 1"))
    assert main(["train", str(path), "--out", str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err
    assert err == f"hubtools: error: {path}: training.bogus: unknown field\n"
    assert not (tmp_path / "out").exists()


def test_cli_help_has_examples(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["train", "--help"])
    assert exit_info.value.code == 0
    help_text = capsys.readouterr().out
    assert "examples:" in help_text and "hubtools train demo --out out/demo" in help_text
