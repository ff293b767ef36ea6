"""Every shipped release recipe loads, with the data and train recipes it names."""

import pytest

from hubtools.errors import HubtoolsError
from hubtools.recipes import shipped_recipes
from hubtools.release.recipe import load_release_recipe


@pytest.mark.parametrize("name", shipped_recipes("release"))
def test_shipped_release_recipe_loads_with_its_parts(name):
    from hubtools.data.recipe import load_data_recipe
    from hubtools.train.recipe import load_train_recipe

    recipe = load_release_recipe(name)
    assert load_data_recipe(recipe.data).name == recipe.data
    assert load_train_recipe(recipe.train).name == recipe.train


def test_unknown_field_and_bad_repo_id_are_named(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text('data = "demo"\ntrain = "demo"\nmodle = "x"\n[repos]\ndataset = "a/b/c"\nmodel = "m"\n')
    with pytest.raises(HubtoolsError) as error:
        load_release_recipe(path)
    assert str(error.value) == (
        f"{path}: repos.dataset: expected 'name' (published under the token's user) or 'namespace/name', "
        "got 'a/b/c'; modle: unknown field"
    )
