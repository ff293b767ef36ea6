"""`hubtools data convert` and `data build` through `hubtools.cli.main`: exit codes, files, messages."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hubtools.cli import main

DEMO = Path(__file__).resolve().parents[2] / "hubtools" / "data" / "demo"


def write(path: Path, lines: list[str]) -> Path:
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


GOOD = json.dumps({"chosen": "\n\nHuman: Email me at a.b@example.com\n\nAssistant: I can't send e-mail, sorry."})
BAD = '{"chosen": broken'


def test_convert_writes_messages_and_rejects(tmp_path, capsys):
    source = write(tmp_path / "hh.jsonl", [GOOD, BAD, json.dumps({"chosen": 1}), GOOD.replace("a.b", "c.d")])
    out = tmp_path / "out.jsonl"
    assert main(["data", "convert", "--from", "hh-rlhf", str(source), "--out", str(out)]) == 0
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(rows) == 2
    assert rows[0] == {
        "messages": [
            {"role": "user", "content": "Email me at [EMAIL_1]"},
            {"role": "assistant", "content": "I can't send e-mail, sorry."},
        ],
        "source": "hh-rlhf",
        "source_id": f"{source}:1",
    }
    err = capsys.readouterr().err
    assert f"{source}:2: invalid JSON" in err
    assert f"{source}:3: field 'chosen' must be a string, got a number" in err
    assert "converted 2 conversation(s)" in err and "EMAIL 2" in err
    rejects = [json.loads(line) for line in (tmp_path / "out.rejects.jsonl").read_text().splitlines()]
    assert [(r["source_id"], r["stage"]) for r in rejects] == [(f"{source}:2", "parse"), (f"{source}:3", "parse")]
    assert rejects[0]["row"] == BAD


def test_convert_strict_fails_and_writes_nothing(tmp_path, capsys):
    source = write(tmp_path / "hh.jsonl", [GOOD, BAD])
    out = tmp_path / "out.jsonl"
    assert main(["data", "convert", "--from", "hh-rlhf", str(source), "--out", str(out), "--strict"]) == 1
    assert not out.exists()
    err = capsys.readouterr().err
    assert f"{source}:2: invalid JSON" in err and "--strict" in err
    assert (
        main(["data", "convert", "--from", "hh-rlhf", str(write(source, [GOOD])), "--out", str(out), "--strict"]) == 0
    )
    assert out.exists() and not (tmp_path / "out.rejects.jsonl").exists()


def test_convert_fails_when_nothing_converts(tmp_path, capsys):
    source = write(tmp_path / "hh.jsonl", [BAD, "\x00junk"])
    assert main(["data", "convert", "--from", "hh-rlhf", str(source), "--out", str(tmp_path / "o.jsonl")]) == 1
    assert "no conversation converted" in capsys.readouterr().err


def test_convert_folder_of_cai_dumps_with_custom_rejects(tmp_path, capsys):
    out, rejects = tmp_path / "cai.jsonl", tmp_path / "bad.jsonl"
    code = main(
        ["data", "convert", "--from", "cai-dump", str(DEMO / "cai"), "--out", str(out), "--rejects", str(rejects)]
    )
    assert code == 0
    text = out.read_text()
    for leak in ("Rosalind", "rosalind99", "Roz", "Marta", "starlight", "roz.starlight@example.net", "555-0199"):
        assert leak not in text
    assert "[NAME_1]" in text and "[EMAIL_1]" in text and "[PHONE_1]" in text
    assert {json.loads(line)["source_id"].split("/")[-1] for line in rejects.read_text().splitlines()} == {
        "captain-nova.json:histories[14]",
        "captain-nova.json:histories[15]",
        "chef-basil-partial.json:187",
    }


def test_convert_usage_errors(tmp_path, capsys):
    with pytest.raises(SystemExit):
        main(["data", "convert", "--from", "csv", "x", "--out", "y"])
    assert main(["data", "convert", "--from", "dolly", str(tmp_path / "missing.jsonl"), "--out", "o.jsonl"]) == 1
    assert "input not found" in capsys.readouterr().err


def test_build_demo(tmp_path, capsys):
    out = tmp_path / "demo"
    assert main(["data", "build", "demo", "--out", str(out), "--quiet"]) == 0
    captured = capsys.readouterr()
    assert captured.out.strip() == str(out)
    assert "built demo: 800 conversations" in captured.err
    summary = json.loads((out / "build.json").read_text())
    counts = summary["counts"]
    assert counts["selected"] == 800
    assert counts["parse_rejected"] > 0 and counts["dedup"]["exact"] > 0 and counts["dedup"]["near"] > 0
    assert all(counts["filters"][name] > 0 for name in counts["filters"])
    assert all(counts["pii"][kind] > 0 for kind in ("NAME", "EMAIL", "PHONE", "IP", "URL", "ADDRESS", "CARD"))
    stages = {json.loads(line)["stage"] for line in (out / "rejects.jsonl").read_text().splitlines()}
    assert stages == {"parse", "filter", "dedup", "select"}
    card = (out / "README.md").read_text()
    assert "| **demo** |" in card and "**800**" in card

    from datasets import load_from_disk

    dataset = load_from_disk(str(out))
    assert set(dataset) == {"train", "test"}
    assert len(dataset["train"]) + len(dataset["test"]) == 800
    row = dataset["train"][0]
    assert set(row) == {"messages", "source", "source_id", "score"}
    assert row["messages"][0]["role"] in ("system", "user")


def test_build_is_deterministic_and_reuses_the_dedup_cache(tmp_path):
    from hubtools.data.build import build_dataset

    first = build_dataset("demo", tmp_path / "a", progress=False)
    second = build_dataset("demo", tmp_path / "b", progress=False)
    assert second.dedup_cached
    assert first.content_hash == second.content_hash
    assert (tmp_path / "a" / "README.md").read_text() == (tmp_path / "b" / "README.md").read_text()
    uncached = build_dataset("demo", tmp_path / "c", progress=False, cache_dir=False, num_proc=2)
    assert not uncached.dedup_cached and uncached.content_hash == first.content_hash


def test_build_never_clears_a_folder_that_is_not_a_build(tmp_path, capsys):
    (tmp_path / "test").mkdir()
    (tmp_path / "test" / "keep.py").write_text("precious")
    assert main(["data", "build", "demo", "--out", str(tmp_path), "--quiet"]) == 1
    assert "not empty and holds no earlier build" in capsys.readouterr().err
    assert (tmp_path / "test" / "keep.py").read_text() == "precious"
