"""The per-row stage of a build: clean → scrub → filter → score features → exact-duplicate key.

Runs on ranges of the parsed rows (in worker processes for big builds) and returns plain data: kept
rows, rejects, numpy columns and counters, merged in range order by the caller.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from hubtools.data.clean import clean_messages
from hubtools.data.dedup import exact_key
from hubtools.data.filters import RowFilter, row_stats
from hubtools.data.scrub import Scrubber
from hubtools.data.select import features
from hubtools.data.sources import Reject, has_dialogue


@dataclass
class Processor:
    """What every row goes through, compiled once per build."""

    row_filter: RowFilter | None
    scrubber: Scrubber | None
    people_sources: frozenset[str] | None = None  # sources scrubbed for names in free text too (None: all)


@dataclass
class Chunk:
    rows: list[dict] = field(default_factory=list)
    rejects: list[Reject] = field(default_factory=list)
    features: np.ndarray = field(default_factory=lambda: np.zeros((0, 4)))
    keys: np.ndarray = field(default_factory=lambda: np.zeros(0, np.uint64))
    digests: list[bytes] = field(default_factory=list)  # `row_digest` of each kept row
    pii: Counter = field(default_factory=Counter)
    dropped: Counter = field(default_factory=Counter)


def clean_and_scrub(row: dict, scrubber: Scrubber | None, pii: Counter, *, people: bool = True) -> dict | None:
    """The row with cleaned, scrubbed messages, or None when no exchange is left; `people`: look for third
    parties' names in free text too."""
    messages = clean_messages(row["messages"])
    if scrubber is not None and scrubber.may_contain("\n".join(m["content"] for m in messages), people=people):
        scrubber.scrub_messages(messages, pii, people=people)  # one conversation, one placeholder numbering
    if not has_dialogue(messages):
        return None
    return {"messages": messages, "source": row["source"], "source_id": row["source_id"]}


def process_range(shared: tuple[list[dict], Processor], start: int, end: int) -> Chunk:
    rows, processor = shared
    chunk = Chunk()
    feature_rows, keys = [], []
    for row in rows[start:end]:
        people = processor.people_sources is None or row["source"] in processor.people_sources
        cleaned = clean_and_scrub(row, processor.scrubber, chunk.pii, people=people)
        if cleaned is None:
            chunk.rejects.append(_reject(row, "clean", None, "no turns left after cleaning"))
            chunk.dropped["clean"] += 1
            continue
        messages = cleaned["messages"]
        stats = row_stats(messages)
        if processor.row_filter is not None:
            verdict = processor.row_filter(messages, stats)
            if verdict is not None:
                name, reason = verdict
                chunk.rejects.append(_reject(cleaned, "filter", name, reason))
                chunk.dropped[name] += 1
                continue
        chunk.rows.append(cleaned)
        feature_rows.append(features(stats))
        keys.append(exact_key("\n".join(m["content"] for m in messages)))
        chunk.digests.append(row_digest(cleaned))
    if chunk.rows:
        chunk.features = np.asarray(feature_rows, dtype=np.float64)
        chunk.keys = np.asarray(keys, dtype=np.uint64)
    return chunk


def row_digest(row: dict) -> bytes:
    """128 bits of BLAKE2b over everything a row holds but its score: the unit of the content hash."""
    digest = hashlib.blake2b(digest_size=16)
    digest.update(f"{row['source']}\x1f{row['source_id']}".encode())
    for message in row["messages"]:
        digest.update(f"\x1e{message['role']}\x1f{message['content']}".encode("utf-8", "surrogatepass"))
    return digest.digest()


def merge(chunks: list[Chunk]) -> Chunk:
    """The chunks of a `process_range` run as one, in order."""
    merged = Chunk()
    for chunk in chunks:
        merged.rows.extend(chunk.rows)
        merged.rejects.extend(chunk.rejects)
        merged.digests.extend(chunk.digests)
        merged.pii.update(chunk.pii)
        merged.dropped.update(chunk.dropped)
    if merged.rows:
        merged.features = np.concatenate([chunk.features for chunk in chunks if chunk.rows])
        merged.keys = np.concatenate([chunk.keys for chunk in chunks if chunk.rows])
    return merged


def _reject(row: dict, stage: str, name: str | None, reason: str) -> Reject:
    return Reject(row["source_id"], reason, stage=stage, name=name, source=row["source"], row=row)


def signatures_range(shared: tuple[list[dict], int, int], start: int, end: int) -> np.ndarray:
    """MinHash signatures of `rows[start:end]` (the dedup stage's worker)."""
    from hubtools.data.dedup import minhash_signatures

    rows, num_perm, shingle_words = shared
    texts = ["\n".join(m["content"] for m in row["messages"]) for row in rows[start:end]]
    return minhash_signatures(texts, num_perm=num_perm, shingle_words=shingle_words)
