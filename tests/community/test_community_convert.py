"""`hubtools data convert --from cai-dump` (the path the Space shares) on a dump with planted personal data.

Names and handles (also lower-case), e-mails, phones, IPs, street addresses, handle URLs and card numbers must
all go; ordinary words must stay. `FORMER_GAPS` are items the scrubber used to miss (reported to the data
owner), each checked against the exact text that must come out.
"""

from __future__ import annotations

import json

import pytest
from _community_planted import KEPT, PLANTED, leaks

from hubtools.cli import main


def test_convert_removes_every_planted_item(tmp_path, capsys):
    out = tmp_path / "cai.jsonl"
    assert main(["data", "convert", "--from", "cai-dump", str(PLANTED), "--out", str(out), "--strict"]) == 0
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(rows) == 4
    text = "\n".join(m["content"] for row in rows for m in row["messages"])
    assert leaks(text) == [], text
    for ordinary in KEPT:
        assert ordinary in text
    err = capsys.readouterr().err
    for kind in ("NAME", "EMAIL", "PHONE", "IP", "ADDRESS", "URL", "CARD"):
        assert kind in err.split("PII replaced:")[1]


def _dump(text: str) -> dict:
    account = {"name": "Nadia Benali"}  # as in fixtures/planted: the dump knows the surname
    user = {
        "is_human": True,
        "name": "Nadia",
        "user": {"username": "nadia_b", "first_name": "Nadia", "account": account},
    }
    bot = {"is_human": False, "name": "Mira"}
    msgs = [
        {"text": "Ahoy!", "src": bot, "tgt": user},
        {"text": text, "src": user, "tgt": bot, "display_name": "Nadia"},
        {"text": "Noted.", "src": bot, "tgt": user},
    ]
    return {"info": {"character": {"name": "Mira"}}, "histories": {"histories": [{"msgs": msgs}]}}


FORMER_GAPS = [  # (text, what must come out, the gap the scrubber had)
    ("+33 6 12 34 56 78", "[PHONE_1]", "phone: international number with a one-digit area group (France)"),
    ("+81 3-1234-5678", "[PHONE_1]", "phone: international number with a one-digit area group (Japan)"),
    ("1600 Pennsylvania Avenue NW, Washington, DC 20500", "[ADDRESS_1]", "address: a directional suffix (NW)"),
    ("12 High St., Oxford OX1 4AU", "[ADDRESS_1]", "address: an abbreviated street type with a dot, a UK postcode"),
    (
        "find me as nadiabenali or NadiaB",
        "find me as [NAME_1] or [NAME_2]",
        "name: first and last name glued into one",
    ),
    ("update to version 2.0.1.4 today", "update to version 2.0.1.4 today", "false positive: a version became [IP]"),
]


@pytest.mark.parametrize(
    ("text", "expected", "gap"),
    [pytest.param(*gap, id=gap[2].split(":")[0] + f"-{i}") for i, gap in enumerate(FORMER_GAPS)],
)
def test_former_scrubber_gaps(tmp_path, text, expected, gap):
    from hubtools.data.convert import convert_files

    path = tmp_path / "dump.json"
    path.write_text(json.dumps(_dump(text)))
    (row,) = convert_files("cai-dump", [path]).rows
    assert row["messages"][-2]["content"] == expected, gap
