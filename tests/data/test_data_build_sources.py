"""`data build` reads sources through the same safe path as `data convert`, and a source that parses as
nothing of its declared kind (fewer rows than `min_rows`) fails the build instead of vanishing from it."""

from __future__ import annotations

import contextlib
import gzip
import io
import json
import os
from pathlib import Path

import pytest

from hubtools.cli import main
from hubtools.data.build import build_dataset
from hubtools.data.recipe import load_data_recipe
from hubtools.errors import HubtoolsError


def hh(i: int) -> str:
    return json.dumps({"chosen": f"\n\nHuman: What is {i} plus {i}?\n\nAssistant: It is {2 * i}, of course."})


CAI = {
    "info": {"character": {"name": "Ada", "greeting": "Hello!"}},
    "histories": {
        "histories": [
            {"msgs": [{"text": "Hello!", "src": {"is_human": False}}, {"text": "Hi Ada", "src": {"is_human": True}}]}
        ]
    },
}


def recipe(tmp_path: Path, sources: str) -> Path:
    path = tmp_path / "r.toml"
    path.write_text('name = "r"\n' + sources)
    return path


def source(name: str, kind: str, path: str, extra: str = "") -> str:
    return f'[[sources]]\nname = "{name}"\nkind = "{kind}"\npath = "{path}"\n{extra}\n'


def run(argv: list[str]) -> tuple[int, str]:
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        code = main(argv)
    return code, err.getvalue()


def test_build_reads_hostile_files_as_rows_and_parse_rejects(tmp_path):
    good = "\n".join(hh(i) for i in range(6)).encode()
    damaged = (
        gzip.compress(b"\xef\xbb\xbf" + good + b"\n" + b'{"chosen": "caf\xe9"}\n' + b"[" * 3000 + b"\n")
        + gzip.compress(b"lost")[:10]
    )
    (tmp_path / "hh.jsonl.gz").write_bytes(damaged)
    (tmp_path / "latin.jsonl").write_bytes(hh(7).encode() + b"\n\xe9t\xe9\n")
    sources = source("hh", "hh-rlhf", "hh.jsonl.gz") + source("latin", "hh-rlhf", "latin.jsonl")
    result = build_dataset(recipe(tmp_path, sources), tmp_path / "out", progress=False, cache_dir=False)
    assert [(s["name"], s["parsed"], s["parse_rejected"]) for s in result.summary["sources"]] == [
        ("hh", 6, 3),
        ("latin", 1, 1),
    ]
    rejects = [json.loads(line) for line in (tmp_path / "out" / "rejects.jsonl").read_text().splitlines()]
    assert [f"{r['source_id']}: {r['reason']}" for r in rejects if r["stage"] == "parse"] == [
        "hh.jsonl.gz:7: not UTF-8 text (byte 0xe9 at column 16); Latin-1 or binary data?",
        "hh.jsonl.gz:8: invalid JSON: nested deeper than 100 levels",
        "hh.jsonl.gz: corrupt gzip after 8 lines",
        "latin.jsonl:2: not UTF-8 text (byte 0xe9 at column 1); Latin-1 or binary data?",
    ]


def test_a_source_of_another_kind_fails_the_build_with_the_count_of_rejected_lines(tmp_path):
    (tmp_path / "hh.jsonl").write_text("\n".join(hh(i) for i in range(4)) + "\n")
    (tmp_path / "ada.json").write_text(json.dumps(CAI, indent=1))
    lines = len(json.dumps(CAI, indent=1).splitlines())
    sources = source("hh", "hh-rlhf", "hh.jsonl") + source("cai", "hh-rlhf", "ada.json")
    out = tmp_path / "out"
    code, err = run(["data", "build", str(recipe(tmp_path, sources)), "--out", str(out), "--quiet"])
    assert code == 1 and "Traceback" not in err
    assert err.strip() == (
        "hubtools: error: recipe r: sources[1] ('cai', ada.json): 0 row(s) parse as hh-rlhf from 1 file(s), "
        f"fewer than min_rows = 1; {lines} line(s) rejected; first: ada.json:1: invalid JSON: Expecting "
        "property name enclosed in double quotes (column 2)"
    )
    assert not out.exists()


def test_min_rows_says_how_much_is_enough(tmp_path):
    (tmp_path / "hh.jsonl").write_text("\n".join(hh(i) for i in range(3)) + "\n{}\n")
    (tmp_path / "empty.jsonl").write_text("")
    enough = source("hh", "hh-rlhf", "hh.jsonl", "min_rows = 3") + source("e", "dolly", "empty.jsonl", "min_rows = 0")
    result = build_dataset(recipe(tmp_path, enough), tmp_path / "a", progress=False, cache_dir=False)
    assert result.counts["parsed"] == 3
    too_few = source("hh", "hh-rlhf", "hh.jsonl", "min_rows = 4")
    with pytest.raises(HubtoolsError, match=r"3 row\(s\) parse as hh-rlhf .* fewer than min_rows = 4; 1 line\(s\)"):
        build_dataset(recipe(tmp_path, too_few), tmp_path / "b", progress=False)
    empty = source("e", "dolly", "empty.jsonl")
    with pytest.raises(HubtoolsError, match=r"sources\[0\] \('e', empty.jsonl\): 0 row\(s\) .* 0 line\(s\) rejected$"):
        build_dataset(recipe(tmp_path, empty), tmp_path / "c", progress=False)
    with pytest.raises(HubtoolsError, match="min_rows"):
        load_data_recipe(recipe(tmp_path, source("hh", "hh-rlhf", "hh.jsonl", "min_rows = -1")))


def test_min_rows_is_not_part_of_the_recipe_hash(tmp_path):
    from hubtools.recipes import recipe_hash

    (tmp_path / "hh.jsonl").write_text(hh(0) + "\n")
    plain = load_data_recipe(recipe(tmp_path, source("hh", "hh-rlhf", "hh.jsonl")))
    gated = load_data_recipe(recipe(tmp_path, source("hh", "hh-rlhf", "hh.jsonl", "min_rows = 50")))
    assert gated.sources[0].min_rows == 50 and recipe_hash(gated) == recipe_hash(plain)


def test_build_refuses_a_source_inside_its_output_folder(tmp_path):
    out = tmp_path / "out"
    (tmp_path / "hh.jsonl").write_text("\n".join(hh(i) for i in range(4)) + "\n")
    first = build_dataset(recipe(tmp_path, source("hh", "hh-rlhf", "hh.jsonl")), out, progress=False, cache_dir=False)
    earlier = first.rejects_path.read_bytes()
    sources = source("hh", "hh-rlhf", "hh.jsonl") + source("old", "messages", "out/rejects.jsonl", "min_rows = 0")
    code, err = run(["data", "build", str(recipe(tmp_path, sources)), "--out", str(out), "--quiet"])
    assert code == 1 and "Traceback" not in err
    assert f"source 'old' reads {out / 'rejects.jsonl'}, inside the output folder {out}: choose another --out" in err
    assert first.rejects_path.read_bytes() == earlier


def test_build_output_under_a_file_is_one_line(tmp_path):
    (tmp_path / "hh.jsonl").write_text(hh(1) + "\n")
    (tmp_path / "note").write_text("x")
    code, err = run(
        [
            "data",
            "build",
            str(recipe(tmp_path, source("hh", "hh-rlhf", "hh.jsonl"))),
            "--out",
            str(tmp_path / "note" / "o"),
            "--quiet",
        ]
    )
    assert code == 1 and "Traceback" not in err
    assert (
        err.strip()
        == f"hubtools: error: output folder {tmp_path / 'note' / 'o'}: {tmp_path / 'note'} is a file, not a folder"
    )


def test_build_reads_a_folder_whose_file_names_are_not_utf8(tmp_path):
    folder = tmp_path / "src"
    folder.mkdir()
    with open(os.path.join(os.fsencode(folder), b"caf\xe9.jsonl"), "wb") as handle:
        handle.write((hh(1) + "\n").encode() + b"\xe9t\xe9\n")
    result = build_dataset(recipe(tmp_path, source("hh", "hh-rlhf", "src")), tmp_path / "out", progress=False)
    assert result.counts["parsed"] == 1 and result.summary["sources"][0]["commit"].startswith("sha256:")
    (reject,) = [json.loads(line) for line in result.rejects_path.read_text(encoding="utf-8").splitlines()]
    assert reject["source_id"] == "caf\ufffd.jsonl:2"
