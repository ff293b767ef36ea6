"""`hubtools eval` on a model and a dataset pushed to the embedded Hub, evaluated at a tag."""

from __future__ import annotations

import json

import pytest
from evaluation_helpers import CONVERSATIONS

from hubtools.cli import main


@pytest.fixture
def pushed(tiny_models, hf_api, repo_name):
    """The fine-tuned tiny model and the chat data on the Hub, tagged v1, with main moved on past the tag."""
    from datasets import Dataset, DatasetDict

    model_repo, data_repo = repo_name("eval-model"), repo_name("eval-data")
    hf_api.create_repo(model_repo)
    hf_api.upload_folder(folder_path=tiny_models["fine_tuned"], repo_id=model_repo, ignore_patterns=["*.json.lock"])
    hf_api.create_tag(model_repo, tag="v1")
    hf_api.upload_file(path_or_fileobj=b"after v1\n", path_in_repo="NOTES.md", repo_id=model_repo)

    rows = Dataset.from_dict({"messages": CONVERSATIONS})
    DatasetDict({"train": rows, "test": rows}).push_to_hub(data_repo)
    hf_api.create_tag(data_repo, tag="v1", repo_type="dataset")
    return {
        "model": model_repo,
        "data": data_repo,
        "model_sha": hf_api.model_info(model_repo, revision="v1").sha,
        "data_sha": hf_api.dataset_info(data_repo, revision="v1").sha,
    }


def test_eval_command_on_a_hub_model_at_a_tag(pushed, tiny_models, tiny_dataset_dir, tmp_path, capsys):
    from hubtools.evaluation import evaluate_model

    config = tmp_path / "eval.toml"
    config.write_text('probes = ["what is 2+2"]\nmax_new_tokens = 4\n', encoding="utf-8")
    out = tmp_path / "eval_results.json"
    argv = ["eval", pushed["model"], "--revision", "v1", "--dataset", pushed["data"], "--dataset-revision", "v1"]
    argv += ["--previous", str(tiny_models["previous"]), "--config", str(config), "--out", str(out)]
    assert main(argv) == 0
    printed = json.loads(capsys.readouterr().out)

    assert printed == json.loads(out.read_text(encoding="utf-8"))
    assert printed["models"]["fine_tuned"] == {
        "repo_id": pushed["model"],
        "revision": "v1",
        "commit": pushed["model_sha"],
    }
    assert printed["eval_dataset"] == {
        "repo_id": pushed["data"], "revision": "v1", "commit": pushed["data_sha"], "split": "test"
    }  # fmt: skip
    assert printed["models"]["base"] == {"path": str(tiny_models["base"])}  # from the pushed hubtools_train.json
    assert [probe["prompt"] for probe in printed["probes"]] == ["what is 2+2"]
    assert set(printed["probes"][0]["answers"]) == {"base", "fine_tuned", "previous"}

    local = evaluate_model(tiny_models["fine_tuned"], dataset=tiny_dataset_dir, probes=[], out=tmp_path / "local.json")
    assert printed["perplexity"] == pytest.approx(local.perplexity, rel=1e-6)  # same weights, same rows


def test_eval_command_reports_a_missing_repo(hub, capsys):
    assert main(["eval", "local/no-such-model", "--revision", "v1", "--dataset", "local/none"]) == 1
    assert "cannot fetch model local/no-such-model@v1" in capsys.readouterr().err
