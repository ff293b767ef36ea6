"""Parsers: every format into messages rows, every malformed record into a `FILE:LINE: reason` reject."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from hubtools.data.sources import collect_files, parse_file
from hubtools.data.sources.chatterbot import corpus_dir
from hubtools.errors import HubtoolsError


def write_lines(path: Path, lines: list[str | bytes]) -> Path:
    with open(path, "wb") as handle:
        for line in lines:
            handle.write((line if isinstance(line, bytes) else line.encode()) + b"\n")
    return path


def reasons(result) -> list[str]:
    return [str(reject) for reject in result.rejects]


HH_GOOD = json.dumps({"chosen": "\n\nHuman: Hi there\n\nAssistant: Hello! How can I help?", "rejected": "x"})


def test_hh_rlhf_chosen_becomes_messages(tmp_path):
    path = write_lines(tmp_path / "train.jsonl", [HH_GOOD])
    result = parse_file("hh-rlhf", path, source="hh", display="train.jsonl")
    assert result.rejects == []
    assert result.rows == [
        {
            "messages": [
                {"role": "user", "content": "Hi there"},
                {"role": "assistant", "content": "Hello! How can I help?"},
            ],
            "source": "hh",
            "source_id": "train.jsonl:1",
        }
    ]


def test_hh_rlhf_repairs_missing_and_doubled_markers(tmp_path):
    chosen = "\n\nHuman: Human: What is 2+2? Assistant: It is 4.\n\nHuman: Thanks\n\nAssistant: Assistant: Welcome."
    path = write_lines(tmp_path / "t.jsonl", [json.dumps({"chosen": chosen, "rejected": ""})])
    (row,) = parse_file("hh-rlhf", path, source="hh").rows
    from hubtools.data.clean import clean_messages

    assert clean_messages(row["messages"]) == [
        {"role": "user", "content": "What is 2+2?"},
        {"role": "assistant", "content": "It is 4."},
        {"role": "user", "content": "Thanks"},
        {"role": "assistant", "content": "Welcome."},
    ]


def test_hh_rlhf_reads_gzip(tmp_path):
    path = tmp_path / "train.jsonl.gz"
    path.write_bytes(gzip.compress((HH_GOOD + "\n").encode()))
    assert len(parse_file("hh-rlhf", path, source="hh").rows) == 1


def test_hh_rlhf_every_malformed_line_is_located(tmp_path):
    lines = [
        HH_GOOD,
        '{"chosen": "\\n\\nHuman: cut off',
        json.dumps({"rejected": "only"}),
        json.dumps({"chosen": 7}),
        json.dumps({"chosen": "no markers at all"}),
        json.dumps(["an", "array"]),
        b"\x00\x01binary\xff",
        b"caf\xe9 latin-1",
        "",
        HH_GOOD,
    ]
    path = write_lines(tmp_path / "hh.jsonl", lines)
    result = parse_file("hh-rlhf", path, source="hh", display="hh.jsonl")
    assert [row["source_id"] for row in result.rows] == ["hh.jsonl:1", "hh.jsonl:10"]
    assert reasons(result) == [
        "hh.jsonl:2: invalid JSON: Unterminated string starting at (column 12)",
        "hh.jsonl:3: missing field 'chosen'",
        "hh.jsonl:4: field 'chosen' must be a string, got a number",
        "hh.jsonl:5: no turns: 'chosen' has no Human:/Assistant: exchange",
        "hh.jsonl:6: expected a JSON object, got an array",
        "hh.jsonl:7: binary data (NUL bytes), not a JSON line",
        "hh.jsonl:8: not UTF-8 text (byte 0xe9 at column 4); Latin-1 or binary data?",
    ]
    assert all(reject.stage == "parse" and reject.source == "hh" for reject in result.rejects)
    assert result.rejects[0].to_json()["row"].startswith('{"chosen"')


def test_dolly_instruction_and_context_become_the_user_turn(tmp_path):
    rows = [
        {"instruction": "Summarize.", "context": "A long text.", "response": "Short.", "category": "summarization"},
        {"instruction": "Name a fruit.", "context": "", "response": "Apple.", "category": "open_qa"},
        {"instruction": "No context key.", "response": "Fine."},
    ]
    path = write_lines(tmp_path / "d.jsonl", [json.dumps(r) for r in rows])
    result = parse_file("dolly", path, source="dolly", display="d.jsonl")
    assert result.rejects == []
    assert [r["messages"] for r in result.rows] == [
        [{"role": "user", "content": "Summarize.\n\nA long text."}, {"role": "assistant", "content": "Short."}],
        [{"role": "user", "content": "Name a fruit."}, {"role": "assistant", "content": "Apple."}],
        [{"role": "user", "content": "No context key."}, {"role": "assistant", "content": "Fine."}],
    ]


def test_dolly_malformed_lines(tmp_path):
    lines = [
        json.dumps({"instruction": "q", "context": ""}),
        json.dumps({"instruction": "q", "response": 3}),
        json.dumps({"instruction": ["q"], "response": "a"}),
        json.dumps({"instruction": "q", "context": 5, "response": "a"}),
        json.dumps({"instruction": "  ", "response": "a"}),
        json.dumps({"instruction": "q", "response": ""}),
        json.dumps({"instruction": "q", "response": "a", "category": 1}),
        "{not json}",
    ]
    result = parse_file("dolly", write_lines(tmp_path / "d.jsonl", lines), source="d", display="d.jsonl")
    assert result.rows == []
    assert reasons(result) == [
        "d.jsonl:1: missing field 'response'",
        "d.jsonl:2: field 'response' must be a string, got a number",
        "d.jsonl:3: field 'instruction' must be a string, got an array",
        "d.jsonl:4: field 'context' must be a string, got a number",
        "d.jsonl:5: no turns: empty 'instruction'",
        "d.jsonl:6: no turns: empty 'response'",
        "d.jsonl:7: field 'category' must be a string, got a number",
        "d.jsonl:8: invalid JSON: Expecting property name enclosed in double quotes (column 2)",
    ]


def test_messages_and_sharegpt(tmp_path):
    lines = [
        json.dumps(
            {
                "messages": [
                    {"role": "system", "content": "Be kind."},
                    {"role": "user", "content": "Hi"},
                    {"role": "assistant", "content": "Hello"},
                ]
            }
        ),
        json.dumps({"conversations": [{"from": "human", "value": "Hi"}, {"from": "gpt", "value": "Hey"}]}),
        json.dumps(
            {
                "messages": [
                    {"role": "user", "content": [{"type": "text", "text": "Hi"}]},
                    {"role": "assistant", "content": "Yo"},
                ]
            }
        ),
        json.dumps({"messages": [{"role": "user", "content": "Hi"}, {"role": "wizard", "content": "?"}]}),
        json.dumps({"messages": [{"role": "user"}]}),
        json.dumps({"messages": "nope"}),
        json.dumps({"text": "no messages"}),
        json.dumps({"messages": [{"role": "user", "content": "only a question"}]}),
        json.dumps({"messages": [{"role": "user", "content": 1}, {"role": "assistant", "content": "a"}]}),
    ]
    result = parse_file("messages", write_lines(tmp_path / "m.jsonl", lines), source="m", display="m.jsonl")
    assert [r["messages"][-1]["content"] for r in result.rows] == ["Hello", "Hey", "Yo"]
    assert result.rows[0]["messages"][0] == {"role": "system", "content": "Be kind."}
    assert reasons(result) == [
        "m.jsonl:4: messages[1]: unknown role 'wizard' (expected system, user or assistant)",
        "m.jsonl:5: messages[0]: missing field 'content'",
        "m.jsonl:6: field 'messages' must be a list of messages",
        "m.jsonl:7: missing field 'messages' (or ShareGPT 'conversations')",
        "m.jsonl:8: no turns: needs at least one user and one assistant message with text",
        "m.jsonl:9: messages[0]: field 'content' must be a string",
    ]


def _cai_message(text, human: bool, **extra):
    party = {
        "is_human": True,
        "name": "nadia_b",
        "user": {"username": "nadia_b", "first_name": "Nadia", "account": {"name": "Nadia Benali"}},
    }
    bot = {"is_human": False, "name": "Ada", "user": {"username": "ada_bot", "first_name": "Ada"}}
    return {
        "text": text,
        "src": party if human else bot,
        "tgt": bot if human else party,
        "display_name": "Nads" if human else "Ada",
        **extra,
    }


def _cai_document(histories):
    character = {
        "name": "Ada",
        "title": "A friendly tutor",
        "description": None,
        "greeting": "Hello, I'm Ada!",
        "definition": "{{char}} teaches {{user}} maths.",
        "external_id": "x",
    }
    return {"info": {"character": character}, "histories": {"histories": histories}}


def test_cai_dump_persona_greeting_roles_and_names(tmp_path):
    history = {
        "msgs": [
            _cai_message("Hello, I'm Ada!", False),
            _cai_message("Hi Ada, I'm Nadia", True),
            _cai_message("Nice to meet you.", False),
        ]
    }
    path = tmp_path / "ada.json"
    path.write_text(json.dumps(_cai_document([history])))
    result = parse_file("cai-dump", path, source="cai", display="ada.json")
    assert result.rejects == []
    (row,) = result.rows
    assert row["source_id"] == "ada.json:histories[0]"
    assert row["messages"] == [
        {"role": "system", "content": "You are Ada.\n\nA friendly tutor\n\nAda teaches User maths."},
        {"role": "assistant", "content": "Hello, I'm Ada!"},
        {"role": "user", "content": "Hi Ada, I'm Nadia"},
        {"role": "assistant", "content": "Nice to meet you."},
    ]
    assert result.names == {"nadia_b", "Nadia", "Nadia Benali", "Nads"}


def test_cai_dump_inserts_a_missing_greeting_and_accepts_any_key_order(tmp_path):
    message = _cai_message("Can you help me?", True)
    reordered = {key: message[key] for key in reversed(list(message))}
    document = _cai_document([{"msgs": [reordered, _cai_message("Of course.", False)]}])
    path = tmp_path / "a.json"
    path.write_text(json.dumps({"histories": document["histories"], "info": document["info"]}))
    (row,) = parse_file("cai-dump", path, source="cai").rows
    assert [m["role"] for m in row["messages"]] == ["system", "assistant", "user", "assistant"]
    assert row["messages"][1]["content"] == "Hello, I'm Ada!"


def test_cai_dump_bad_histories_and_files(tmp_path):
    greeting_only = {"msgs": [_cai_message("Hello, I'm Ada!", False)]}
    no_text = {"msgs": [_cai_message("Hello", False), {"src": {"is_human": True}, "display_name": "x"}]}
    no_src = {"msgs": [{"text": "hi"}]}
    path = tmp_path / "ada.json"
    path.write_text(json.dumps(_cai_document([greeting_only, no_text, no_src, "junk"]), indent=1))
    result = parse_file("cai-dump", path, source="cai", display="ada.json")
    assert reasons(result) == [
        "ada.json:histories[0]: no turns: the history has no exchange beyond the greeting",
        "ada.json:histories[1]: msgs[1]: missing field 'text'",
        "ada.json:histories[2]: msgs[0]: missing field 'src.is_human'",
        "ada.json:histories[3]: missing field 'msgs' (a list of messages)",
    ]
    text = path.read_text()
    truncated = tmp_path / "cut.json"
    truncated.write_text(text[: len(text) // 2])
    (reject,) = parse_file("cai-dump", truncated, source="cai", display="cut.json").rejects
    assert reject.location.startswith("cut.json:") and "invalid JSON" in reject.reason
    other = tmp_path / "other.json"
    other.write_text(json.dumps({"hello": 1}))
    assert reasons(parse_file("cai-dump", other, source="cai", display="o.json")) == [
        "o.json:1: not a CharacterAI dump: expected an object with 'histories' or 'character'"
    ]


def test_cai_character_definition_gives_names_only(tmp_path):
    path = tmp_path / "def.json"
    path.write_text(json.dumps({"character": {"name": "Ada"}, "user__username": "nadia_b"}))
    result = parse_file("cai-dump", path, source="cai")
    assert result.rows == [] and result.rejects == [] and result.names == {"nadia_b"}


def test_chatterbot_reads_the_installed_corpus_with_line_numbers():
    files = collect_files(corpus_dir(), "chatterbot")
    assert len(files) == 21
    path = dict((display, p) for p, display in files)["trivia.yml"]
    result = parse_file("chatterbot", path, source="cb", display="trivia.yml")
    assert len(result.rows) > 10
    # the real corpus has one malformed entry: a question and answer not nested in a list
    assert reasons(result) == ["trivia.yml:35: a conversation must be a list of texts"]
    first = result.rows[0]
    assert first["source_id"] == "trivia.yml:4"
    assert [m["role"] for m in first["messages"]] == ["user", "assistant"]


def test_chatterbot_malformed_yaml(tmp_path):
    path = tmp_path / "bad.yml"
    path.write_text("conversations:\n- - Hi\n  - Hello\n- - only one\n- [unclosed\n")
    result = parse_file("chatterbot", path, source="cb", display="bad.yml")
    assert result.rows == [] and len(result.rejects) == 1
    assert result.rejects[0].location == "bad.yml:6" and "invalid YAML" in result.rejects[0].reason
    path.write_text("conversations:\n- - Hi\n  - Hello\n- - only one\n")
    result = parse_file("chatterbot", path, source="cb", display="bad.yml")
    assert len(result.rows) == 1 and reasons(result) == ["bad.yml:4: no turns: needs a line and a reply"]


def test_collect_files_filters_by_kind_and_pattern(tmp_path):
    (tmp_path / "a.jsonl").write_text("")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b.jsonl.gz").write_bytes(b"")
    (tmp_path / "notes.txt").write_text("")
    (tmp_path / ".hidden.jsonl").write_text("")
    assert [d for _, d in collect_files(tmp_path, "hh-rlhf")] == ["a.jsonl", "sub/b.jsonl.gz"]
    assert [d for _, d in collect_files(tmp_path, "hh-rlhf", ["sub/*"])] == ["sub/b.jsonl.gz"]
    with pytest.raises(HubtoolsError, match="no dolly files"):
        collect_files(tmp_path / "sub", "dolly", ["*.json"])
    with pytest.raises(HubtoolsError, match="not found"):
        collect_files(tmp_path / "missing", "dolly")
