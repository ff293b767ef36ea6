"""Session fixtures for the Space tests: tiny models, and a model repo on the embedded Hub shaped like a release.

`chat_repo` holds, in order: a broken model tagged v0.0.1, model A tagged v0.1.0, model B with its published
`ct2-int8/` tagged v0.2.0 (the newest release), and a `checkpoints` branch with `checkpoint-1/` and
`checkpoint-2/` saved during a (pretend) training run.
"""

from __future__ import annotations

import sys
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from _space_models import make_tiny_model  # noqa: E402


@dataclass
class ChatRepo:
    repo_id: str
    tags: dict[str, str] = field(default_factory=dict)  # tag -> commit
    checkpoints_commit: str = ""
    dirs: dict[str, Path] = field(default_factory=dict)


@pytest.fixture(scope="session")
def session_api(hub, hub_token):
    from huggingface_hub import HfApi

    return HfApi(endpoint=hub.url, token=hub_token)


@pytest.fixture(scope="session")
def tiny_dirs(tmp_path_factory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("tiny-models")
    return {name: make_tiny_model(base / name, seed=seed) for seed, name in enumerate(["a", "b", "c"])}


@pytest.fixture(scope="session")
def chat_repo(session_api, tiny_dirs, tmp_path_factory) -> ChatRepo:
    from hubtools.serve.convert import convert_for_serving

    api = session_api
    repo = ChatRepo(repo_id=f"local/chat-{uuid.uuid4().hex[:8]}", dirs=tiny_dirs)
    api.create_repo(repo.repo_id)

    broken = tmp_path_factory.mktemp("broken")
    for name in ("tokenizer.json", "tokenizer_config.json", "chat_template.jinja"):
        (broken / name).write_bytes((tiny_dirs["a"] / name).read_bytes())
    (broken / "config.json").write_text('{"model_type": "gpt2", "n_layer": ')  # cut short: not JSON
    (broken / "model.safetensors").write_bytes(b"not a safetensors file")
    for tag, folder in (("v0.0.1", broken), ("v0.1.0", tiny_dirs["a"])):
        info = api.upload_folder(repo_id=repo.repo_id, folder_path=folder, commit_message=f"release {tag}")
        api.create_tag(repo.repo_id, tag=tag, revision=info.oid)
        repo.tags[tag] = info.oid

    release = tmp_path_factory.mktemp("release-b")
    for item in tiny_dirs["b"].iterdir():
        (release / item.name).write_bytes(item.read_bytes())
    convert_for_serving(tiny_dirs["b"], release / "ct2-int8")
    (release / "README.md").write_text(
        "---\ndatasets:\n- local/chat-data\nlicense: apache-2.0\n---\n# Tiny chat model\n"
    )
    info = api.upload_folder(repo_id=repo.repo_id, folder_path=release, commit_message="release v0.2.0")
    api.create_tag(repo.repo_id, tag="v0.2.0", revision=info.oid)
    repo.tags["v0.2.0"] = info.oid

    api.create_branch(repo.repo_id, branch="checkpoints")
    for step, name in ((1, "c"), (2, "a")):
        info = api.upload_folder(
            repo_id=repo.repo_id,
            folder_path=tiny_dirs[name],
            path_in_repo=f"checkpoint-{step}",
            revision="checkpoints",
            commit_message=f"checkpoint {step}",
        )
    repo.checkpoints_commit = info.oid
    return repo


@pytest.fixture(scope="session")
def service(chat_repo, session_api):
    """The chat service of the app under test, serving `chat_repo` (default: its newest release)."""
    from hubtools.serve.config import ServeConfig
    from hubtools.serve.service import ChatService

    service = ChatService(ServeConfig(model_repo=chat_repo.repo_id), api=session_api)
    service.start()
    assert service.startup_error is None, service.startup_error
    return service


@pytest.fixture(scope="session")
def app_url(service):
    """`spaces/chat/app.py` served in this process on 127.0.0.1."""
    from _space_app import running_app

    with running_app(service) as url:
        yield url
