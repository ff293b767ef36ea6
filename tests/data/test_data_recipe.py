"""Data recipes: typed, unknown keys rejected, every error naming its field; shipped recipes load."""

from __future__ import annotations

import re

import pytest

from hubtools.data.recipe import DataRecipe, load_data_recipe
from hubtools.errors import HubtoolsError
from hubtools.recipes import recipe_hash, shipped_recipes

MINIMAL = """
[[sources]]
name = "local"
kind = "messages"
path = "chats.jsonl"
"""


def load(tmp_path, text: str) -> DataRecipe:
    path = tmp_path / "my-data.toml"
    path.write_text(text)
    (tmp_path / "chats.jsonl").touch()
    return load_data_recipe(path)


def error_of(tmp_path, text: str) -> str:
    with pytest.raises(HubtoolsError) as info:
        load(tmp_path, text)
    return str(info.value)


@pytest.mark.parametrize("name", shipped_recipes("data"))
def test_every_shipped_recipe_loads(name):
    recipe = load_data_recipe(name)
    assert recipe.name == name
    assert len(recipe_hash(recipe)) == 16
    for source in recipe.sources:
        if source.hub is not None:
            assert source.pinned, f"{name}: {source.name} must pin a tag or commit, not {source.revision!r}"


def test_grafito_matches_the_published_numbers():
    recipe = load_data_recipe("grafito-25k")
    samples = {source.name: source.sample for source in recipe.sources}
    assert samples["anthropic-hh-rlhf"] == 43835 and samples["dolly-s"] == 4067
    assert recipe.selection.size == 24736
    hubs = {source.hub: source.revision for source in recipe.sources}
    assert re.fullmatch(r"[0-9a-f]{40}", hubs["Anthropic/hh-rlhf"])
    assert re.fullmatch(r"[0-9a-f]{40}", hubs["databricks/databricks-dolly-15k"])


def test_minimal_recipe_defaults_and_relative_paths(tmp_path):
    recipe = load(tmp_path, MINIMAL)
    assert recipe.name == "my-data" and recipe.repo_id is None and recipe.seed == 0
    assert recipe.local_path(recipe.sources[0]) == tmp_path / "chats.jsonl"
    assert recipe.splits.train == 0.95 and recipe.dedup.threshold == 0.8


def test_unknown_fields_are_named(tmp_path):
    message = error_of(tmp_path, MINIMAL + "\n[dedup]\ntreshold = 0.9\n")
    assert message.endswith("my-data.toml: dedup.treshold: unknown field")
    message = error_of(tmp_path, MINIMAL.replace('kind = "messages"', 'kind = "messages"\nweigth = 2'))
    assert "my-data.toml: sources[0].weigth: unknown field" in message


def test_wrong_types_are_named(tmp_path):
    assert "seed: Input should be a valid integer, unable to parse string as an integer (got 'x')" in error_of(
        tmp_path, 'seed = "x"\n' + MINIMAL
    )
    message = error_of(tmp_path, MINIMAL + "\n[selection]\nsize = -5\n")
    assert message.endswith("my-data.toml: selection.size: Input should be greater than 0 (got -5)")
    message = error_of(tmp_path, MINIMAL.replace('"messages"', '"csv"'))
    assert "sources[0].kind: Input should be" in message


def test_cross_field_rules(tmp_path):
    hub_without_revision = MINIMAL.replace('path = "chats.jsonl"', 'hub = "someone/chats"')
    assert "needs `revision`" in error_of(tmp_path, hub_without_revision)
    both = MINIMAL + 'hub = "someone/chats"\nrevision = "v1"\n'
    assert "either `path` or `hub`" in error_of(tmp_path, both)
    assert "splits.test: train + test must be 1, got 0.9 + 0.2" in error_of(
        tmp_path, MINIMAL + "\n[splits]\ntrain = 0.9\ntest = 0.2\n"
    )
    twice = MINIMAL + MINIMAL
    assert "source names must be unique" in error_of(tmp_path, twice)
    assert "invalid regex" in error_of(tmp_path, MINIMAL + '\n[filters.refusal]\npatterns = ["("]\n')
    assert "expected a repo id" in error_of(tmp_path, 'repo_id = "no-slash"\n' + MINIMAL)


def test_floating_revisions_are_allowed_but_not_pinned(tmp_path):
    recipe = load(tmp_path, MINIMAL.replace('path = "chats.jsonl"', 'hub = "someone/chats"\nrevision = "main"'))
    assert not recipe.sources[0].pinned


def test_hash_ignores_layout_but_not_settings(tmp_path):
    a = load(tmp_path, MINIMAL)
    b = load(tmp_path, "# comment\n" + MINIMAL.replace("name = ", "name    = "))
    c = load(tmp_path, "seed = 1\n" + MINIMAL)
    assert recipe_hash(a) == recipe_hash(b) != recipe_hash(c)
