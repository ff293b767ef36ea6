"""`hubtools.paths`: an existing file survives any failure of a write that replaces it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from hubtools.errors import HubtoolsError
from hubtools.paths import (
    atomic_folder,
    atomic_write,
    atomic_writes,
    check_output_file,
    refuse_overlaps,
    write_text_atomic,
)

ROOT = Path(__file__).resolve().parents[1]


def names(folder: Path) -> list[str]:
    return sorted(path.name for path in folder.iterdir())


def test_an_interrupted_write_leaves_the_file_and_no_temporary(tmp_path):
    target = tmp_path / "out.txt"
    target.write_text("old")
    with pytest.raises(KeyboardInterrupt), atomic_write(target) as handle:
        handle.write("half of the new")
        raise KeyboardInterrupt
    assert target.read_text() == "old" and names(tmp_path) == ["out.txt"]


def test_a_process_killed_midway_leaves_the_file_as_it_was(tmp_path):
    target = tmp_path / "out.txt"
    target.write_text("old")
    script = (
        "import sys; from pathlib import Path; from hubtools.paths import atomic_write\n"
        "with atomic_write(Path(sys.argv[1])) as handle:\n"
        "    handle.write('new' * 100000)\n"
        "    print('written', flush=True)\n"
        "    sys.stdin.read()\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen(
        [sys.executable, "-c", script, str(target)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env, text=True
    )
    assert process.stdout.readline() == "written\n"
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=60)
    process.stdin.close()
    process.stdout.close()
    assert target.read_text() == "old"


def test_all_or_nothing_and_what_is_kept(tmp_path):
    first, second = tmp_path / "a.txt", tmp_path / "b.txt"
    first.write_text("old a")
    first.chmod(0o640)
    with pytest.raises(HubtoolsError, match="^cannot write /dev/full: No space left on device$"):
        with atomic_writes([first, Path("/dev/full")]) as (a, full):
            a.write("new a")
            full.write("x" * 100_000)
    assert first.read_text() == "old a" and names(tmp_path) == ["a.txt"]
    with atomic_writes([first, second]) as (a, b):
        a.write("new a")
        b.write("new b")
    assert (first.read_text(), second.read_text()) == ("new a", "new b")
    assert first.stat().st_mode & 0o777 == 0o640  # a replaced file keeps its permissions
    (tmp_path / "link.txt").symlink_to(first)
    write_text_atomic(tmp_path / "link.txt", "through the link")
    assert (tmp_path / "link.txt").is_symlink() and first.read_text() == "through the link"


def test_outputs_that_cannot_be_written(tmp_path):
    (tmp_path / "file").write_text("x")
    with pytest.raises(HubtoolsError, match="is a file, not a folder"):
        check_output_file(tmp_path / "file" / "deeper" / "out.txt", "--out")
    with pytest.raises(HubtoolsError, match="is a folder: give a file path"):
        check_output_file(tmp_path, "--out")
    with pytest.raises(HubtoolsError, match="out.txt: .*file is a file, not a folder$"):
        write_text_atomic(tmp_path / "file" / "out.txt", "x")
    os.link(tmp_path / "file", tmp_path / "hard")
    with pytest.raises(HubtoolsError, match="refusing to overwrite an input"):
        refuse_overlaps([("--out", tmp_path / "hard")], [tmp_path / "file"])
    refuse_overlaps([("--out", tmp_path / "new"), ("--rejects", tmp_path / "other")], [tmp_path / "file"])


def test_a_folder_is_swapped_in_whole_or_not_at_all(tmp_path):
    target = tmp_path / "ct2"
    with atomic_folder(target, prefix=".stage-", failure="could not convert") as staging:
        (staging / "model.bin").write_bytes(b"one")
    assert (target / "model.bin").read_bytes() == b"one"

    with pytest.raises(HubtoolsError, match=r"^could not convert: OSError: disk gone$"):
        with atomic_folder(target, prefix=".stage-", failure="could not convert") as staging:
            (staging / "model.bin").write_bytes(b"half")
            raise OSError("disk gone")
    assert (target / "model.bin").read_bytes() == b"one"  # the earlier folder is kept as it was
    assert sorted(path.name for path in tmp_path.iterdir()) == ["ct2"]  # no staging folder left behind

    with atomic_folder(target, prefix=".stage-", failure="could not convert") as staging:
        (staging / "model.bin").write_bytes(b"two")
    assert [path.name for path in target.iterdir()] == ["model.bin"] and (target / "model.bin").read_bytes() == b"two"
