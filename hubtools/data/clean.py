"""Cleaning: repair text (mojibake, unicode, whitespace) and turn structure (markers, same-role runs).

Chat dumps arrive double-encoded (`CafÃ©s`, `videogaÃƒÂ±ame`), with zero-width junk, CRLFs and ragged
spacing, and with dialogue markers that are missing, doubled or glued to the text. Every source goes through
the same `clean_messages`, so a conversation looks the same whichever format it came from.
"""

from __future__ import annotations

import re
import unicodedata

import ftfy

# Invisible characters that only get in the way: C0 controls but tab/newline, DEL, zero-widths, BOM.
_INVISIBLE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b-\u200d\u2060\ufeff]")
_ODD_SPACES = re.compile(r"[^\S\n \t]")  # horizontal whitespace other than space and tab (NBSP, thin space, …)
_INNER_RUNS = re.compile(r"(?<=\S)(?:[ \t]{2,}|\t)(?=\S)")
_TRAILING = re.compile(r" +(?=\n|$)")
_BLANK_RUNS = re.compile(r"\n{3,}")
# UTF-8 lead bytes (0xC2–0xF4) then a continuation byte (0x80–0xBF), both decoded as cp1252/Latin-1.
_CONTINUATION = "\u0080-\u00bf\u20ac\u201a\u0192\u201e\u2026\u2020\u2021\u02c6\u2030\u0160\u2039\u0152\u017d" + (
    "\u2018\u2019\u201c\u201d\u2022\u2013\u2014\u02dc\u2122\u0161\u203a\u0153\u017e\u0178"
)
_MOJIBAKE = re.compile(f"[\u00c2-\u00f4][{_CONTINUATION}]")

# Turn markers in hh-rlhf-style dialogues. At a line start: Human/Assistant (any case) or the H:/A: short
# forms; glued inside a line (a lost "\n\n"): only the exact words, so "Plan A: …" stays text.
_MARKER = re.compile(
    r"(?:^|\n)[ \t]*(?P<line>(?i:human|assistant)|H|A)[ \t]*:|(?<=\s)(?P<inline>Human|Assistant):",
)
_ROLE_OF = {"human": "user", "h": "user", "assistant": "assistant", "a": "assistant"}
# A role label left at the start of a turn's text ("Assistant: Assistant: hi" → one marker too many).
_LEADING_LABEL = {
    "user": re.compile(r"^(?:(?:human|user)[ \t]*:[ \t]*)+", re.IGNORECASE),
    "assistant": re.compile(r"^(?:(?:assistant|ai|bot)[ \t]*:[ \t]*)+", re.IGNORECASE),
}


def clean_text(text: str) -> str:
    """Fix mojibake and unicode (ftfy, NFC), drop invisible characters, and tidy whitespace.

    ftfy is slow (~0.2 ms a paragraph), so it runs only on text that shows the signature of UTF-8 read as
    Latin-1/cp1252 (a lead byte character followed by a continuation one, as in `Ã©` or `â€™`); other
    non-ASCII text is NFC-normalized directly. Quotes are left as written.
    """
    if not text.isascii():
        if _MOJIBAKE.search(text):
            text = ftfy.fix_text(text, normalization="NFC", uncurl_quotes=False)
        if not unicodedata.is_normalized("NFC", text):
            text = unicodedata.normalize("NFC", text)
        text = _ODD_SPACES.sub(" ", text)
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not text.replace("\n", " ").replace("\t", " ").isprintable():  # cheap test before the regex
        text = _INVISIBLE.sub("", text)
    if "  " in text or "\t" in text:
        text = _INNER_RUNS.sub(" ", text)
    if " \n" in text or text.endswith(" "):
        text = _TRAILING.sub("", text)
    if "\n\n\n" in text:
        text = _BLANK_RUNS.sub("\n\n", text)
    return text.strip()


def split_dialogue(text: str) -> list[dict]:
    """Split `\\n\\nHuman: …\\n\\nAssistant: …` text into turns, repairing missing or doubled markers.

    Text before the first marker is a user turn; empty turns (a doubled marker) disappear, and the
    same-role runs they leave are merged by `clean_messages`.
    """
    turns: list[dict] = []
    role, start = "user", 0
    for match in _MARKER.finditer(text):
        turns.append({"role": role, "content": text[start : match.start()].strip()})
        label = (match.group("line") or match.group("inline")).lower()
        role, start = _ROLE_OF[label], match.end()
    turns.append({"role": role, "content": text[start:].strip()})
    return [turn for turn in turns if turn["content"]]


def clean_messages(messages: list[dict]) -> list[dict]:
    """Clean every turn, drop empty ones and merge consecutive turns of the same role."""
    out: list[dict] = []
    for message in messages:
        role = message["role"]
        content = clean_text(message["content"])
        label = _LEADING_LABEL.get(role)
        if label is not None and content[:1] in "HhUuAaBb" and label.match(content):
            content = label.sub("", content, count=1).strip()
        if not content:
            continue
        if out and out[-1]["role"] == role:
            out[-1]["content"] += "\n\n" + content
        else:
            out.append({"role": role, "content": content})
    return out
