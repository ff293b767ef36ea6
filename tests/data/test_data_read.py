"""The whole-file and line readers every parser stands on (`hubtools.data.sources._read`): lines come out whole
whatever the chunking, and a whole document is text or one `(location, reason)`."""

from __future__ import annotations

import gzip
import random

import pytest

from hubtools.data.sources._read import MAX_LINE_BYTES, Line, iter_lines, read_text


def test_lines_come_out_whole_across_read_and_inflate_chunks(tmp_path):
    rng = random.Random(0)
    expected = [bytes([65 + rng.randrange(26)]) * rng.choice([0, 1, 100, 70_000, 300_000]) for _ in range(40)]
    expected.insert(20, b"z" * (MAX_LINE_BYTES + 5))
    data = b"\n".join(expected)  # the last line has no newline
    for name, content in (("plain.jsonl", data), ("packed.jsonl.gz", gzip.compress(data, compresslevel=1))):
        (tmp_path / name).write_bytes(content)
        got = list(iter_lines(tmp_path / name))
        assert all(isinstance(line, Line) for line in got)
        assert [line.size for line in got] == [len(line) for line in expected]
        assert [line.data for line in got if line.size <= MAX_LINE_BYTES] == [
            line for line in expected if len(line) <= MAX_LINE_BYTES
        ]
        assert got[20].data == b"z" * 2000 and [line.number for line in got] == list(range(1, 42))


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"\xef\xbb\xbfconversations: []\n", "conversations: []\n"),  # the BOM goes
        (b"ok\nstill ok\ncaf\xe9\n", ("doc.yml:3", "not UTF-8 text (byte 0xe9 at column 4); Latin-1 or binary data?")),
        (b"\xff\xfeh\x00i\x00", ("doc.yml", "UTF-16 text: save the file as UTF-8")),
        (gzip.compress(b"line one\nline two\n")[:-8], ("doc.yml", "corrupt gzip after 2 lines")),
    ],
    ids=["bom", "latin-1", "utf-16", "cut-gzip"],
)
def test_read_text_is_the_text_or_where_and_why_not(tmp_path, data, expected):
    name = "doc.yml.gz" if data.startswith(b"\x1f\x8b") else "doc.yml"
    (tmp_path / name).write_bytes(data)
    assert read_text(tmp_path / name, "doc.yml") == expected
