"""PII scrubber evaluation: recall per category, precision per kind, look-alikes kept, messages/s.

Reads benchmarks/pii/eval_set.txt (made-up chats with planted items `{{category|value}}` and look-alikes
`<<value>>`, format in its header), runs `Scrubber.find_messages` on each conversation exactly as a build
does (the dump's names from `#names:`, the character's name from the system turn) and scores:

- recall: a planted item counts as caught when every letter and digit of it is inside a scrubbed span
  (cue words of the item itself, such as `born on`, `lat`, `Mrs.`, may stay);
- precision per kind: the share of spans of that kind that touch a planted item;
- must-keep: the share of look-alikes that no span touches;
- speed: whole-scrubber messages per second on one process, on the eval set and on plain chat lines.

Usage: python benchmarks/pii_eval.py [--eval-set PATH] [--repeat N] [--show-misses]
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

EVAL_SET = Path(__file__).parent / "pii" / "eval_set.txt"
_MARK = re.compile(r"\{\{\s*([a-z_]+)\s*\|(.+?)\}\}(?!\})|<<(.+?)>>")
_TOKEN = re.compile(r"[^\W_]+")
_MARKER = re.compile(r"\[[A-Z_]+\]")
# Words of a planted item that say what it is rather than who it is: they may stay.
CUE_WORDS = frozenset("born on in the of dob d o b lat long geo mrs mr ms dr p box".split())
THRESHOLDS = {"recall": 0.97, "recall_per_category": 0.90, "must_keep": 0.98}


@dataclass
class Message:
    role: str
    text: str
    planted: list[tuple[str, int, int]] = field(default_factory=list)  # (category, start, end)
    keep: list[tuple[int, int]] = field(default_factory=list)


@dataclass
class Conversation:
    title: str
    messages: list[Message] = field(default_factory=list)


def load(path: Path = EVAL_SET) -> tuple[list[str], list[Conversation]]:
    """The dump names and the conversations of an eval-set file, markers turned into offsets."""
    names: list[str] = []
    conversations: list[Conversation] = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if line.startswith("#names:"):
            names += [name.strip() for name in line[len("#names:") :].split(",") if name.strip()]
        elif line.startswith("#") or not line.strip():
            continue
        elif line.startswith("=== "):
            conversations.append(Conversation(line[4:].strip()))
        else:
            role, sep, body = line.partition(": ")
            if not sep or not conversations or role not in ("system", "user", "assistant"):
                raise ValueError(f"{path}:{number}: expected 'system|user|assistant: text' inside a '=== ' block")
            conversations[-1].messages.append(_message(role, body))
    return names, conversations


def _message(role: str, body: str) -> Message:
    message, out, last = Message(role, ""), [], 0
    length = 0
    for match in _MARK.finditer(body):
        out.append(body[last : match.start()])
        length += match.start() - last
        value = match.group(2) if match.group(1) else match.group(3)
        if match.group(1):
            value = value.strip()
            message.planted.append((match.group(1), length, length + len(value)))
        else:
            message.keep.append((length, length + len(value)))
        out.append(value)
        length += len(value)
        last = match.end()
    out.append(body[last:])
    message.text = "".join(out)
    return message


def _covered(spans, start: int, end: int, text: str) -> bool:
    for token in _TOKEN.finditer(text, start, end):
        if token.group().lower() in CUE_WORDS:
            continue
        for position in range(token.start(), token.end()):
            if not any(s.start <= position < s.end for s in spans):
                return False
    return True


def _touches(spans, start: int, end: int) -> bool:
    return any(s.start < end and start < s.end for s in spans)


def evaluate(path: Path = EVAL_SET) -> dict:
    """Scores of the current scrubber on an eval set (see the module docstring), plus the misses."""
    from hubtools.data.scrub import Scrubber

    names, conversations = load(path)
    scrubber = Scrubber(names)
    planted, caught = Counter(), Counter()
    kind_spans, kind_true = Counter(), Counter()
    keeps = kept = 0
    misses, destroyed, false_spans = [], [], []
    for conversation in conversations:
        found = scrubber.find_messages([{"role": m.role, "content": m.text} for m in conversation.messages])
        for message, spans in zip(conversation.messages, found, strict=True):
            for category, start, end in message.planted:
                planted[category] += 1
                if _covered(spans, start, end, message.text):
                    caught[category] += 1
                else:
                    misses.append((category, message.text[start:end], message.text))
            for start, end in message.keep:
                keeps += 1
                if _touches(spans, start, end):
                    destroyed.append((message.text[start:end], message.text))
                else:
                    kept += 1
            for span in spans:
                if _MARKER.fullmatch(message.text[span.start : span.end]):
                    continue  # a placeholder already in the dump: renumbered, neither right nor wrong
                kind_spans[span.kind] += 1
                if any(s < span.end and span.start < e for _, s, e in message.planted):
                    kind_true[span.kind] += 1
                else:
                    false_spans.append((span.kind, message.text[span.start : span.end], message.text))
    return {
        "planted": planted,
        "caught": caught,
        "recall": sum(caught.values()) / max(1, sum(planted.values())),
        "precision": {kind: kind_true[kind] / n for kind, n in kind_spans.items()},
        "keeps": keeps,
        "must_keep": kept / max(1, keeps),
        "misses": misses,
        "destroyed": destroyed,
        "false_spans": false_spans,
        "conversations": conversations,
        "names": names,
    }


def messages_per_second(names: list[str], conversations: list[list[dict]], repeat: int) -> tuple[float, int]:
    from hubtools.data.scrub import Scrubber

    scrubber = Scrubber(names)
    count = 0
    begin = time.perf_counter()
    for _ in range(repeat):
        for messages in conversations:
            scrubber.scrub_messages([dict(m) for m in messages])
            count += len(messages)
    return count / (time.perf_counter() - begin), count


PLAIN = [
    "I think the second option is better, but let me know what you think about it.",
    "*She smiles softly and looks out of the window* It's been a long day, hasn't it?",
    "Can you explain how photosynthesis works in simple terms?",
    "Haha okay, that was actually funny. Tell me another one!",
    "The dragon roared as the knight raised his shield, sparks flying in the dark cave.",
    "I don't know, I just feel tired all the time lately. Work has been a lot.",
    "Sure! Here is a short poem about the sea and the wind at night.",
    "What would you do if you could travel anywhere in the world for a week?",
]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--eval-set", type=Path, default=EVAL_SET)
    parser.add_argument("--repeat", type=int, default=20, help="passes over the set for the speed figure")
    parser.add_argument("--show-misses", action="store_true", help="print every miss and false positive")
    args = parser.parse_args(argv)
    result = evaluate(args.eval_set)
    print(f"{'category':<16} {'planted':>7} {'caught':>6} {'recall':>7}")
    for category in sorted(result["planted"]):
        n, k = result["planted"][category], result["caught"][category]
        print(f"{category:<16} {n:>7} {k:>6} {k / n:>7.1%}")
    total = sum(result["planted"].values())
    print(f"{'ALL':<16} {total:>7} {sum(result['caught'].values()):>6} {result['recall']:>7.1%}")
    print()
    print("precision per kind: " + ", ".join(f"{k} {v:.1%}" for k, v in sorted(result["precision"].items())))
    print(f"must-keep look-alikes kept: {result['must_keep']:.1%} of {result['keeps']}")
    if args.show_misses:
        for category, value, text in result["misses"]:
            print(f"MISS {category}: {value!r} in {text!r}")
        for value, text in result["destroyed"]:
            print(f"DESTROYED {value!r} in {text!r}")
        for kind, value, text in result["false_spans"]:
            print(f"FALSE {kind}: {value!r} in {text!r}")
    conversations = [[{"role": m.role, "content": m.text} for m in c.messages] for c in result["conversations"]]
    rate, count = messages_per_second(result["names"], conversations, args.repeat)
    plain = [[{"role": "user", "content": line}, {"role": "assistant", "content": line}] for line in PLAIN]
    plain_rate, plain_count = messages_per_second(result["names"], plain, args.repeat * 20)
    print(f"speed (one process): eval set {rate:,.0f} messages/s ({count:,} messages), "
          f"plain chat {plain_rate:,.0f} messages/s ({plain_count:,} messages)")  # fmt: skip
    ok = (
        result["recall"] >= THRESHOLDS["recall"]
        and all(result["caught"][c] / n >= THRESHOLDS["recall_per_category"] for c, n in result["planted"].items())
        and result["must_keep"] >= THRESHOLDS["must_keep"]
    )
    print("thresholds met" if ok else "thresholds NOT met")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
