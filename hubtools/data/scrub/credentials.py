"""Secrets and device or account identifiers: passwords and PINs said as such, API tokens by their well-known
prefixes, crypto wallet addresses, MAC addresses and licence plates after a label.

Chat users paste these as readily as phone numbers ("my password is hunter2, can you remember it?"), and a
token in a published dataset is a live key for whoever reads it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from hubtools.data.scrub.spans import Span

_SECRET_LABEL = re.compile(
    r"(?:\bPIN\b|(?i:\b(?:password|passwd|pwd|passcode|pass code|pin code|pin number|passphrase|wifi key"
    r"|wi-fi password|security code|cvv|cvc|otp|one-time code|verification code|recovery code|seed phrase|secret))\b)"
    r"(?:\s+(?i:for|to|of|on)\s+(?:my\s+|the\s+)?[\w.-]+)?(?:\s*(?i:is|was|:|=))+\s*[\"'“]?"
    r"([^\s\"'”]{3,64})"
)
_TOKENS = re.compile(
    r"\b(?:hf_[A-Za-z0-9]{30,}|sk-(?:proj-|ant-)?[A-Za-z0-9_-]{20,}|gh[pousr]_[A-Za-z0-9]{30,}"
    r"|github_pat_[A-Za-z0-9_]{30,}|glpat-[A-Za-z0-9_-]{20,}|xox[abprs]-[A-Za-z0-9-]{10,}|AKIA[0-9A-Z]{16}"
    r"|AIza[0-9A-Za-z_-]{35}|eyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,})"
    r"|-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z ]*PRIVATE KEY-----|$)"
)
_WALLET = re.compile(
    r"\b(?:0x[a-fA-F0-9]{40}|bc1[a-z0-9]{25,59}|[13][a-km-zA-HJ-NP-Z1-9]{25,34}|T[1-9A-HJ-NP-Za-km-z]{33})\b"
)
_MAC = re.compile(r"(?<![\w:-])(?:[0-9A-Fa-f]{2}([:-]))(?:[0-9A-Fa-f]{2}\1){4}[0-9A-Fa-f]{2}(?![\w:-])")
_PLATE = re.compile(
    r"(?i:\b(?:licen[cs]e plate|number plate|plate number|registration(?: number| plate)?|reg(?: number| plate)?"
    r"|kennzeichen|kenteken|matr[íi]cula|immatriculation|targa))\b(?:\s*(?i:is|:|-|#|no\.?))*\s*"
    r"([A-Z0-9]{1,4}(?:[ -]?[A-Z0-9]{1,4}){1,3})\b"
)
_NOT_SECRETS = frozenset(
    "the a an my your is was not wrong right correct incorrect long short strong weak same different changed "
    "reset expired forgotten required needed protected hidden below above there here".split()
)


# Substrings without which a pattern cannot match: most messages skip most patterns with a few `in` tests.
_LABEL_HINTS = ("pass", "pin", "pwd", "secret", "code", "cvv", "cvc", "otp", "key", "phrase")
_TOKEN_HINTS = ("hf_", "sk-", "ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_", "glpat-", "xox", "AKIA", "AIza")
_TOKEN_HINTS += ("eyJ", "-----BEGIN")
_PLATE_HINTS = ("plate", "registration", "reg", "kennzeichen", "kenteken", "matr", "immatriculation", "targa")


def find_credentials(text: str) -> Iterator[Span]:
    lowered = text.lower()
    if "PIN" in text or any(hint in lowered for hint in _LABEL_HINTS):
        for match in _SECRET_LABEL.finditer(text):
            value = match.group(1).rstrip(".,;:!?)")
            if value.lower() not in _NOT_SECRETS:
                yield Span(match.start(1), match.start(1) + len(value), "SECRET")
    digits = any(digit in text for digit in "0123456789")
    patterns = [(_TOKENS, "SECRET")] if any(hint in text for hint in _TOKEN_HINTS) else []
    patterns += [(_WALLET, "ID"), (_MAC, "IP")] if digits else []
    for pattern, kind in patterns:
        for match in pattern.finditer(text):
            candidate = match.group()
            if pattern is _WALLET and candidate[0] in "13T" and not _mixed(candidate):
                continue  # base58 must look random: digits, capitals and small letters
            yield Span(match.start(), match.end(), kind)
    if not digits or not any(hint in lowered for hint in _PLATE_HINTS):
        return
    for match in _PLATE.finditer(text):
        plate = match.group(1)
        if any(c.isdigit() for c in plate) and any(c.isalpha() for c in plate):
            yield Span(match.start(1), match.end(1), "ID")


def _mixed(text: str) -> bool:
    return any(c.isdigit() for c in text) and any(c.isupper() for c in text) and any(c.islower() for c in text)
