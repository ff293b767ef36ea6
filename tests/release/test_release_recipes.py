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


def _release(tmp_path, tail: str):
    path = tmp_path / "spaces.toml"
    path.write_text(f'data = "demo"\ntrain = "demo"\n[repos]\ndataset = "d"\nmodel = "m"\n{tail}')
    return path


def _error(path) -> str:
    with pytest.raises(HubtoolsError) as error:
        load_release_recipe(path)
    return str(error.value)


def test_spaces_are_listed_with_a_kind_static_by_default(tmp_path):
    recipe = load_release_recipe(
        _release(
            tmp_path,
            '[[spaces]]\nrepo = "web"\n[[spaces]]\nrepo = "o/chat"\nkind = "gradio"\nhardware = "zero-a10g"\n'
            '[[spaces]]\nrepo = "o/chat-2"\nkind = "gradio"\n',
        )
    )
    assert [(space.repo, space.kind, space.hardware) for space in recipe.spaces] == [
        ("web", "static", None),
        ("o/chat", "gradio", "zero-a10g"),
        ("o/chat-2", "gradio", None),
    ]
    assert load_release_recipe(_release(tmp_path, "")).spaces == []


@pytest.mark.parametrize(
    ("tail", "message"),
    [
        (
            '[[spaces]]\nrepo = "web"\nhardware = "cpu-basic"\n',
            "spaces[0].hardware: a static Space runs in the visitor's browser and has no hardware: "
            'set kind = "gradio" or leave hardware out',
        ),
        ('[[spaces]]\nrepo = "web"\nkind = "docker"\n', "spaces[0].kind: Input should be 'static' or 'gradio'"),
        ('[[spaces]]\nrepo = "a"\n[[spaces]]\nrepo = "o/b"\n[[spaces]]\nrepo = "O/B"\n', "spaces[2].repo: 'O/B' is "),
        ('[[spaces]]\nkind = "gradio"\n', "spaces[0].repo: required field is missing"),
        ('[[spaces]]\nrepo = "web"\nsdk = "static"\n', "spaces[0].sdk: unknown field"),
        ('[[spaces]]\nrepo = "web"\nbase_model = "b"\n', "spaces[0].base_model: unknown field"),  # a [repos] key
        ('spaces = "web"\n', "repos.spaces: Spaces are listed in top-level [[spaces]] tables, not under [repos]"),
    ],
)
def test_bad_spaces_are_named_by_index_and_field(tmp_path, tail, message):
    path = _release(tmp_path, tail)
    assert _error(path).startswith(f"{path}: {message}")


def test_the_keys_of_earlier_recipes_say_what_to_write_instead(tmp_path):
    path = _release(tmp_path, 'space = "chat"\nspace_hardware = "zero-a10g"\nweb_space = "web"\n')
    assert _error(path) == (
        f"{path}: repos.space: replaced by [[spaces]] tables (top level, one per Space), as are repos.web_space, "
        'repos.space_hardware; instead write: [[spaces]] with repo = "chat", kind = "gradio", hardware = "zero-a10g"; '
        '[[spaces]] with repo = "web" (kind "static" is the default)'
    )
    path = _release(tmp_path, 'web_space = "web"\n')
    assert _error(path) == (
        f"{path}: repos.web_space: replaced by [[spaces]] tables (top level, one per Space); "
        'instead write: [[spaces]] with repo = "web" (kind "static" is the default)'
    )
