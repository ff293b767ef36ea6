"""The `preferences` config of a dataset: preference pairs from `space-feedback` sources, in TRL's format.

Each pair goes through what a conversation goes through, as far as it applies to a pair: cleaning and
scrubbing of the prompt and both replies (the same scrubber as the SFT rows), the recipe's filters on the prompt
with the chosen reply (never on the rejected one: a refusal or a repetitive reply is exactly what a rejected
reply is there to show), exact dedup on prompt + chosen + rejected (near dedup is left to the SFT rows: two
pairs that differ in a word still teach different preferences), then the same hash-stable train/test cut. A
dropped pair lands in `rejects.jsonl` with its stage, like a dropped conversation.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from hubtools.data._process import clean_and_scrub
from hubtools.data.dedup import exact_key
from hubtools.data.filters import RowFilter, row_stats
from hubtools.data.recipe import DataRecipe
from hubtools.data.scrub import Scrubber
from hubtools.data.select import split_test
from hubtools.data.sources import Reject

CONFIG = "preferences"
COLUMNS = ("prompt", "chosen", "rejected", "source", "source_id", "kind", "model")


@dataclass
class Preferences:
    splits: dict[str, list[dict]] = field(default_factory=dict)
    rejects: list[Reject] = field(default_factory=list)
    counts: dict = field(default_factory=dict)


def process_preferences(
    recipe: DataRecipe, pairs: list[dict], scrubber: Scrubber | None, row_filter: RowFilter, rejects: list[Reject]
) -> Preferences:
    """Clean, scrub, filter, dedup and split the pairs parsed from the recipe's feedback sources; the dropped
    pairs are added to `rejects` (and kept in `Preferences.rejects`)."""
    out = Preferences()
    pii: Counter = Counter()
    dropped: Counter = Counter()
    kept, keys = [], []
    seen: dict[int, str] = {}
    for pair in pairs:
        cleaned = _clean(pair, scrubber, pii)
        if cleaned is None:
            out.rejects.append(_reject(pair, "clean", None, "no prompt or reply left after cleaning"))
            dropped["clean"] += 1
            continue
        conversation = cleaned["prompt"] + cleaned["chosen"]
        verdict = row_filter(conversation, row_stats(conversation))
        if verdict is not None:
            out.rejects.append(_reject(cleaned, "filter", verdict[0], verdict[1]))
            dropped[verdict[0]] += 1
            continue
        text = "\n".join(m["content"] for m in conversation) + "\x00" + cleaned["rejected"][0]["content"]
        key = exact_key(text)
        if recipe.dedup.exact and key in seen:
            out.rejects.append(_reject(cleaned, "dedup", "exact", f"exact duplicate of {seen[key]}"))
            dropped["dedup"] += 1
            continue
        seen.setdefault(key, cleaned["source_id"])
        kept.append(cleaned)
        keys.append(key)
    in_test = split_test(np.asarray(keys, dtype=np.uint64), recipe.splits.test, recipe.seed)
    out.splits = {"train": [], "test": []}
    for row, test in zip(kept, in_test.tolist(), strict=True):
        out.splits["test" if test else "train"].append(row)
    out.counts = {
        "pairs": len(pairs),
        "dropped": dict(sorted(dropped.items())),
        "pii": dict(sorted(pii.items())),
        "kinds": dict(sorted(Counter(row["kind"] for row in kept).items())),
        "selected": len(kept),
    }
    rejects.extend(out.rejects)
    return out


def _clean(pair: dict, scrubber: Scrubber | None, pii: Counter) -> dict | None:
    """The pair with the prompt and both replies cleaned and scrubbed, or None when one is left empty."""
    ends = []
    for side in ("chosen", "rejected"):
        row = {"messages": pair["prompt"] + pair[side], "source": pair["source"], "source_id": pair["source_id"]}
        # The prompt is counted once, with the chosen side; the rejected reply's own PII is not in the counts.
        cleaned = clean_and_scrub(row, scrubber, pii if side == "chosen" else Counter())
        if cleaned is None or cleaned["messages"][-1]["role"] != "assistant":
            return None
        ends.append(cleaned["messages"])
    chosen, rejected = ends
    if chosen[:-1] != rejected[:-1] or chosen[-1]["content"] == rejected[-1]["content"]:
        return None
    return {**pair, "prompt": chosen[:-1], "chosen": chosen[-1:], "rejected": rejected[-1:]}


def _reject(pair: dict, stage: str, name: str | None, reason: str) -> Reject:
    return Reject(
        pair["source_id"], f"preference pair: {reason}", stage=stage, name=name, source=pair["source"], row=pair
    )


def write_preferences(out_dir: Path, preferences: Preferences, content_digest: str) -> str:
    """Save the pairs as `out_dir/preferences/` (nothing when there are none); return the build's content hash,
    now covering the pairs too."""
    from hubtools.data.build import empty_shards

    if not any(preferences.splits.values()):
        return content_digest
    preferences_dataset(preferences.splits).save_to_disk(
        str(out_dir / CONFIG), num_shards=empty_shards(preferences.splits)
    )
    return hashlib.sha256(f"{content_digest}\n{preferences_hash(preferences.splits)}".encode()).hexdigest()


def preferences_hash(splits: dict[str, list[dict]]) -> str:
    """SHA-256 over the pairs of every split, in order: the pairs' share of the dataset's content hash."""
    digest = hashlib.sha256()
    for name in sorted(splits):
        digest.update(f"\x00preferences:{name}\n".encode())
        for row in splits[name]:
            for column in ("prompt", "chosen", "rejected"):
                for message in row[column]:
                    digest.update(f"\x1e{message['role']}\x1f{message['content']}".encode("utf-8", "surrogatepass"))
            digest.update(f"\x1d{row['source']}\x1f{row['source_id']}\n".encode())
    return digest.hexdigest()


def preferences_dataset(splits: dict[str, list[dict]]):
    """A `DatasetDict` of the pairs (columns `COLUMNS`), built by pyarrow so an empty split still saves a shard."""
    import pyarrow as pa
    from datasets import Dataset, DatasetDict, DatasetInfo, Features, List, Value
    from datasets.table import InMemoryTable

    message = {"role": Value("string"), "content": Value("string")}
    features = Features(
        {
            **{name: List(message) for name in ("prompt", "chosen", "rejected")},
            **{name: Value("string") for name in ("source", "source_id", "kind", "model")},
        }
    )
    schema = features.arrow_schema

    def dataset(rows: list[dict]) -> Dataset:
        table = pa.table({c: pa.array([row[c] for row in rows], type=schema.field(c).type) for c in COLUMNS})
        return Dataset(InMemoryTable(table), info=DatasetInfo(features=features))

    return DatasetDict({name: dataset(rows) for name, rows in splits.items()})
