"""Dataset-build throughput: `hubtools data build` against the plain per-row way, in one run.

Generates N synthetic chats (default 50,000; 2–6 turns, 150–300 words, Zipf-distributed words with real
English function words on top, ~10% exact and ~10% near duplicates, 5% with non-ASCII text, 1% with
mojibake, 2% with personal data), writes them as messages JSONL, then times:

- baseline: what most people write, one row at a time in one process: `ftfy.fix_text`, a set of SHA-1
  for exact duplicates, datasketch `MinHash` (128 permutations, 5-word shingles, `update_batch` per row)
  + `MinHashLSH` (threshold 0.8), query then insert;
- hubtools: `build_dataset` on a recipe reading that file, end to end (parse, clean, scrub, filters, exact
  + near dedup, scoring, splits, `save_to_disk`, card), dedup cache off; then once more with the cache warm.

Usage: python benchmarks/data_build.py [--rows 50000] [--baseline-rows N] [--num-proc N]
The last line printed is `N rows/s` (hubtools, end to end, cold cache).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import tempfile
import time
from pathlib import Path

import numpy as np

FUNCTION_WORDS = (
    "the and to of a in is it you that for i this was with on are be have not but what my your do can"
).split()


def make_vocabulary(size: int, rng: np.random.Generator) -> np.ndarray:
    """English function words, then `size` made-up words of 1–4 syllables."""
    syllables = np.array("ka lo mi ne ru sa ti vo ze pa dri gon tal ber sen qua fi mo lu ra ce dy po wen".split())
    words: set[str] = set()
    while len(words) < size:
        counts = rng.integers(1, 5, size=size)
        picks = rng.integers(0, syllables.size, size=(size, 4))
        words.update("".join(syllables[row[:count]]) for row, count in zip(picks, counts, strict=True))
    made_up = sorted(words)
    return np.array(FUNCTION_WORDS + [made_up[i] for i in rng.permutation(len(made_up))[:size]])


def generate(rows: int, seed: int = 0) -> list[dict]:
    """Synthetic chats: 80% distinct, 10% exact copies, 10% near copies (1–3 words changed)."""
    rng = np.random.default_rng(seed)
    vocab = make_vocabulary(30_000, rng)
    ranks = np.arange(1, vocab.size + 1)
    weights = 1.0 / ranks**1.05
    weights /= weights.sum()
    distinct = rows - 2 * (rows // 10)
    lengths = rng.integers(150, 301, size=distinct)
    words = vocab[rng.choice(vocab.size, size=int(lengths.sum()), p=weights)]
    chats, start = [], 0
    for index, length in enumerate(lengths):
        chunk = words[start : start + length].tolist()
        start += length
        turns = int(rng.integers(2, 7)) // 2 * 2
        cuts = np.sort(rng.choice(np.arange(5, length - 5), size=turns - 1, replace=False)).tolist()
        parts = [chunk[a:b] for a, b in zip([0, *cuts], [*cuts, length], strict=True)]
        messages = [
            {"role": "user" if i % 2 == 0 else "assistant", "content": " ".join(part).capitalize() + "."}
            for i, part in enumerate(parts)
        ]
        if index % 20 == 0:  # 5% with ordinary non-ASCII text
            messages[-1]["content"] += " It’s a naïve café — très bon, 👍"
        if index % 100 == 1:  # 1% with mojibake
            messages[0]["content"] += " The cafÃ©s in Lisbon donâ€™t close."
        if index % 53 == 0:
            messages[0]["content"] += " Write to someone.name@example.com or call +1 (415) 555-0142."
        chats.append({"messages": messages})
    for _ in range(rows // 10):  # exact duplicates (case and spacing may differ)
        original = chats[int(rng.integers(0, distinct))]
        chats.append({"messages": [{**m, "content": m["content"].upper()} for m in original["messages"]]})
    for _ in range(rows // 10):  # near duplicates
        original = chats[int(rng.integers(0, distinct))]
        messages = [dict(m) for m in original["messages"]]
        turn = messages[int(rng.integers(0, len(messages)))]
        tokens = turn["content"].split()
        for _ in range(int(rng.integers(1, 4))):
            tokens[int(rng.integers(0, len(tokens)))] = str(vocab[int(rng.integers(0, vocab.size))])
        turn["content"] = " ".join(tokens)
        chats.append({"messages": messages})
    order = rng.permutation(len(chats))
    return [chats[i] for i in order]


def baseline(chats: list[dict], num_perm: int = 128, threshold: float = 0.8) -> tuple[float, int, int]:
    """The plain per-row pipeline; returns (seconds, exact duplicates, near duplicates)."""
    import ftfy
    from datasketch import MinHash, MinHashLSH

    started = time.perf_counter()
    seen: set[str] = set()
    lsh = MinHashLSH(threshold=threshold, num_perm=num_perm)
    exact = near = 0
    for index, chat in enumerate(chats):
        text = ftfy.fix_text("\n".join(m["content"] for m in chat["messages"]))
        words = text.lower().split()
        key = hashlib.sha1(" ".join(words).encode()).hexdigest()
        if key in seen:
            exact += 1
            continue
        seen.add(key)
        minhash = MinHash(num_perm=num_perm)
        minhash.update_batch([" ".join(words[i : i + 5]).encode() for i in range(max(len(words) - 4, 1))])
        if lsh.query(minhash):
            near += 1
            continue
        lsh.insert(str(index), minhash)
    return time.perf_counter() - started, exact, near


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--baseline-rows", type=int, default=None, help="rows for the baseline (default: all)")
    parser.add_argument("--num-proc", type=int, default=None)
    args = parser.parse_args()

    os.environ.setdefault("HUBTOOLS_HOME", tempfile.mkdtemp(prefix="hubtools-bench-"))
    import datasets  # noqa: F401  (import cost is not what is measured)
    import datasketch  # noqa: F401
    import ftfy  # noqa: F401

    from hubtools.data.build import build_dataset

    print(f"cores available: {len(os.sched_getaffinity(0)) if hasattr(os, 'sched_getaffinity') else os.cpu_count()}")
    started = time.perf_counter()
    chats = generate(args.rows)
    work = Path(tempfile.mkdtemp(prefix="hubtools-bench-data-"))
    source = work / "chats.jsonl"
    with open(source, "w", encoding="utf-8") as handle:
        for chat in chats:
            handle.write(json.dumps(chat, ensure_ascii=False) + "\n")
    words = sum(len(m["content"].split()) for chat in chats[:2000] for m in chat["messages"]) / min(2000, len(chats))
    print(f"generated {len(chats):,} chats (~{words:.0f} words each) in {time.perf_counter() - started:.1f}s")

    recipe = work / "bench.toml"
    recipe.write_text(
        '[[sources]]\nname = "synthetic"\nkind = "messages"\npath = "chats.jsonl"\n\n'
        "[filters.length]\nmax_tokens = 8192\n\n[splits]\ntrain = 0.98\ntest = 0.02\n"
    )

    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"load average before timing: {load:.1f} (other jobs on these cores slow every figure below)")
    baseline_chats = chats[: args.baseline_rows] if args.baseline_rows else chats
    cpu = _cpu_seconds()
    seconds, exact, near = baseline(baseline_chats)
    baseline_cpu = _cpu_seconds() - cpu
    baseline_rate = len(baseline_chats) / seconds
    print(
        f"baseline (per row, 1 process): {len(baseline_chats):,} rows in {seconds:.1f}s = "
        f"{baseline_rate:,.0f} rows/s ({len(baseline_chats) / baseline_cpu:,.0f} rows per CPU-second); "
        f"duplicates: {exact:,} exact, {near:,} near"
    )

    cpu = _cpu_seconds()
    result = build_dataset(recipe, work / "out", num_proc=args.num_proc, progress=False, cache_dir=False)
    build_cpu = _cpu_seconds() - cpu
    rate = len(chats) / result.seconds
    dedup = result.counts["dedup"]
    print(
        f"hubtools build (cold): {len(chats):,} rows in {result.seconds:.1f}s = {rate:,.0f} rows/s "
        f"({len(chats) / build_cpu:,.0f} rows per CPU-second); "
        f"duplicates: {dedup['exact']:,} exact, {dedup['near']:,} near; "
        f"filtered {sum(result.counts['filters'].values()):,}; PII {sum(result.counts['pii'].values()):,}; "
        f"kept {result.counts['selected']:,}"
    )
    print("  stages: " + ", ".join(f"{stage} {seconds:.1f}s" for stage, seconds in result.timings.items()))
    warm = build_dataset(recipe, work / "out-warm", num_proc=args.num_proc, progress=False, cache_dir=work / "cache")
    warm = build_dataset(recipe, work / "out-warm", num_proc=args.num_proc, progress=False, cache_dir=work / "cache")
    print(f"hubtools re-build (dedup cached): {warm.seconds:.1f}s = {len(chats) / warm.seconds:,.0f} rows/s")
    print("  stages: " + ", ".join(f"{stage} {seconds:.1f}s" for stage, seconds in warm.timings.items()))
    print(
        f"speed-up over the baseline: {rate / baseline_rate:.1f}x wall-clock, "
        f"{(len(chats) / build_cpu) / (len(baseline_chats) / baseline_cpu):.1f}x per CPU-second"
    )
    print(f"{rate:.0f} rows/s")


def _cpu_seconds() -> float:
    """CPU time of this process and its finished children (the build's workers)."""
    times = os.times()
    return times.user + times.system + times.children_user + times.children_system


if __name__ == "__main__":
    main()
