"""Deduplication across sources: exact (normalized text hash) and near (MinHash + LSH), batched in numpy.

Text is compared lowercased and split on whitespace. Exact duplicates share a 64-bit BLAKE2 hash of that
normalized text. Near duplicates are found the classic way (Broder's MinHash over word shingles, banded
LSH with the band/row split that minimises false positives + negatives at the threshold, as datasketch
picks it) but computed a batch at a time instead of row by row:

- words are hashed straight from the UTF-8 bytes of a whole batch (a polynomial hash per word with
  `np.add.reduceat`), k-word shingles are combined from those hashes, and the `num_perm` permutations are
  strongly universal multiply-shift hashes `(a·x + b) >> 32` applied to a whole batch per permutation, the
  minimum per row taken with `np.minimum.reduceat`;
- LSH buckets are sorted band keys; every pair that shares a bucket is then verified against the estimated
  Jaccard similarity (share of equal signature slots), and a row is a near duplicate only of an earlier row
  that was itself kept (what inserting rows one by one into `MinHashLSH` gives).

The first row of a duplicate group wins, so sources listed first in a recipe win. Results are cached by
content (the rows' hashes and the settings), so a re-build with the same rows skips the work.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from hubtools.data.recipe import Dedup

KEEP, EXACT, NEAR = 0, 1, 2
_U64 = np.uint64
_MASK32 = _U64(0xFFFFFFFF)
_MAX_GROUP = 32  # earlier bucket members compared with a row, per band


def normalized(text: str) -> str:
    """Lowercased, every run of whitespace as one space (`str.replace` passes: far cheaper than split/join)."""
    text = text.lower()
    if not text.isascii() or "\r" in text or "\f" in text or "\v" in text:
        return " ".join(text.split())
    text = text.replace("\n", " ").replace("\t", " ")
    while "  " in text:
        text = text.replace("  ", " ")
    return text.strip()


def exact_key(text: str) -> int:
    """The exact-duplicate key of a text: 64 bits of BLAKE2b over its normalized form."""
    digest = hashlib.blake2b(normalized(text).encode("utf-8", "replace"), digest_size=8).digest()
    return int.from_bytes(digest, "little")


def _mix(h: np.ndarray) -> np.ndarray:
    """splitmix64's finalizer, in place: spreads every input bit over the whole word."""
    h ^= h >> _U64(30)
    h *= _U64(0xBF58476D1CE4E5B9)
    h ^= h >> _U64(27)
    h *= _U64(0x94D049BB133111EB)
    h ^= h >> _U64(31)
    return h


def _constants(count: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).integers(1, 2**63, size=count, dtype=np.uint64) | _U64(1)


_BASE = _U64(0x9E3779B97F4A7C15)
_POWERS: list[np.ndarray] = []  # [BASE**q, BASE**-q] for q < len, grown on demand
_BATCH = 512  # rows hashed together: big enough for numpy, small enough to stay in cache


def _powers(size: int) -> tuple[np.ndarray, np.ndarray]:
    if not _POWERS or _POWERS[0].size < size:
        size = max(size, 1 << 20, 2 * (_POWERS[0].size if _POWERS else 0))
        inverse = _BASE
        for _ in range(6):  # Newton's iteration for the inverse of an odd number mod 2**64
            inverse = int(inverse) * (2 - int(_BASE) * int(inverse)) % 2**64
        forward = np.full(size, _BASE, dtype=np.uint64)
        backward = np.full(size, _U64(inverse), dtype=np.uint64)
        forward[0] = backward[0] = 1
        _POWERS[:] = [np.cumprod(forward), np.cumprod(backward)]
    return _POWERS[0], _POWERS[1]


def word_hashes(texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """A uint64 hash per lowercased whitespace-separated word, and each text's word offsets (length n + 1).

    Words are hashed from the UTF-8 bytes of all texts at once: a prefix sum of `byte·B^q` gives every
    word's polynomial hash as a difference, rebased by `B^-start`, so no Python touches a word.
    """
    joined = "\x00".join(texts)
    if joined.count("\x00") != max(len(texts) - 1, 0):
        joined = "\x00".join(text.replace("\x00", " ") for text in texts)
    buffer = np.frombuffer(joined.lower().encode("utf-8", "replace"), dtype=np.uint8)
    in_word = np.zeros(buffer.size + 2, dtype=np.bool_)
    np.greater(buffer, 32, out=in_word[1:-1])  # ASCII whitespace, controls and the \x00 separators are gaps
    edges = np.flatnonzero(in_word[1:] != in_word[:-1])
    starts, ends = edges[0::2], edges[1::2]
    forward, backward = _powers(buffer.size + 1)
    weighted = buffer.astype(np.uint64)
    weighted += _U64(1)
    weighted *= forward[: buffer.size]
    prefix = np.concatenate((np.zeros(1, np.uint64), np.cumsum(weighted)))
    hashes = prefix[ends] - prefix[starts]
    hashes *= backward[starts]
    hashes ^= (ends - starts).astype(np.uint64) * _U64(0xD6E8FEB86659FD93)
    _mix(hashes)
    separators = np.flatnonzero(buffer == 0)
    offsets = np.concatenate(([0], np.searchsorted(starts, separators), [starts.size])).astype(np.int64)
    return hashes, offsets


def minhash_signatures(texts: Sequence[str], num_perm: int = 128, shingle_words: int = 5, seed: int = 1) -> np.ndarray:
    """`(len(texts), num_perm)` uint32 MinHash signatures over `shingle_words`-word shingles.

    Permutation i maps a 32-bit shingle hash x to `(a_i·x + b_i) mod 2**32` (a_i odd), a whole batch at a
    time. A text shorter than one shingle has one shingle of all its words; an empty text gets all-ones
    (`0xFFFFFFFF`), which `near_duplicates` never pairs.
    """
    a = (_constants(num_perm, seed) >> _U64(32)).astype(np.uint32) | np.uint32(1)
    b = (_constants(num_perm, seed + 1) >> _U64(32)).astype(np.uint32)
    out = np.full((len(texts), num_perm), 0xFFFFFFFF, dtype=np.uint32)
    for start in range(0, len(texts), _BATCH):
        batch = texts[start : start + _BATCH]
        words, offsets = word_hashes(batch)
        shingles, shingle_offsets = _shingles(words, offsets, shingle_words)
        has = np.flatnonzero(np.diff(shingle_offsets) > 0)
        if has.size == 0:
            continue
        values = (shingles >> _U64(32)).astype(np.uint32)
        starts = shingle_offsets[has]
        scratch = np.empty_like(values)
        mins = np.empty((num_perm, has.size), dtype=np.uint32)
        for index in range(num_perm):
            np.multiply(values, a[index], out=scratch)
            scratch += b[index]
            mins[index] = np.minimum.reduceat(scratch, starts)
        out[start + has] = mins.T
    return out


def _shingles(words: np.ndarray, offsets: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    counts = np.diff(offsets)
    per_doc = np.where(counts >= k, counts - k + 1, np.minimum(counts, 1))
    shingle_offsets = np.concatenate(([0], np.cumsum(per_doc)))
    out = np.empty(int(shingle_offsets[-1]), dtype=np.uint64)
    multipliers = _constants(k, 7)
    if words.size >= k:
        windows = words[: words.size - k + 1] * multipliers[0]
        for j in range(1, k):
            windows += words[j : words.size - k + 1 + j] * multipliers[j]
        _mix(windows)
        doc = np.repeat(np.arange(len(counts)), counts)
        valid = np.flatnonzero(doc[: words.size - k + 1] == doc[k - 1 :])
        docs = doc[valid]
        out[shingle_offsets[docs] + (valid - offsets[docs])] = windows[valid]
    for d in np.flatnonzero((counts > 0) & (counts < k)):  # short texts: one shingle of all their words
        part = words[offsets[d] : offsets[d + 1]] * multipliers[: counts[d]]
        out[shingle_offsets[d]] = _mix(np.array([np.bitwise_xor.reduce(part) + _U64(counts[d])]))[0]
    return out, shingle_offsets


@functools.lru_cache(maxsize=32)
def optimal_bands(threshold: float, num_perm: int) -> tuple[int, int]:
    """`(bands, rows)` minimising false positives + false negatives at `threshold` (datasketch's choice)."""
    grid_low = np.linspace(0.0, threshold, 201)
    grid_high = np.linspace(threshold, 1.0, 201)
    best, best_error = (1, num_perm), float("inf")
    for bands in range(1, num_perm + 1):
        for rows in range(1, num_perm // bands + 1):
            false_positive = np.trapezoid(1 - (1 - grid_low**rows) ** bands, grid_low)
            false_negative = np.trapezoid((1 - grid_high**rows) ** bands, grid_high)
            error = 0.5 * false_positive + 0.5 * false_negative
            if error < best_error:
                best, best_error = (bands, rows), error
    return best


def near_duplicates(signatures: np.ndarray, threshold: float, eligible: np.ndarray | None = None) -> tuple:
    """For each row, the earlier kept row it nearly duplicates (-1 for none) and the estimated similarity."""
    n, num_perm = signatures.shape
    dup_of = np.full(n, -1, dtype=np.int64)
    similarity = np.zeros(n, dtype=np.float32)
    eligible = np.ones(n, bool) if eligible is None else eligible.copy()
    eligible &= ~(signatures == 0xFFFFFFFF).all(axis=1)
    rows_idx = np.flatnonzero(eligible)
    if rows_idx.size < 2:
        return dup_of, similarity
    bands, rows = optimal_bands(threshold, num_perm)
    sig = signatures[rows_idx].astype(np.uint64)
    pairs = []
    for band in range(bands):
        key = np.zeros(rows_idx.size, dtype=np.uint64)
        for column in range(band * rows, (band + 1) * rows):
            key = _mix(key ^ (sig[:, column] + _U64(band)))
        order = np.argsort(key, kind="stable")
        sorted_key = key[order]
        starts = np.concatenate(([True], sorted_key[1:] != sorted_key[:-1]))
        first = np.flatnonzero(starts)[np.cumsum(starts) - 1]  # each position's group start
        members = np.flatnonzero(~starts)
        pairs.append(np.stack((order[first[members]], order[members]), axis=1))  # everyone vs the first
        for gap in range(1, _MAX_GROUP + 1):
            same = np.flatnonzero(sorted_key[gap:] == sorted_key[:-gap])
            if same.size == 0:
                break
            pairs.append(np.stack((order[same], order[same + gap]), axis=1))
    if not pairs:
        return dup_of, similarity
    candidates = np.unique(np.sort(np.concatenate(pairs), axis=1), axis=0)  # (earlier, later), earlier < later
    earlier, later = rows_idx[candidates[:, 0]], rows_idx[candidates[:, 1]]
    estimate = (signatures[earlier] == signatures[later]).mean(axis=1)
    close = estimate >= threshold
    kept = np.ones(n, bool)
    # Later rows in order, each against its most similar earlier row first: every earlier row's fate is
    # settled before a later row looks at it.
    found = zip(later[close].tolist(), (-estimate[close]).tolist(), earlier[close].tolist(), strict=True)
    for i, negative, j in sorted(found):
        if kept[i] and kept[j]:
            kept[i] = False
            dup_of[i], similarity[i] = j, -negative
    return dup_of, similarity


@dataclass(frozen=True)
class DedupResult:
    """Per row: KEEP, EXACT or NEAR, the row it duplicates (-1 if kept) and the estimated similarity."""

    kind: np.ndarray
    dup_of: np.ndarray
    similarity: np.ndarray
    cached: bool = False

    @property
    def keep(self) -> np.ndarray:
        return self.kind == KEEP

    @property
    def counts(self) -> dict[str, int]:
        return {"exact": int((self.kind == EXACT).sum()), "near": int((self.kind == NEAR).sum())}


def deduplicate(
    keys: np.ndarray,
    config: Dedup,
    signatures: Callable[[np.ndarray], np.ndarray],
    *,
    cache_dir: Path | None = None,
) -> DedupResult:
    """Dedup rows given their exact keys; `signatures(indices)` computes MinHash rows on demand (cache miss)."""
    keys = np.asarray(keys, dtype=np.uint64)
    n = keys.size
    cache_file = None
    if cache_dir is not None:
        settings = json.dumps(config.model_dump(mode="json"), sort_keys=True).encode()
        digest = hashlib.sha256(b"hubtools-dedup-v1" + settings + keys.tobytes()).hexdigest()[:32]
        cache_file = Path(cache_dir) / f"{digest}.npz"
        cached = _load_cached(cache_file, n)
        if cached is not None:
            return cached
    kind = np.zeros(n, dtype=np.int8)
    dup_of = np.full(n, -1, dtype=np.int64)
    similarity = np.zeros(n, dtype=np.float32)
    if config.exact and n:
        _, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
        first_of_row = first[inverse]
        exact = first_of_row != np.arange(n)
        kind[exact], dup_of[exact], similarity[exact] = EXACT, first_of_row[exact], 1.0
    if config.near and n:
        candidates = np.flatnonzero(kind == KEEP)
        near_of, near_similarity = near_duplicates(signatures(candidates), config.threshold)
        found = np.flatnonzero(near_of >= 0)
        rows = candidates[found]
        kind[rows], dup_of[rows], similarity[rows] = NEAR, candidates[near_of[found]], near_similarity[found]
    result = DedupResult(kind, dup_of, similarity)
    if cache_file is not None:
        _store_cached(cache_file, result)
    return result


def _load_cached(cache_file: Path, n: int) -> DedupResult | None:
    """A cached result, or None when there is none or it cannot be read (then it is simply recomputed)."""
    if not cache_file.is_file():
        return None
    try:
        with np.load(cache_file) as cached:
            result = DedupResult(cached["kind"], cached["dup_of"], cached["similarity"], cached=True)
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile):
        return None
    return result if result.kind.shape == result.dup_of.shape == result.similarity.shape == (n,) else None


def _store_cached(cache_file: Path, result: DedupResult) -> None:
    """Write the cache by rename (a unique temporary per process); a full disk only costs the cache."""
    temporary = cache_file.with_name(f".{cache_file.stem}.{os.getpid()}.tmp.npz")
    try:
        cache_file.parent.mkdir(parents=True, exist_ok=True)
        np.savez(temporary, kind=result.kind, dup_of=result.dup_of, similarity=result.similarity)
        temporary.replace(cache_file)
    except OSError:
        with contextlib.suppress(OSError):
            temporary.unlink()
