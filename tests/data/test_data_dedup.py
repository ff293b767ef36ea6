"""Dedup: exact and near duplicates across sources, the MinHash estimate, the content cache."""

from __future__ import annotations

import random

import numpy as np
import pytest

from hubtools.data.dedup import (
    EXACT,
    KEEP,
    NEAR,
    deduplicate,
    exact_key,
    minhash_signatures,
    near_duplicates,
    optimal_bands,
    word_hashes,
)
from hubtools.data.recipe import Dedup

rng = random.Random(5)
VOCAB = ["".join(rng.choice("abcdefghijklmnop") for _ in range(rng.randint(2, 8))) for _ in range(2000)]


def doc(n: int = 200) -> list[str]:
    return rng.choices(VOCAB, k=n)


def edit(words: list[str], changes: int) -> list[str]:
    out = list(words)
    for position in rng.sample(range(len(out)), changes):
        out[position] = rng.choice(VOCAB)
    return out


def shingles(words: list[str], k: int = 5) -> set:
    return {tuple(words[i : i + k]) for i in range(len(words) - k + 1)}


def test_exact_key_normalizes_case_and_whitespace():
    assert exact_key("Hello   World\nagain") == exact_key("hello world again")
    assert exact_key("hello world") != exact_key("hello word")


def test_word_hashes_are_per_word_and_position_free():
    hashes, offsets = word_hashes(["a bb a", "", "bb  ccc\n a"])
    assert offsets.tolist() == [0, 3, 3, 6]
    assert hashes[0] == hashes[2] == hashes[5] and hashes[1] == hashes[3] and hashes[4] not in hashes[:4]
    again, _ = word_hashes(["BB"])
    assert again[0] == hashes[1]


def test_minhash_estimates_jaccard_without_bias():
    errors = []
    for _ in range(150):
        a = doc()
        b = edit(a, rng.randint(0, 20))
        sa, sb = shingles(a), shingles(b)
        truth = len(sa & sb) / len(sa | sb)
        sig = minhash_signatures([" ".join(a), " ".join(b)])
        errors.append((sig[0] == sig[1]).mean() - truth)
    errors = np.array(errors)
    assert abs(errors.mean()) < 0.015
    assert errors.std() < 0.06  # the theoretical sd at 128 permutations is at most 0.044


def test_minhash_short_and_empty_texts():
    sig = minhash_signatures(["", "hi there", "hi there", "hello"])
    assert (sig[0] == 0xFFFFFFFF).all()
    assert (sig[1] == sig[2]).all() and not (sig[1] == sig[3]).all()


def test_optimal_bands_match_datasketch():
    from datasketch.lsh import _optimal_param

    for threshold, num_perm in [(0.8, 128), (0.7, 64), (0.9, 256)]:
        assert optimal_bands(threshold, num_perm) == _optimal_param(threshold, num_perm, 0.5, 0.5)


def test_near_duplicates_chain_keeps_the_first():
    base = doc()
    texts = [" ".join(base), " ".join(edit(base, 2)), " ".join(doc()), " ".join(edit(base, 3))]
    dup_of, similarity = near_duplicates(minhash_signatures(texts), 0.8)
    assert dup_of.tolist() == [-1, 0, -1, 0]
    assert (similarity[[1, 3]] > 0.8).all()


def test_deduplicate_exact_then_near_across_sources(tmp_path):
    base, other = doc(), doc()
    texts = [" ".join(base), " ".join(other), " ".join(base).upper(), " ".join(edit(base, 2)), " ".join(doc())]
    keys = np.array([exact_key(t) for t in texts], dtype=np.uint64)
    calls = []

    def signatures(indices):
        calls.append(indices.tolist())
        return minhash_signatures([texts[i] for i in indices])

    result = deduplicate(keys, Dedup(), signatures, cache_dir=tmp_path)
    assert result.kind.tolist() == [KEEP, KEEP, EXACT, NEAR, KEEP]
    assert result.dup_of.tolist() == [-1, -1, 0, 0, -1]
    assert result.counts == {"exact": 1, "near": 1}
    assert calls == [[0, 1, 3, 4]] and not result.cached

    again = deduplicate(keys, Dedup(), signatures, cache_dir=tmp_path)
    assert again.cached and calls == [[0, 1, 3, 4]]  # the cache answered: no signatures computed
    assert again.kind.tolist() == result.kind.tolist()
    stricter = deduplicate(keys, Dedup(threshold=0.99), signatures, cache_dir=tmp_path)
    assert not stricter.cached and stricter.counts == {"exact": 1, "near": 0}


def test_a_damaged_or_unwritable_cache_only_costs_the_work(tmp_path):
    keys = np.array([1, 2, 1], dtype=np.uint64)
    config = Dedup(near=False)
    first = deduplicate(keys, config, lambda i: None, cache_dir=tmp_path)
    (cache_file,) = tmp_path.glob("*.npz")
    for damage in (b"", b"PK\x03\x04 not a zip", cache_file.read_bytes()[:40]):
        cache_file.write_bytes(damage)
        again = deduplicate(keys, config, lambda i: None, cache_dir=tmp_path)
        assert not again.cached and again.kind.tolist() == first.kind.tolist()
    assert deduplicate(keys, config, lambda i: None, cache_dir=tmp_path).cached  # rewritten whole
    (tmp_path / "file").write_text("not a folder")
    assert deduplicate(keys, config, lambda i: None, cache_dir=tmp_path / "file").counts == {"exact": 1, "near": 0}
    assert sorted(p.name for p in tmp_path.iterdir()) == [cache_file.name, "file"]  # no temporary left


@pytest.mark.parametrize(("exact", "near", "expected"), [(False, True, [0, 0, 2, 2]), (True, False, [0, 0, 1, 0])])
def test_each_kind_can_be_turned_off(exact, near, expected):
    base = doc()
    texts = [" ".join(base), " ".join(doc()), " ".join(base), " ".join(edit(base, 1))]
    keys = np.array([exact_key(t) for t in texts], dtype=np.uint64)
    result = deduplicate(keys, Dedup(exact=exact, near=near), lambda i: minhash_signatures([texts[j] for j in i]))
    assert result.kind.tolist() == expected


def test_a_large_group_of_copies_keeps_one():
    base = doc()
    texts = [" ".join(base)] + [" ".join(edit(base, 1)) for _ in range(120)]
    dup_of, _ = near_duplicates(minhash_signatures(texts), 0.8)
    assert (dup_of == -1).sum() == 1 and dup_of[0] == -1
