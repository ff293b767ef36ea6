"""A release killed (kill -9) at each stage boundary, and while tagging, resumes on re-run and finishes.

`hubtools release` runs as a real subprocess against the session's embedded Hub, through a relay that watches
its requests and kills it at the chosen one; nothing in the code under test knows it is being tested.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from _killing_relay import KillingRelay

pytestmark = pytest.mark.slow

FIXTURES = Path(__file__).parent / "fixtures"
VERSION = "v1.0.0"


@pytest.fixture(scope="module")
def relay(hub):
    relay = KillingRelay(hub.url)
    yield relay
    relay.close()


@pytest.fixture
def names(tmp_path):
    """A release recipe of its own (fresh repos, so fresh training) written next to a copy of the train recipe."""
    suffix = uuid.uuid4().hex[:6]
    repos = {"dataset": f"resume-chats-{suffix}", "model": f"resume-model-{suffix}", "space": f"resume-chat-{suffix}"}
    text = (FIXTURES / "tiny-release.toml").read_text()
    for kind in ("dataset", "model"):
        text = re.sub(rf'^{kind} = ".*"$', f'{kind} = "{repos[kind]}"', text, flags=re.M)
    # One Gradio Space of its own (the static one's deploy is the same stage with other files).
    text = re.sub(r"(\[\[spaces\]\]\n[^\[]*)+", f'[[spaces]]\nrepo = "{repos["space"]}"\nkind = "gradio"\n\n', text)
    (tmp_path / "tiny-train.toml").write_text((FIXTURES / "tiny-train.toml").read_text())
    recipe = tmp_path / f"resume-{suffix}.toml"
    recipe.write_text(text)
    return recipe, {kind: f"local/{name}" for kind, name in repos.items()}


def _run(relay: KillingRelay, recipe: Path, rule=None) -> tuple[int, str]:
    """`hubtools release` in a subprocess through the relay; killed by it when `rule` picks a request."""
    command = [sys.executable, "-m", "hubtools", "release", str(recipe), "--version", VERSION, "--hub", relay.url]
    import hubtools

    # The subprocess runs the very hubtools this test imported.
    source = str(Path(hubtools.__file__).parents[1])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [source, os.environ.get("PYTHONPATH")]))}
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    if rule is not None:
        relay.arm(process, rule)
    try:
        out, err = process.communicate(timeout=600)
    finally:
        relay.disarm()
        process.kill()
    return process.returncode, out + err


def _commit_to(repo_type: str, repo_id: str, branch: str, summary: str = ""):
    path = f"/api/{repo_type}s/{repo_id}/commit/{branch}"
    return lambda method, url, body: "after" if method == "POST" and url == path and summary.encode() in body else None


def _tags(api, repo_id: str, repo_type: str) -> dict[str, str]:
    if not api.repo_exists(repo_id, repo_type=repo_type):
        return {}
    return {ref.name: ref.target_commit for ref in api.list_repo_refs(repo_id, repo_type=repo_type).tags}


def _all_tags(api, repos: dict[str, str]) -> dict[str, bool]:
    return {kind: VERSION in _tags(api, repo_id, kind) for kind, repo_id in repos.items()}


def test_killed_at_every_boundary_resumes_and_finishes(relay, names, hf_api, capsys):
    from hubtools.cli import main
    from hubtools.paths import hubtools_home

    recipe, repos = names
    no_tags = {"dataset": False, "model": False, "space": False}
    trained = lambda: any((hubtools_home() / "releases" / recipe.stem).glob("*/model/hubtools_train.json"))  # noqa: E731

    # 1. The dataset's last commit (its card) lands on the Hub; the process dies before it hears back.
    code, log = _run(relay, recipe, _commit_to("dataset", repos["dataset"], "main", "Dataset card"))
    assert code == -9, log
    data_commit = hf_api.repo_info(repos["dataset"], repo_type="dataset").sha
    assert not trained() and _all_tags(hf_api, repos) == no_tags

    # 2. Training: killed once the first checkpoint reached the `checkpoints` branch.
    code, log = _run(relay, recipe, _commit_to("model", repos["model"], "checkpoints"))
    assert code == -9, log
    assert hf_api.repo_info(repos["dataset"], repo_type="dataset").sha == data_commit  # the data was not pushed twice
    assert not trained()

    # 3. Trained (its record written), killed at the very next request.
    code, log = _run(relay, recipe, lambda *request: "before" if trained() else None)
    assert code == -9, log
    assert "train done" in log

    # 4. The model commit lands; killed before the Space is deployed.
    code, log = _run(relay, recipe, _commit_to("model", repos["model"], "main", "model, card and evaluation"))
    assert code == -9, log
    assert "train up to date" in log and "] space:" not in log
    model_commit = hf_api.repo_info(repos["model"]).sha

    # 5. Deployed, verified, release.json committed: killed before any tag.
    code, log = _run(relay, recipe, _commit_to("model", repos["model"], "main", ": manifest"))
    assert code == -9, log
    assert f"] space:{repos['space'].split('/')[1]} done" in log and "] verify done" in log
    assert _all_tags(hf_api, repos) == no_tags
    assert hf_api.list_repo_commits(repos["model"])[1].commit_id == model_commit  # the upload was not redone

    # 6. Killed just before tagging the model repo: the dataset and the Space are tagged, the model is not.
    model_tag = f"/api/models/{repos['model']}/tag/"
    code, log = _run(relay, recipe, lambda method, url, body: "before" if url.startswith(model_tag) else None)
    assert code == -9, log
    assert _all_tags(hf_api, repos) == {"dataset": True, "model": False, "space": True}
    assert "release.json" in log and "] train up to date" in log

    # The dry run reads the same state from the Hub: only the model's tag is left to make.
    capsys.readouterr()
    assert main(["release", str(recipe), "--version", VERSION, "--dry-run", "--json"]) == 0
    step = json.loads(capsys.readouterr().out.splitlines()[-1])[-1]
    assert (step["stage"], step["target"], step["state"]) == ("tag", repos["model"], "to do")

    # A tag moved by someone else is refused, and nothing is tagged.
    space_tag = _tags(hf_api, repos["space"], "space")[VERSION]
    hf_api.delete_tag(repos["space"], tag=VERSION, repo_type="space")
    initial = hf_api.list_repo_commits(repos["space"], repo_type="space")[-1].commit_id
    hf_api.create_tag(repos["space"], tag=VERSION, revision=initial, repo_type="space")
    capsys.readouterr()
    assert main(["release", str(recipe), "--version", VERSION]) == 1
    [line] = [line for line in capsys.readouterr().err.splitlines() if line.startswith("hubtools:")]
    assert "belongs to something else" in line and line.endswith(
        "(release stopped in stage tag; the same command continues from there)"
    )
    assert not _all_tags(hf_api, repos)["model"]
    hf_api.delete_tag(repos["space"], tag=VERSION, repo_type="space")
    hf_api.create_tag(repos["space"], tag=VERSION, revision=space_tag, repo_type="space")

    # 7. The re-run finishes: every tag on the commits release.json names, the model's on release.json itself.
    # It needs nothing local: what is left to do is known from the Hub alone.
    shutil.rmtree(hubtools_home() / "releases" / recipe.stem)
    code, log = _run(relay, recipe)
    assert code == 0, log
    assert f"{VERSION} released" in log
    tags = {kind: _tags(hf_api, repo_id, kind)[VERSION] for kind, repo_id in repos.items()}
    manifest = json.loads(Path(hf_api.hf_hub_download(repos["model"], "release.json", revision=VERSION)).read_text())
    assert tags["dataset"] == manifest["dataset"]["commit"] == data_commit
    assert manifest["spaces"] == [{"repo_id": repos["space"], "kind": "gradio", "commit": space_tag}]
    assert tags["space"] == space_tag
    assert manifest["model"]["commit"] == model_commit
    assert hf_api.list_repo_commits(repos["model"], revision=tags["model"])[1].commit_id == model_commit

    # And a further run is the idempotent no-op.
    capsys.readouterr()
    assert main(["release", str(recipe), "--version", VERSION]) == 0
    assert "already released (nothing changed)" in capsys.readouterr().out


def test_killed_between_the_base_upload_and_its_tag_resumes_without_retraining(relay, hf_api, tmp_path):
    """The base's commit lands but its tag does not: the re-run neither trains nor commits it again, and tags it."""
    suffix = uuid.uuid4().hex[:6]
    base_repo = f"local/resume-base-{suffix}"
    text = (FIXTURES / "tiny-release-base.toml").read_text()
    for kind in ("dataset", "base_model", "model"):
        text = re.sub(rf'^{kind} = "(.*)"$', rf'{kind} = "\1-{suffix}"', text, flags=re.M)
    text = text.replace(f'"base-test-base-{suffix}"', f'"resume-base-{suffix}"')
    for name in ("tiny-base.toml", "tiny-train.toml"):
        (tmp_path / name).write_text((FIXTURES / name).read_text())
    recipe = tmp_path / f"resume-base-{suffix}.toml"
    recipe.write_text(text)

    tag_request = f"/api/models/{base_repo}/tag/"
    code, log = _run(relay, recipe, lambda method, url, body: "before" if url.startswith(tag_request) else None)
    assert code == -9, log
    uploaded = hf_api.repo_info(base_repo).sha
    assert not _tags(hf_api, base_repo, "model")  # published, not tagged: not yet the base of anything

    code, log = _run(relay, recipe)
    assert code == 0, log
    assert "] base done" in log and "trained earlier" in log
    assert hf_api.repo_info(base_repo).sha == uploaded  # the same commit, not a second upload
    [tag] = _tags(hf_api, base_repo, "model").items()
    assert tag[0].startswith("tiny-base-") and tag[1] == uploaded
    released = hf_api.hf_hub_download(f"local/base-test-model-{suffix}", "release.json", revision=VERSION)
    manifest = json.loads(Path(released).read_text())
    assert manifest["base_model"] == {"repo_id": base_repo, "commit": uploaded, "tag": tag[0]}
