"""Any bytes in, rows or rejects out: every parser on arbitrary and hostile files, never an exception.

The property tests feed each parser arbitrary bytes (plain, gzip, gzip cut short) and arbitrary JSON or
YAML values; whatever comes out must be writable as UTF-8 JSON lines, with one-line reasons. The corpus
tests pin the exact message for each hostile case the issue lists, and a few more.
"""

from __future__ import annotations

import gzip
import json
import os
import tempfile
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hubtools.data.sources import KINDS, parse_file

PROPERTY = settings(
    max_examples=60, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True
)
SUFFIX = {"hh-rlhf": ".jsonl", "dolly": ".jsonl", "messages": ".jsonl", "cai-dump": ".json", "chatterbot": ".yml"}
SUFFIX |= {"space-feedback": ".jsonl"}
HH = json.dumps({"chosen": "\n\nHuman: Hi there\n\nAssistant: Hello! How can I help?", "rejected": "x"})
DOLLY = json.dumps({"instruction": "Name a fruit.", "context": "", "response": "Apple.", "category": "open_qa"})
MESSAGES = json.dumps({"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hey"}]})
GOOD_LINE = {"hh-rlhf": HH, "dolly": DOLLY, "messages": MESSAGES}
FRAGMENTS = [b"\n", b"\r\n", b"\xef\xbb\xbf", b"\xff\xfe", b"\x1f\x8b", b"\x00", b"{", b"[", b"]", b"}", b'"', b"\\"]
FRAGMENTS += [b'"\\ud800"', b"\xe9", b"\xc3", b"1" * 5000, b"[" * 3000, b"NaN", b"- ", b": ", b"&a ", b"*a ", b"!!"]
FRAGMENTS += [HH.encode(), DOLLY.encode(), MESSAGES.encode(), b"conversations:\n- - Hi\n  - Hello\n"]
FRAGMENTS += [b'{"histories": {"histories": [{"msgs": [', b'{"text": "hi", "src": {"is_human": true}}']

hostile_bytes = st.lists(st.one_of(st.binary(max_size=40), st.sampled_from(FRAGMENTS)), max_size=25).map(b"".join)
any_text = st.text(st.characters(exclude_categories=()), max_size=30)  # lone surrogates included
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | any_text,
    lambda children: st.lists(children, max_size=5) | st.dictionaries(any_text, children, max_size=5),
    max_leaves=25,
)


def _workdir() -> Path:
    return Path(tempfile.mkdtemp(prefix="hostile-"))


def assert_rows_or_rejects(result) -> None:
    """What every parser owes its caller: rows in the documented shape, one-line reasons, and all of it
    writable as UTF-8 JSON (the rejects file gets each reject's row)."""
    for row in result.rows:
        assert row["messages"] and all(m["role"] in ("system", "user", "assistant") for m in row["messages"])
        assert all(isinstance(m["content"], str) for m in row["messages"])
        json.dumps(row, ensure_ascii=False, allow_nan=False).encode("utf-8")
    for reject in result.rejects:
        assert reject.reason and "\n" not in str(reject)
        json.dumps(reject.to_json(), ensure_ascii=False, allow_nan=False).encode("utf-8")


def parse_bytes(kind: str, data: bytes, *, compress: bool = False, cut: float | None = None):
    path = _workdir() / ("input" + SUFFIX[kind] + (".gz" if compress else ""))
    if compress:
        data = gzip.compress(data)
    if cut is not None:
        data = data[: int(len(data) * cut)]
    path.write_bytes(data)
    try:
        return parse_file(kind, path, source="s", display=path.name)
    finally:
        path.unlink()
        path.parent.rmdir()


@pytest.mark.parametrize("kind", KINDS)
@PROPERTY
@given(data=hostile_bytes, compress=st.booleans(), cut=st.none() | st.floats(0, 1))
def test_any_bytes_give_rows_or_rejects(kind, data, compress, cut):
    assert_rows_or_rejects(parse_bytes(kind, data, compress=compress, cut=cut if compress else None))


@pytest.mark.parametrize("kind", ["hh-rlhf", "dolly", "messages"])
@PROPERTY
@given(values=st.lists(json_values, max_size=5), known=st.sampled_from([None, "chosen", "messages", "instruction"]))
def test_any_json_lines_give_rows_or_rejects(kind, values, known):
    records = [{known: value, "response": value} if known else value for value in values]
    lines = [json.dumps(record) for record in records] + [GOOD_LINE[kind]]
    result = parse_bytes(kind, "\n".join(lines).encode())
    assert_rows_or_rejects(result)
    assert result.rows[-1]["source_id"] == f"input.jsonl:{len(lines)}"  # a bad line never hides a good one


def _cai(msgs, character) -> dict:
    return {"info": {"character": character}, "histories": {"histories": [{"msgs": msgs}, {"msgs": GOOD_MSGS}]}}


GOOD_MSGS = [
    {"text": "Hello!", "src": {"is_human": False, "name": "Ada"}},
    {"text": "Hi Ada", "src": {"is_human": True, "name": "nadia"}},
]


@PROPERTY
@given(
    document=json_values | st.builds(_cai, json_values, json_values),
    message=st.dictionaries(st.sampled_from(["text", "src", "tgt", "display_name"]), json_values),
)
def test_any_json_document_gives_rows_or_rejects_for_cai_dump(document, message):
    assert_rows_or_rejects(parse_bytes("cai-dump", json.dumps(document).encode()))
    result = parse_bytes("cai-dump", json.dumps(_cai([message, *GOOD_MSGS], {"name": "Ada"})).encode())
    assert_rows_or_rejects(result)
    assert result.rows[-1]["source_id"] == "input.json:histories[1]"  # one bad history leaves the others


yaml_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=20,
)


@PROPERTY
@given(value=yaml_values, conversations=st.lists(yaml_values, max_size=4))
def test_any_yaml_value_gives_rows_or_rejects_for_chatterbot(value, conversations):
    for document in (value, {"conversations": value}, {"conversations": [*conversations, ["Hi", "Hello"]]}):
        assert_rows_or_rejects(parse_bytes("chatterbot", yaml.safe_dump(document).encode()))


# --- the hostile corpus: exact messages ---------------------------------------------------------------------


def members(*parts: bytes) -> bytes:
    """Concatenated gzip members (what `cat a.gz b.gz` makes), so a cut can fall at a known line."""
    return b"".join(gzip.compress(part, mtime=0) for part in parts)


def lines(kind: str, count: int) -> bytes:
    return (GOOD_LINE[kind] + "\n").encode() * count


def parse_named(tmp_path: Path, kind: str, name: str, data: bytes):
    path = tmp_path / name
    path.write_bytes(data)
    return parse_file(kind, path, source="s", display=name)


def summary(result) -> tuple[int, list[str]]:
    return len(result.rows), [str(reject) for reject in result.rejects]


TEN = 10


@pytest.mark.parametrize("kind", ["hh-rlhf", "dolly", "messages"])
def test_gzip_damage_keeps_the_lines_before_it(tmp_path, kind):
    good = lines(kind, TEN)
    second = gzip.compress(lines(kind, 5), mtime=0)
    cut = members(good) + second[:10]  # only the second member's header made it
    assert summary(parse_named(tmp_path, kind, "cut.jsonl.gz", cut)) == (
        TEN,
        ["cut.jsonl.gz: corrupt gzip after 10 lines"],
    )
    corrupt = members(good) + second[:10] + b"\xff" + second[11:]  # an invalid deflate block type
    assert summary(parse_named(tmp_path, kind, "bad.jsonl.gz", corrupt)) == (
        TEN,
        ["bad.jsonl.gz: corrupt gzip after 10 lines"],
    )
    partial = members(good + GOOD_LINE[kind][:20].encode()) + second[:10]  # a half line before the damage
    assert summary(parse_named(tmp_path, kind, "half.jsonl.gz", partial)) == (
        TEN,
        ["half.jsonl.gz: corrupt gzip after 10 lines"],
    )
    whole = gzip.compress(good, mtime=0)
    crc = whole[:-8] + bytes([whole[-8] ^ 1]) + whole[-7:]  # every byte arrives, the checksum is wrong
    assert summary(parse_named(tmp_path, kind, "crc.jsonl.gz", crc)) == (
        TEN,
        ["crc.jsonl.gz: corrupt gzip after 10 lines"],
    )
    assert summary(parse_named(tmp_path, kind, "header.jsonl.gz", whole[:10])) == (
        0,
        ["header.jsonl.gz: corrupt gzip after 0 lines"],
    )
    # gzip is told by its bytes, not its name; concatenated members and zero padding are fine
    assert summary(parse_named(tmp_path, kind, "plain.jsonl.gz", good)) == (TEN, [])
    assert summary(parse_named(tmp_path, kind, "zipped.jsonl", members(good, good) + b"\0" * 512)) == (2 * TEN, [])


def test_gzip_damage_in_whole_file_formats(tmp_path):
    dump = json.dumps(_cai(GOOD_MSGS, {"name": "Ada"}), indent=1).encode()
    cut = members(dump[:40]) + gzip.compress(dump, mtime=0)[:10]
    newlines = dump[:40].count(b"\n")
    assert newlines > 1
    assert summary(parse_named(tmp_path, "cai-dump", "ada.json.gz", cut)) == (
        0,
        [f"ada.json.gz: corrupt gzip after {newlines} lines"],
    )
    assert summary(parse_named(tmp_path, "cai-dump", "ada.json.gz", gzip.compress(dump))) == (2, [])
    corpus = b"conversations:\n- - Hi\n  - Hello\n"
    cut = members(corpus) + gzip.compress(corpus)[:10]
    assert summary(parse_named(tmp_path, "chatterbot", "c.yml.gz", cut)) == (
        0,
        ["c.yml.gz: corrupt gzip after 3 lines"],
    )


BIG = 50 << 20
HOSTILE_LINES = [
    # (the line, the reason it is rejected with, or None when it is a row)
    (b"\xef\xbb\xbf" + HH.encode(), None),  # a byte-order mark is not part of the first record
    (b"[" * 5000 + b"]" * 5000, "invalid JSON: nested deeper than 100 levels"),
    (b'{"chosen": ' + b'{"a": ' * 150 + b"1" + b"}" * 151, "invalid JSON: nested deeper than 100 levels"),
    (b'{"chosen": ' + b"7" * 5000 + b"}", "invalid JSON: integer with 5000 digits (more than 4300)"),
    (b'{"chosen": "\\ud800 alone"}', "invalid Unicode: lone surrogate \\ud800 in a string"),
    (b'{"\\udfff": 1, "chosen": "x"}', "invalid Unicode: lone surrogate \\udfff in a string"),
    (b'{"chosen": "\\ud83d\\ude00 is a pair"}', "no turns: 'chosen' has no Human:/Assistant: exchange"),
    (b'{"chosen": NaN}', "invalid JSON: NaN is not valid JSON"),
    (b'{"chosen": 1e999}', "invalid JSON: number 1e999 is out of range"),
    (b'{"chosen": "a\x00b"}', "binary data (NUL bytes), not a JSON line"),
    (b'{"chosen": "caf\xe9"}', "not UTF-8 text (byte 0xe9 at column 16); Latin-1 or binary data?"),
    (b"x" * BIG, f"line too long ({BIG} bytes; the limit is 16 MiB)"),
    (HH.encode() + b"\r", None),  # CRLF line ends
    (b"   \r", "skip"),  # blank lines are not records
    (b'"just a string"', "expected a JSON object, got a string"),
    (b'{"chosen": "\\n\\nHuman: cut', "invalid JSON: Unterminated string starting at (column 12)"),
]


def test_hostile_lines_are_rejected_one_by_one(tmp_path):
    data = b"\n".join(line for line, _ in HOSTILE_LINES) + b"\n" + HH.encode()  # no newline at the end
    result = parse_named(tmp_path, "hh-rlhf", "h.jsonl", data)
    expected_rows = [f"h.jsonl:{n}" for n, (_, reason) in enumerate(HOSTILE_LINES, 1) if reason is None]
    assert [row["source_id"] for row in result.rows] == [*expected_rows, f"h.jsonl:{len(HOSTILE_LINES) + 1}"]
    expected = [
        f"h.jsonl:{n}: {reason}" for n, (_, reason) in enumerate(HOSTILE_LINES, 1) if reason not in (None, "skip")
    ]
    assert [str(reject) for reject in result.rejects] == expected
    long_line = next(r for r in result.rejects if "too long" in r.reason)
    assert len(long_line.to_json()["row"]) <= 2001  # the rejects file keeps the start, not 50 MB
    assert result.rows[0]["messages"][0] == {"role": "user", "content": "Hi there"}


@pytest.mark.parametrize("kind", KINDS)
def test_files_that_are_not_text(tmp_path, kind):
    suffix = SUFFIX[kind]
    utf16 = ("\ufeff" + (GOOD_LINE.get(kind) or "conversations: []")).encode("utf-16-le")
    assert summary(parse_named(tmp_path, kind, "w" + suffix, utf16)) == (
        0,
        [f"w{suffix}: UTF-16 text: save the file as UTF-8"],
    )
    assert summary(parse_named(tmp_path, kind, "empty" + suffix, b""))[0] == 0
    (tmp_path / "folder").mkdir()
    assert summary(parse_file(kind, tmp_path / "folder", source="s", display="folder")) == (
        0,
        ["folder: is a folder, not a file"],
    )
    os.mkfifo(tmp_path / "fifo")
    assert summary(parse_file(kind, tmp_path / "fifo", source="s", display="fifo")) == (
        0,
        ["fifo: not a regular file (a device, pipe or socket)"],
    )
    assert summary(parse_file(kind, tmp_path / "missing", source="s", display="missing")) == (
        0,
        ["missing: cannot read file (No such file or directory)"],
    )


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file")
def test_an_unreadable_file_is_a_reject(tmp_path):
    path = tmp_path / "secret.jsonl"
    path.write_text(HH + "\n")
    path.chmod(0)
    assert summary(parse_file("hh-rlhf", path, source="s", display="secret.jsonl")) == (
        0,
        ["secret.jsonl: cannot read file (Permission denied)"],
    )


def test_jsonl_blank_and_crlf_only_files(tmp_path):
    assert summary(parse_named(tmp_path, "dolly", "blank.jsonl", b"\n\n  \r\n\t\n")) == (0, [])
    assert summary(parse_named(tmp_path, "dolly", "crlf.jsonl", (DOLLY + "\r\n").encode() * 3)) == (3, [])


def test_cai_dump_hostile_documents(tmp_path):
    def cai(name: str, data: bytes) -> tuple[int, list[str]]:
        return summary(parse_named(tmp_path, "cai-dump", name, data))

    good = json.dumps(_cai(GOOD_MSGS, {"name": "Ada"}))
    assert cai("bom.json", b"\xef\xbb\xbf" + good.encode()) == (2, [])
    assert cai("deep.json", b"[" * 5000 + b"]" * 5000) == (
        0,
        ["deep.json:1: invalid JSON: nested deeper than 100 levels"],
    )
    assert cai("int.json", good[:-1].encode() + b', "n": ' + b"9" * 4301 + b"}") == (
        0,
        ["int.json:1: invalid JSON: integer with 4301 digits (more than 4300)"],
    )
    latin = good.replace("Hi Ada", "H\u00e9 Ada").encode("latin-1")
    column = latin.index(b"\xe9") + 1
    assert cai("latin.json", b"\n\n" + latin) == (
        0,
        [f"latin.json:3: not UTF-8 text (byte 0xe9 at column {column}); Latin-1 or binary data?"],
    )
    assert cai("nul.json", good.encode() + b"\n\x00") == (0, ["nul.json:2: binary data (NUL bytes), not JSON"])
    assert cai("list.json", b"[1, 2]") == (
        0,
        ["list.json:1: not a CharacterAI dump: expected an object with 'histories' or 'character'"],
    )
    assert cai("str.json", json.dumps({"histories": "many"}).encode()) == (
        0,
        ["str.json:1: field 'histories' must be a list"],
    )
    # one history holding what cannot be kept is rejected alone: the others still convert
    lone = {"msgs": [{"text": "\ud800", "src": {"is_human": True}}]}
    deep_history = {"msgs": [], "deeper": json.loads("[" * 120 + "]" * 120)}
    document = {"histories": [lone, deep_history, 5, {"msgs": GOOD_MSGS}, {"msgs": [{"text": 1}]}]}
    assert cai("mixed.json", json.dumps(document).encode()) == (
        1,
        [
            "mixed.json:histories[0]: invalid Unicode: lone surrogate \\ud800 in a string",
            "mixed.json:histories[1]: invalid JSON: nested deeper than 100 levels",
            "mixed.json:histories[2]: missing field 'msgs' (a list of messages)",
            "mixed.json:histories[4]: msgs[0]: 'text' must be a string",
        ],
    )
    character = {"character": {"name": "\udc80"}, "histories": [{"msgs": GOOD_MSGS}]}
    assert cai("who.json", json.dumps(character).encode()) == (
        0,
        ["who.json:1: invalid Unicode: lone surrogate \\udc80 in a string"],
    )
    wrong = {"info": [], "character": "Ada", "user__username": 7, "histories": {"histories": [{"msgs": GOOD_MSGS}]}}
    assert cai("wrong.json", json.dumps(wrong).encode()) == (1, [])


def test_chatterbot_hostile_documents(tmp_path):
    def bot(name: str, text: str | bytes) -> tuple[int, list[str]]:
        data = text.encode() if isinstance(text, str) else text
        return summary(parse_named(tmp_path, "chatterbot", name, data))

    lol = "a: &a [" + ", ".join(['"lol"'] * 9) + "]\n"
    for outer, inner in zip("bcdefgh", "abcdefg", strict=True):
        lol += f"{outer}: &{outer} [" + ", ".join([f"*{inner}"] * 9) + "]\n"
    assert bot("lol.yml", lol + "conversations: *h\n") == (
        0,
        ["lol.yml:7: a conversation must be a list of texts"] * 9,
    )
    text = "x" * 1000
    aliases = f"t: &t {text}\nconversations:\n- &c [*t, *t]\n" + "- *c\n" * 1000 + "- [Hi, *t]\n- [Hi, Hello]\n"
    rows, reasons = bot("alias.yml", aliases)
    assert rows == 1 and len(reasons) == 1002
    repeats = "a YAML alias (*name) repeats earlier text: write each conversation out in full"
    assert set(reasons) == {f"alias.yml:3: {repeats}", f"alias.yml:1004: {repeats}"}
    assert bot("list.yml", "- - Hi\n  - Hello\n") == (
        0,
        ["list.yml:1: expected a mapping with 'conversations', got a list"],
    )
    assert bot("map.yml", "conversations:\n  a: b\n") == (
        0,
        ["map.yml:1: field 'conversations' must be a list of conversations, got a mapping"],
    )
    assert bot("empty.yml", "") == (0, ["empty.yml:1: missing field 'conversations' (a list)"])
    assert bot("nested.yml", "conversations:\n- - Hi\n  - [nested]\n- - Hi\n  - Hello\n") == (
        1,
        ["nested.yml:2: a conversation must be a list of texts"],
    )
    deep = "conversations: " + "[" * 5000 + "]" * 5000 + "\n"
    expected = "while increasing flow level, exceeded maximum nesting depth"
    expected = expected if yaml.__with_libyaml__ else "nested too deeply"
    assert bot("deep.yml", deep) == (0, [f"deep.yml:1: invalid YAML: {expected}"])
    assert bot("nul.yml", "conversations:\n- - Hi\x00\n") == (
        0,
        ["nul.yml:2: invalid YAML: unacceptable character #x0000: control characters are not allowed"],
    )
    assert bot("latin.yml", b"conversations:\n- - caf\xe9\n") == (
        0,
        ["latin.yml:2: not UTF-8 text (byte 0xe9 at column 8); Latin-1 or binary data?"],
    )
    assert bot("bom.yml", b"\xef\xbb\xbfconversations:\n- - Hi\n  - Hello\n") == (1, [])
    assert bot("two.yml", "conversations: []\n---\nconversations: []\n") == (
        0,
        ["two.yml:2: invalid YAML: expected a single document in the stream, but found another document"],
    )
    assert bot("quote.yml", 'conversations:\n- - "Hi\n') == (
        0,
        ["quote.yml:3: invalid YAML: while scanning a quoted scalar, found unexpected end of stream"],
    )
