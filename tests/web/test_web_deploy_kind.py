"""`space deploy --kind auto` (the default): an existing Space keeps its kind; a new one is static on
huggingface.co only. An explicit kind that differs from an existing Space's is refused, by the library's deploy
itself, before anything is committed: the Space would switch SDK under its visitors with the other app's files
left behind."""

from __future__ import annotations

import pytest

from hubtools.cli import main
from hubtools.errors import HubtoolsError
from hubtools.serve.deploy import deploy_space
from hubtools.serve.space_kinds import check_kind, choose_kind
from hubtools.serve.static_space import deploy_static_space


def test_auto_kind_follows_the_existing_space(hf_api, repo_name):
    static, gradio = repo_name("kind-static"), repo_name("kind-gradio")
    hf_api.create_repo(static, repo_type="space", space_sdk="static")
    hf_api.create_repo(gradio, repo_type="space", space_sdk="gradio")
    assert choose_kind(hf_api, static, "auto") == "static"
    assert choose_kind(hf_api, gradio, "auto") == "gradio"
    assert choose_kind(hf_api, gradio, "static") == "static"  # an explicit kind is taken as given...
    assert choose_kind(hf_api, repo_name("kind-new"), "auto") == "gradio"  # not huggingface.co
    check_kind(hf_api, repo_name("kind-new"), "static")  # a new Space may be either
    check_kind(hf_api, static, "static")


@pytest.mark.parametrize(
    ("existing", "deploy", "kind"), [("gradio", "static", "static"), ("static", "gradio", "gradio")]
)
def test_a_space_of_the_other_kind_is_never_deployed_over(hf_api, repo_name, existing, deploy, kind):
    space = repo_name("kind-clash")
    hf_api.create_repo(space, repo_type="space", space_sdk=existing)
    before = [commit.commit_id for commit in hf_api.list_repo_commits(space, repo_type="space")]
    action = deploy_static_space if deploy == "static" else deploy_space
    with pytest.raises(HubtoolsError) as error:
        action(space, "local/any-model", api=hf_api)  # ...but refused before the model is even looked up
    assert str(error.value) == (
        f"{space} is a {existing} Space, not a {kind} one: deploy the {kind} chat to another Space name, "
        f"or delete {space} first to make it anew as {kind}"
    )
    assert [commit.commit_id for commit in hf_api.list_repo_commits(space, repo_type="space")] == before


def test_cli_hardware_on_a_static_space_is_refused(hf_api, hub, repo_name, capsys):
    space = repo_name("kind-hw")
    hf_api.create_repo(space, repo_type="space", space_sdk="static")
    common = ["space", "deploy", "--space", space, "--model", "local/any-model", "--hub", hub.url]
    assert main([*common, "--hardware", "zero-a10g"]) == 1  # --hardware means gradio; the Space is static
    assert f"{space} is a static Space, not a gradio one" in capsys.readouterr().err
    assert main([*common, "--hardware", "zero-a10g", "--kind", "static"]) == 1
    assert "--hardware: a static Space runs in the visitor's browser and has no hardware" in capsys.readouterr().err
