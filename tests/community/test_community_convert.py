"""`hubtools data convert --from cai-dump` (the path the Space shares) on a dump with planted personal data.

Names and handles (also lower-case), e-mails, phones, IPs, street addresses, handle URLs and card numbers must
all go; ordinary words must stay. `GAPS` are items the scrubber misses today (reported to the data owner):
strict xfails, so a fix turns them into failures that ask for the marker to be removed.
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
    user = {"is_human": True, "name": "Nadia", "user": {"username": "nadia_b", "first_name": "Nadia"}}
    bot = {"is_human": False, "name": "Mira"}
    msgs = [
        {"text": "Ahoy!", "src": bot, "tgt": user},
        {"text": text, "src": user, "tgt": bot, "display_name": "Nadia"},
        {"text": "Noted.", "src": bot, "tgt": user},
    ]
    return {"info": {"character": {"name": "Mira"}}, "histories": {"histories": [{"msgs": msgs}]}}


GAPS = [  # (text, what must not survive — or, for a false positive, must —, the gap)
    ("+33 6 12 34 56 78", "12 34 56", "phone: international number with a one-digit area group (France)"),
    ("+81 3-1234-5678", "1234-5678", "phone: international number with a one-digit area group (Japan)"),
    ("1600 Pennsylvania Avenue NW, Washington, DC 20500", "20500", "address: a directional suffix (NW) stops it"),
    ("12 High St., Oxford OX1 4AU", "Oxford", "address: an abbreviated street type with a dot stops it"),
    ("find me as nadiabenali or NadiaB", "adia", "name: first and last name glued into one handle"),
    ("update to version 2.0.1.4 today", "2.0.1.4", "false positive: a four-part version number becomes [IP]"),
]


@pytest.mark.parametrize(
    ("text", "must_not_change", "gap"),
    [
        pytest.param(*gap, marks=pytest.mark.xfail(strict=True), id=gap[2].split(":")[0] + f"-{i}")
        for i, gap in enumerate(GAPS)
    ],
)
def test_known_scrubber_gaps(tmp_path, text, must_not_change, gap):
    from hubtools.data.convert import convert_files

    path = tmp_path / "dump.json"
    path.write_text(json.dumps(_dump(text)))
    (row,) = convert_files("cai-dump", [path]).rows
    out = row["messages"][-2]["content"]
    if gap.startswith("false positive"):
        assert must_not_change in out, f"{gap}: {out!r}"
    else:
        assert must_not_change not in out, f"{gap}: {out!r}"
