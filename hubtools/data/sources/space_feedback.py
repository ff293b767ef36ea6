"""The Space's feedback records (`hubtools.community.feedback`) → SFT rows and preference pairs.

Records are joined across all of a source's files, since a visitor's votes and the conversation they later
shared may sit in different months' files. What comes out:

- SFT rows: shared conversations whose shown replies got at least one 👍 and no 👎;
- preference pairs (TRL's conversational format: `prompt`, `chosen`, `rejected` as message lists): every
  regenerate-and-pick, and every 👍 reply against a 👎 reply to the same prompt (same messages before the
  reply, across conversations too), in a shared conversation.

A visitor's repeated vote on the same reply counts once (the last one stands); the earlier ones are rejects
named `duplicate`. Votes and picks on conversations that were never shared carry no text and give nothing:
they are counted, not rejected. A vote pointing at a reply the shared conversation does not have is a reject.
Arena votes are for evaluation (`hubtools.evaluation.arena`) and are only counted here.
"""

from __future__ import annotations

import itertools
import json
from collections import Counter, defaultdict
from pathlib import Path

from hubtools.data.sources import ParseResult, Reject, make_row
from hubtools.data.sources._jsonl import iter_objects

MAX_PAIRS_PER_PROMPT = 16  # 👍×👎 pairs of one prompt: a popular prompt must not swamp the others


def parse(path: Path, *, source: str, display: str) -> ParseResult:
    return parse_files([(Path(path), display)], source=source)


def parse_files(files: list[tuple[Path, str]], *, source: str) -> ParseResult:
    """Every file's records, validated and joined; see the module docstring for what becomes what."""
    from hubtools.data.feedback import parse_record

    result = ParseResult()
    latest: dict[tuple, tuple[str, object]] = {}  # dedup key → (location, record); the last one stands
    for path, display in files:
        for location, value in iter_objects(path, display, source):
            if isinstance(value, Reject):
                result.rejects.append(value)
                continue
            record, problem = parse_record(value)
            if record is None:
                result.rejects.append(Reject(location, f"not a feedback record: {problem}", source=source, row=value))
                continue
            key = _key(record)
            if key in latest:
                earlier, _ = latest[key]
                reason = f"duplicate {record.kind} by the same receipt, superseded by {location}"
                result.rejects.append(
                    Reject(earlier, reason, name="duplicate", source=source, row=latest[key][1].to_json())
                )
            latest[key] = (location, record)
    _join(list(latest.values()), result, source)
    return result


def _key(record) -> tuple:
    if record.kind == "vote":
        return ("vote", record.receipt, record.conversation, record.turn, record.reply)
    if record.kind == "pick":
        return ("pick", record.receipt, record.conversation, record.turn, frozenset((record.chosen, record.rejected)))
    if record.kind == "arena":
        return ("arena", record.receipt, record.battle)
    return ("share", record.conversation)


def _join(records: list[tuple[str, object]], result: ParseResult, source: str) -> None:
    stats = Counter()
    shares = {r.conversation: (loc, r) for loc, r in records if r.kind == "share"}
    votes: dict[tuple[str, int], list] = defaultdict(list)  # (conversation, turn) → [(location, vote)]
    prompts: dict[str, dict[str, list]] = defaultdict(lambda: {"like": [], "dislike": []})
    for location, record in sorted(records, key=lambda item: _order(item[0])):
        stats[record.kind] += 1
        for model in (record.a, record.b) if record.kind == "arena" else (record.model,):
            result.releases[model.label] += 1
        if record.kind in ("share", "arena"):
            continue
        share = shares.get(record.conversation)
        if share is None:
            stats[f"{record.kind}:not shared"] += 1
            continue
        replies = share[1].replies(record.turn)
        wanted = [record.reply] if record.kind == "vote" else [record.chosen, record.rejected]
        if not replies or max(wanted) >= len(replies):
            reason = (
                f"{record.kind} on reply {max(wanted)} of turn {record.turn}, which conversation "
                f"{record.conversation} does not have"
            )
            result.rejects.append(Reject(location, reason, name="no-such-reply", source=source, row=record.to_json()))
            continue
        prompt = [m.model_dump() for m in share[1].messages[: record.turn]]
        if record.kind == "pick":
            _pair(result, prompt, replies[record.chosen], replies[record.rejected], record, location, source, "pick")
            continue
        votes[(record.conversation, record.turn)].append((location, record))
        prompts[json.dumps(prompt, ensure_ascii=False)][record.value].append((replies[record.reply], record, location))
    for key, sided in prompts.items():
        made = 0
        for (liked, record, location), (disliked, _, other) in itertools.product(sided["like"], sided["dislike"]):
            if made == MAX_PAIRS_PER_PROMPT:  # stop, not skip: a popular prompt's pairs grow as likes × dislikes
                break
            made += _pair(result, json.loads(key), liked, disliked, record, f"{location}+{other}", source, "votes")
    for conversation, (location, share) in shares.items():
        shown = [(turn, share.shown(turn)) for turn, m in enumerate(share.messages) if m.role == "assistant"]
        values = [
            vote.value
            for turn, reply in shown
            for _, vote in votes.get((conversation, turn), [])
            if vote.reply == reply
        ]
        if "like" in values and "dislike" not in values:
            messages = [m.model_dump() for m in share.messages]
            result.rows.append(make_row(messages, source, location))
            stats["liked conversations"] += 1
    result.feedback.update(stats)


def _pair(result, prompt, chosen, rejected, record, location, source, kind) -> int:
    if chosen.strip() == rejected.strip() or not prompt:
        return 0
    result.preferences.append(
        {
            "prompt": prompt,
            "chosen": [{"role": "assistant", "content": chosen}],
            "rejected": [{"role": "assistant", "content": rejected}],
            "source": source,
            "source_id": location,
            "kind": kind,
            "model": record.model.label,
        }
    )
    return 1


def _order(location: str) -> tuple[str, int]:
    """`FILE:LINE` in file order, then line order (as numbers), so the output does not depend on a dict's."""
    name, _, line = location.rpartition(":")
    return (name, int(line)) if line.isdigit() else (location, 0)
