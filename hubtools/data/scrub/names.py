"""Names known from the dump's own metadata (user names, display names), found wherever they leak into text.

The rule, so ordinary words survive: names shorter than 3 characters are ignored. A name that is also a
common English word (`Will`, `Rose`, `Mark`, `Hope`…, see `COMMON_WORDS`) is replaced only when written
capitalised and not at the start of a sentence ("I told Rose" but not "Rose petals…", never "rose"), or
inside a handle (`@rose`, `rose_99`, `rose123`). Any other name is replaced case-insensitively as a whole word
and inside handles (`@nadia`, `nadia_99`, `xx_nadia`). Names glued into one handle are replaced too: a known
name written without its separators (`nadiabenali`, `NadiaBenali`, `NadiaB` for "Nadia Benali" / `nadia_b`),
surname first (`benalinadia`), initial and surname (`nbenali`), or two known names that are not common words
(`nadiabenali` from "Nadia" and "Benali"); a common-word name with one or two letters more ("roses",
"marks") is never a glued name. Any other name inside a longer word ("Willow", "Nadiaxyz") is left alone.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from hubtools.data.scrub.spans import KINDS, Span

COMMON_WORDS = frozenset(
    """
    will may june april august summer autumn winter spring rose lily daisy iris ivy violet holly hazel olive
    ruby pearl amber jade crystal grace hope faith joy charity patience honor honey sunny sky rain storm
    river brook dawn eve star angel bill mark frank jack pat sue art rich ray rod bob nick drew dean chase
    hunter sandy rusty miles guy gene glen grant wade warren chance cliff forest heath clay colt buck bud
    king prince duke earl baron major page reed rock stone wood ford lane dale hall moore park penny sterling
    victor carol don jean mike max sam tom tim ben dan ken jay lee van bell gay ash parker cook baker miller
    smith taylor young white black brown green gray grey long short little young price shepherd may mercy
    robin jasmine poppy sage basil august christian frank joy melody harmony destiny justice liberty
    ginger candy coco cookie buddy champ doc ace angel baby love lovely honey sweetie dear darling
    user guest admin anonymous someone nobody human assistant bot character name username
    the and you your yours are was were his her hers him she they them their what who how why when where
    """.split()
)
REDACTED = re.compile(r"\[[A-Z_]*REDACTED[A-Z_]*\]")
_SEPARATORS = re.compile(r"[\W_]+")
_HANDLE_BREAK = re.compile(r"[\d_]")
SENTENCE_END = ".!?\n\"'“(:*"


def name_variants(names: Iterable[str]) -> set[str]:
    """Names worth matching: each full name, its words, and user names without trailing digits (≥ 3 chars)."""
    out = set()
    for raw in names:
        name = raw.strip()
        if not name or REDACTED.fullmatch(name):
            continue
        candidates = {name, *re.split(r"[\s]+", name), re.sub(r"[\d_.-]+$", "", name)}
        for candidate in candidates:
            candidate = candidate.strip(" .,'\"")
            if len(candidate) >= 3 and not candidate.isdigit() and candidate.upper() not in KINDS:
                out.add(candidate)
    return out


def trie_pattern(words: Iterable[str]) -> str:
    """A regex for any of `words` that prefers the longest at each position, like a longest-first alternation,
    but as a trie: matching costs the same for three names or three thousand (sre tries alternatives in turn)."""
    trie: dict = {}
    for word in words:
        node = trie
        for char in word:
            node = node.setdefault(char, {})
        node[""] = {}  # a word ends here
    return _trie_node(trie)


def _trie_node(node: dict) -> str:
    branches = []
    for char, child in sorted(node.items()):
        if not char:
            continue
        run = char
        while len(child) == 1 and "" not in child:  # a chain without choices: one literal, no recursion per char
            ((char, child),) = child.items()
            run += char
        branches.append(re.escape(run) + _trie_node(child))
    if not branches:
        return ""
    body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
    return f"(?:{body})?" if "" in node else body  # greedy: a longer name before the one ending here


def capitalised_mid_sentence(text: str, start: int) -> bool:
    """Whether the word at `start` is capitalised and not the first of a sentence (so not just any word)."""
    if not text[start : start + 1].isupper():
        return False
    before = text[:start].rstrip(" \t")
    return bool(before) and before[-1] not in SENTENCE_END


class KnownNames:
    """The names collected from the sources, compiled once into a trie regex."""

    def __init__(self, names: Iterable[str] = ()) -> None:
        unique = {name.lower(): name for name in sorted(name_variants(names))}
        self.names = sorted(unique.values(), key=lambda n: (-len(n), n.lower()))
        self._lower = {name.lower() for name in self.names}
        self._ambiguous = {n for n in self._lower if n in COMMON_WORDS or any(w in COMMON_WORDS for w in n.split())}
        # Glued handles: names without their separators, and two-word names reordered or with an initial.
        self._glued = {_SEPARATORS.sub("", n) for n in self._lower}
        for name in self._lower:
            words = [w for w in _SEPARATORS.split(name) if w]
            if len(words) >= 2:
                first, last = words[0], words[-1]
                self._glued.update((last + first, first + last[0], first[0] + last))
        self._glue_words = {n for n in self._lower if n.isalpha() and n not in self._ambiguous}
        self._name_re = self._any_name = None
        if self.names:
            names = trie_pattern(self._lower)
            self._any_name = re.compile(names)  # searched in lowercased text
            self._name_re = re.compile(rf"(?<![\w@])(@?)(\w*?)({names})(\w*)(?![\w])", re.IGNORECASE)

    def mentioned(self, lowered: str) -> bool:
        """Whether lower-cased `lowered` holds a known name anywhere (a cheap test before the real search)."""
        return self._any_name is not None and self._any_name.search(lowered) is not None

    def find(self, text: str) -> Iterator[Span]:
        if self._name_re is None or not self.mentioned(text.lower()):
            return
        for match in self._name_re.finditer(text):
            if self._is_name(match):
                yield Span(match.start(), match.end(), "NAME")

    def _is_name(self, match: re.Match) -> bool:
        at, prefix, name, suffix = match.groups()
        handle_like = bool(at) or (
            (not prefix or prefix[-1] in "_0123456789") and (not suffix or suffix[0] in "_0123456789")
        )
        if not (at or prefix or suffix):
            return name.lower() not in self._ambiguous or capitalised_mid_sentence(match.string, match.start(3))
        return handle_like or self._is_glued(prefix, name, suffix)

    def _is_glued(self, prefix: str, name: str, suffix: str) -> bool:
        """Whether the letters around `name`, up to a digit or `_`, make a glued name (`nadiabenali`, `NadiaB`)."""
        if prefix:
            prefix = _HANDLE_BREAK.split(prefix)[-1]
        if suffix:
            suffix = _HANDLE_BREAK.split(suffix, maxsplit=1)[0]
        word = (prefix + name + suffix).lower()
        if len(word) - len(name) < 3 and name.lower() in self._ambiguous:
            return False  # "roses", "marks": a common word, even for Rose Smith or rose_s
        if word in self._glued:
            return True
        return any(
            word[:cut] in self._glue_words and word[cut:] in self._glue_words for cut in range(3, len(word) - 2)
        )
