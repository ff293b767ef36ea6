"""Contract tests: `datasets`, `transformers` and `HfFileSystem`, unmodified, against the embedded Hub."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="module")
def tiny_gpt2():
    from transformers import GPT2Config, GPT2LMHeadModel

    config = GPT2Config(n_layer=1, n_embd=16, n_head=2, vocab_size=100, n_positions=32)
    return GPT2LMHeadModel(config)


def test_dataset_push_to_hub_and_load_at_branch_and_tag(hf_api, hub_token, repo_name):
    from datasets import Dataset, load_dataset

    repo = repo_name("dataset")
    Dataset.from_dict({"text": ["a", "b", "c"], "label": [0, 1, 0]}).push_to_hub(repo, token=hub_token)
    Dataset.from_dict({"text": ["x", "y"], "label": [1, 1]}).push_to_hub(repo, revision="dev", token=hub_token)
    hf_api.create_tag(repo, tag="v1", revision="dev", repo_type="dataset")
    files = hf_api.list_repo_files(repo, repo_type="dataset")
    assert any(path.startswith("data/train-") and path.endswith(".parquet") for path in files)
    assert "README.md" in files

    main = load_dataset(repo, split="train", token=hub_token)
    assert sorted(main["text"]) == ["a", "b", "c"]
    dev = load_dataset(repo, split="train", revision="dev", token=hub_token)
    assert sorted(dev["text"]) == ["x", "y"]
    tagged = load_dataset(repo, split="train", revision="v1", token=hub_token)
    assert sorted(tagged["text"]) == ["x", "y"]


def test_dataset_push_to_hub_replaces_previous_shards(hf_api, hub_token, repo_name):
    from datasets import Dataset, load_dataset

    repo = repo_name("dataset-again")
    Dataset.from_dict({"n": [1, 2]}).push_to_hub(repo, token=hub_token)
    Dataset.from_dict({"n": [3]}).push_to_hub(repo, token=hub_token)
    assert load_dataset(repo, split="train", token=hub_token)["n"] == [3]


def test_model_push_to_hub_and_from_pretrained_at_tag(hf_api, hub_token, repo_name, tiny_gpt2):
    import torch
    from transformers import AutoModelForCausalLM

    repo = repo_name("gpt2")
    tiny_gpt2.push_to_hub(repo, token=hub_token)
    hf_api.create_tag(repo, tag="v1")
    original = tiny_gpt2.transformer.wte.weight.detach().clone()
    with torch.no_grad():
        tiny_gpt2.transformer.wte.weight.add_(1.0)
    tiny_gpt2.push_to_hub(repo, token=hub_token, commit_message="shift embeddings")

    files = {entry.path: entry for entry in hf_api.list_repo_tree(repo)}
    assert files["model.safetensors"].lfs is not None
    assert files["config.json"].lfs is None

    tagged = AutoModelForCausalLM.from_pretrained(repo, revision="v1", token=hub_token)
    latest = AutoModelForCausalLM.from_pretrained(repo, token=hub_token)
    assert torch.equal(latest.transformer.wte.weight, tiny_gpt2.transformer.wte.weight)
    assert torch.equal(tagged.transformer.wte.weight, original)


def test_hf_file_system_glob_and_read(hf_api, hub, hub_token, repo_name):
    from huggingface_hub import HfFileSystem

    repo = repo_name("fs")
    hf_api.create_repo(repo, repo_type="dataset")
    for path in ("data/train-00000.parquet", "data/train-00001.parquet", "data/test-00000.parquet", "notes.md"):
        hf_api.upload_file(path_or_fileobj=path.encode(), path_in_repo=path, repo_id=repo, repo_type="dataset")
    fs = HfFileSystem(endpoint=hub.url, token=hub_token)
    root = f"datasets/{repo}"
    assert sorted(fs.glob(f"{root}/data/train-*")) == [
        f"{root}/data/train-00000.parquet",
        f"{root}/data/train-00001.parquet",
    ]
    assert fs.glob(f"{root}/missing/*") == []
    assert fs.isdir(f"{root}/data") and not fs.exists(f"{root}/absent.txt")
    assert fs.cat(f"{root}/notes.md") == b"notes.md"
    assert sorted(fs.glob(f"{root}/**/*.parquet")) == sorted(fs.find(f"{root}/data"))
