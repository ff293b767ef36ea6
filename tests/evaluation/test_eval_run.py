"""`evaluate_model` on local tiny models: defaults from hubtools_train.json, the report and its JSON file."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from hubtools.errors import HubtoolsError
from hubtools.evaluation import EvalConfig, EvalReport, evaluate_model, load_eval_config

SMALL = EvalConfig(probes=["what is 2+2", "what's your name"], max_new_tokens=5)


def test_evaluate_model_local(tiny_models, tiny_dataset_dir, tmp_path):
    out = tmp_path / "eval_results.json"
    report = evaluate_model(tiny_models["fine_tuned"], previous=tiny_models["previous"], config=SMALL, out=out)

    assert report.perplexity == pytest.approx(math.exp(report.mean_loss))
    assert report.loss_on == "assistant"
    assert report.eval_dataset.path == str(tiny_dataset_dir) and report.eval_dataset.split == "test"
    assert report.base_model.path == str(tiny_models["base"])  # from hubtools_train.json
    assert report.previous.path == str(tiny_models["previous"])
    assert [probe.prompt for probe in report.probes] == SMALL.probes
    assert set(report.probes[0].answers) == {"base", "fine_tuned", "previous"}
    assert report.settings["prompt_format"] == {
        "fine_tuned": "chat_template",
        "base": "plain",
        "previous": "chat_template",
    }

    data = json.loads(out.read_text(encoding="utf-8"))
    assert list(data) == [
        "format", "perplexity", "mean_loss", "num_tokens", "num_sequences", "loss_on",
        "eval_dataset", "models", "settings", "probes", "hubtools_version",
    ]  # fmt: skip
    assert list(data["probes"][0]["answers"]) == ["base", "fine_tuned", "previous"]
    assert EvalReport.read(out) == report  # lossless round trip


def test_default_out_is_the_model_folder_and_probes_can_be_replaced(tiny_models, tiny_dataset_dir, tmp_path):
    import shutil

    folder = tmp_path / "model"
    shutil.copytree(tiny_models["fine_tuned"], folder)
    report = evaluate_model(folder, dataset=tiny_dataset_dir, base_model=None, probes=[], config=SMALL)
    assert report.probes == []
    assert EvalReport.read(folder) == report  # written to MODEL/eval_results.json


def test_missing_dataset_and_split_are_user_errors(tiny_models, tiny_dataset_dir, tmp_path):
    with pytest.raises(HubtoolsError, match="no eval dataset"):
        evaluate_model(tiny_models["previous"], config=SMALL, out=tmp_path / "x.json")
    with pytest.raises(HubtoolsError, match="no split 'validation'"):
        evaluate_model(
            tiny_models["previous"],
            dataset=tiny_dataset_dir,
            config=EvalConfig(split="validation"),
            out=tmp_path / "x.json",
        )


def test_eval_command_rejects_a_revision_for_a_local_folder(tiny_models, capsys):
    from hubtools.cli import main

    assert main(["eval", str(tiny_models["fine_tuned"]), "--revision", "v1"]) == 1
    assert "--revision applies to Hub repos only" in capsys.readouterr().err
    assert main(["eval", str(tiny_models["fine_tuned"]), "--max-new-tokens", "0"]) == 1
    assert "max_new_tokens" in capsys.readouterr().err


def test_eval_config_file(tmp_path: Path):
    path = tmp_path / "recipe.toml"
    path.write_text('name = "x"\n[eval]\nextra_probes = ["tell me a joke", "what is 2+2"]\nmax_new_tokens = 16\n')
    config = load_eval_config(path)
    assert config.max_new_tokens == 16
    assert config.all_probes[-1] == "tell me a joke" and config.all_probes.count("what is 2+2") == 1
    path.write_text("probes = []\nmax_new_token = 3\n")
    with pytest.raises(HubtoolsError, match="max_new_token: unknown field"):
        load_eval_config(path)


def test_report_rejects_unknown_format(tmp_path: Path):
    (tmp_path / "eval_results.json").write_text('{"format": 99}')
    with pytest.raises(HubtoolsError, match="format 99"):
        EvalReport.read(tmp_path)
    with pytest.raises(HubtoolsError, match="no eval results"):
        EvalReport.read(tmp_path / "missing")


def test_published_eval_results_round_trip_byte_for_byte(tmp_path: Path):
    published = Path(__file__).parent / "golden" / "eval_results.json"  # as written by hubtools before pydantic
    report = EvalReport.read(published)
    assert report.base_model is not None and report.probes and list(report.probes[0].answers)[0] == "base"
    assert report.write(tmp_path / "again.json").read_bytes() == published.read_bytes()


def test_report_errors_name_the_file_and_its_fields(tmp_path: Path):
    data = json.loads((Path(__file__).parent / "golden" / "eval_results.json").read_text(encoding="utf-8"))
    data["num_tokens"] = "many"
    data["models"]["fine_tuned"] = {"repo_id": 3}
    data["probes"][0]["answers"]["bogus"] = {"text": "x"}
    (tmp_path / "eval_results.json").write_text(json.dumps(data))
    with pytest.raises(HubtoolsError) as info:
        EvalReport.read(tmp_path)
    message = str(info.value)
    assert message.startswith(f"{tmp_path / 'eval_results.json'}: num_tokens: ")
    assert "; models.fine_tuned.repo_id: " in message and "; probes[0].answers.bogus: " in message
