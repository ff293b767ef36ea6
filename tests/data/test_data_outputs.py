"""Nothing the user had is lost: `data convert` never writes over an input, and a failed write leaves an
existing output as it was. Through `hubtools.cli.main` and, for real filesystem limits, the `hubtools`
command in a subprocess."""

from __future__ import annotations

import contextlib
import gzip
import io
import json
import os
import resource
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hubtools.cli import main

ROOT = Path(__file__).resolve().parents[2]
GOOD = json.dumps({"chosen": "\n\nHuman: Hi there\n\nAssistant: Hello, how can I help?"})
BAD = '{"chosen": broken'


def run(argv: list[str]) -> tuple[int, str]:
    """`hubtools ARGV` in this process: exit status and stderr."""
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        code = main(argv)
    return code, err.getvalue()


def hubtools(argv: list[str], *, cwd: Path, fsize: int | None = None) -> subprocess.CompletedProcess:
    """The real `hubtools` command; `fsize` caps the size of any file it writes (RLIMIT_FSIZE)."""

    def limit() -> None:
        if fsize is not None:
            resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, fsize))

    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONDONTWRITEBYTECODE": "1"}
    return subprocess.run(
        [sys.executable, "-m", "hubtools", *argv],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        preexec_fn=limit,
        timeout=120,
    )


@pytest.fixture
def source(tmp_path) -> Path:
    path = tmp_path / "hh.jsonl"
    path.write_text(f"{GOOD}\n{BAD}\n{GOOD}\n")
    return path


def assert_one_line_error(code: int, err: str, expected: str) -> None:
    assert code != 0
    assert "Traceback" not in err
    lines = [line for line in err.splitlines() if line.startswith("hubtools: error:")]
    assert lines == [f"hubtools: error: {expected}"]


def leftovers(folder: Path) -> list[str]:
    return sorted(path.name for path in folder.iterdir() if path.name.endswith(".tmp"))


def test_an_output_that_is_an_input_is_refused_and_the_input_survives(tmp_path, source, monkeypatch):
    monkeypatch.chdir(tmp_path)
    original = source.read_bytes()
    (tmp_path / "link.jsonl").symlink_to(source)
    os.link(source, tmp_path / "hard.jsonl")
    (tmp_path / "other.jsonl").write_text("old output\n")
    refused = "is the input {}: refusing to overwrite an input"
    cases = [
        (["--out", str(source)], f"--out {source} " + refused.format(source)),
        (["--out", "./hh.jsonl"], "--out hh.jsonl " + refused.format(source)),
        (["--out", "sub/../hh.jsonl"], "--out sub/../hh.jsonl " + refused.format(source)),
        (["--out", "link.jsonl"], "--out link.jsonl " + refused.format(source)),
        (["--out", "hard.jsonl"], "--out hard.jsonl " + refused.format(source)),
        (["--out", "o.jsonl", "--rejects", str(source)], f"--rejects {source} " + refused.format(source)),
        (["--out", "o.jsonl", "--rejects", "./link.jsonl"], "--rejects link.jsonl " + refused.format(source)),
        (
            ["--out", "other.jsonl", "--rejects", "./other.jsonl"],
            "--rejects other.jsonl is the same file as --out other.jsonl: give another path",
        ),
    ]
    for options, expected in cases:
        code, err = run(["data", "convert", "--from", "hh-rlhf", str(source), *options])
        assert_one_line_error(code, err, expected)
        assert source.read_bytes() == original
        assert (tmp_path / "other.jsonl").read_text() == "old output\n"
    assert not (tmp_path / "o.jsonl").exists() and leftovers(tmp_path) == []


def test_an_output_inside_an_input_folder_is_refused_when_it_would_be_read(tmp_path):
    folder = tmp_path / "dumps"
    folder.mkdir()
    (folder / "a.jsonl").write_text(GOOD + "\n")
    original = (folder / "a.jsonl").read_bytes()
    code, err = run(["data", "convert", "--from", "hh-rlhf", str(folder), "--out", str(folder / "a.jsonl")])
    assert_one_line_error(
        code, err, f"--out {folder / 'a.jsonl'} is the input {folder / 'a.jsonl'}: refusing to overwrite an input"
    )
    assert (folder / "a.jsonl").read_bytes() == original
    code, err = run(["data", "convert", "--from", "hh-rlhf", str(folder / "a.jsonl"), "--out", str(folder)])
    assert_one_line_error(code, err, f"--out {folder} is a folder: give a file path")


def test_output_paths_that_cannot_be_files(tmp_path, source):
    (tmp_path / "note.txt").write_text("a file")
    code, err = run(
        ["data", "convert", "--from", "hh-rlhf", str(source), "--out", str(tmp_path / "note.txt" / "o.jsonl")]
    )
    assert_one_line_error(
        code, err, f"--out {tmp_path / 'note.txt' / 'o.jsonl'}: {tmp_path / 'note.txt'} is a file, not a folder"
    )
    (tmp_path / "rejects").mkdir()
    options = ["--out", str(tmp_path / "o.jsonl"), "--rejects", str(tmp_path / "rejects")]
    code, err = run(["data", "convert", "--from", "hh-rlhf", str(source), *options])
    assert_one_line_error(code, err, f"--rejects {tmp_path / 'rejects'} is a folder: give a file path")
    assert not (tmp_path / "o.jsonl").exists()
    # a missing parent folder is made
    code, err = run(["data", "convert", "--from", "hh-rlhf", str(source), "--out", str(tmp_path / "new" / "o.jsonl")])
    assert code == 0 and (tmp_path / "new" / "o.jsonl").is_file() and (tmp_path / "new" / "o.rejects.jsonl").is_file()


def test_inputs_that_are_not_files(tmp_path):
    os.mkfifo(tmp_path / "pipe")
    code, err = run(["data", "convert", "--from", "dolly", str(tmp_path / "pipe"), "--out", str(tmp_path / "o.jsonl")])
    assert_one_line_error(
        code, err, f"input {tmp_path / 'pipe'} is not a regular file or folder (a device, pipe or socket?)"
    )
    (tmp_path / "empty").mkdir()
    code, err = run(
        ["data", "convert", "--from", "dolly", str(tmp_path / "empty"), "--out", str(tmp_path / "o.jsonl")]
    )
    assert_one_line_error(code, err, f"no dolly files (*.jsonl, *.jsonl.gz) under {tmp_path / 'empty'}")
    (tmp_path / "blank.jsonl").write_text("\n\n")
    code, err = run(
        ["data", "convert", "--from", "dolly", str(tmp_path / "blank.jsonl"), "--out", str(tmp_path / "o.jsonl")]
    )
    assert_one_line_error(code, err, "no conversation converted from 1 file(s)")


def test_a_full_disk_is_one_line_naming_the_path_and_keeps_the_old_output(tmp_path, source):
    out = tmp_path / "out.jsonl"
    out.write_text("the earlier output\n")
    rejects = tmp_path / "r.jsonl"
    code, err = run(
        ["data", "convert", "--from", "hh-rlhf", str(source), "--out", "/dev/full", "--rejects", str(rejects)]
    )
    assert_one_line_error(code, err, "cannot write /dev/full: No space left on device")
    assert not rejects.exists()
    # the rejects cannot be written: the rows are not written either (all or nothing)
    code, err = run(["data", "convert", "--from", "hh-rlhf", str(source), "--out", str(out), "--rejects", "/dev/full"])
    assert_one_line_error(code, err, "cannot write /dev/full: No space left on device")
    assert out.read_text() == "the earlier output\n" and leftovers(tmp_path) == []


def test_a_file_size_limit_midway_leaves_the_existing_output_as_it_was(tmp_path):
    lines = [
        json.dumps({"chosen": f"\n\nHuman: question {i} {'x' * 200}\n\nAssistant: answer {i}"}) for i in range(400)
    ]
    source = tmp_path / "big.jsonl"
    source.write_text("\n".join(lines) + "\n")
    out = tmp_path / "out.jsonl"
    out.write_text("precious earlier output\n")
    result = hubtools(
        ["data", "convert", "--from", "hh-rlhf", "big.jsonl", "--out", "out.jsonl"], cwd=tmp_path, fsize=64 << 10
    )
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines()[-1] == "hubtools: error: cannot write out.jsonl: File too large"
    assert out.read_text() == "precious earlier output\n" and leftovers(tmp_path) == []
    result = hubtools(["data", "convert", "--from", "hh-rlhf", "big.jsonl", "--out", "out.jsonl"], cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert len(out.read_text().splitlines()) == 400


def test_the_command_on_hostile_input_has_no_traceback(tmp_path):
    source = tmp_path / "h.jsonl.gz"
    content = f"{GOOD}\n".encode() * 3 + b"[" * 5000 + b"\n" + b'{"chosen": 1' + b"0" * 5000 + b"}\n"
    source.write_bytes(gzip.compress(content) + gzip.compress(b"cut here")[:10])
    result = hubtools(["data", "convert", "--from", "hh-rlhf", "h.jsonl.gz", "--out", "o.jsonl"], cwd=tmp_path)
    assert result.returncode == 0 and "Traceback" not in result.stderr
    assert "h.jsonl.gz:4: invalid JSON: nested deeper than 100 levels" in result.stderr
    assert "h.jsonl.gz: corrupt gzip after 5 lines" in result.stderr
    assert len((tmp_path / "o.jsonl").read_text().splitlines()) == 3
    rejects = [json.loads(line) for line in (tmp_path / "o.rejects.jsonl").read_text().splitlines()]
    assert [r["source_id"] for r in rejects] == ["h.jsonl.gz:4", "h.jsonl.gz:5", "h.jsonl.gz"]


FRAGMENTS = [b"\n", GOOD.encode(), b'"\\ud800"', b"\xe9", b"\x00", b"{", b"[" * 2000, b"9" * 4400, b"\xef\xbb\xbf"]


@settings(max_examples=30, deadline=None, database=None, derandomize=True, suppress_health_check=list(HealthCheck))
@given(data=st.lists(st.one_of(st.binary(max_size=30), st.sampled_from(FRAGMENTS)), max_size=12).map(b"".join))
def test_convert_end_to_end_on_any_bytes(tmp_path_factory, data):
    folder = tmp_path_factory.mktemp("any")
    (folder / "in.jsonl").write_bytes(data)
    code, err = run(
        ["data", "convert", "--from", "messages", str(folder / "in.jsonl"), "--out", str(folder / "o.jsonl")]
    )
    assert code in (0, 1) and "Traceback" not in err
    assert (folder / "in.jsonl").read_bytes() == data
    if (folder / "o.rejects.jsonl").exists():
        for line in (folder / "o.rejects.jsonl").read_text(encoding="utf-8").splitlines():
            json.loads(line)


def test_file_names_that_are_not_utf8_or_hold_a_newline(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    odd = os.path.join(os.fsencode(folder), b"caf\xe9\nnight.jsonl")
    with open(odd, "wb") as handle:
        handle.write(f"{GOOD}\n{BAD}\n".encode())
    out = tmp_path / "o.jsonl"
    code, err = run(["data", "convert", "--from", "hh-rlhf", str(folder), "--out", str(out)])
    assert code == 0 and "Traceback" not in err
    name = f"{folder}/caf\ufffd\\nnight.jsonl"
    assert f"{name}:2: invalid JSON: Expecting value (column 12)\n" in err
    (row,) = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert row["source_id"] == f"{name}:1"
