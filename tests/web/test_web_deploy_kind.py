"""`space deploy --kind auto`: an existing Space keeps its kind; a new one is static only on huggingface.co."""

from __future__ import annotations

from hubtools.serve.static_space import choose_kind


def test_auto_kind_follows_the_existing_space(hf_api, repo_name):
    static, gradio = repo_name("kind-static"), repo_name("kind-gradio")
    hf_api.create_repo(static, repo_type="space", space_sdk="static")
    hf_api.create_repo(gradio, repo_type="space", space_sdk="gradio")
    assert choose_kind(hf_api, static, "auto") == "static"
    assert choose_kind(hf_api, gradio, "auto") == "gradio"
    assert choose_kind(hf_api, gradio, "static") == "static"  # an explicit kind wins
    assert choose_kind(hf_api, repo_name("kind-new"), "auto") == "gradio"  # not huggingface.co
