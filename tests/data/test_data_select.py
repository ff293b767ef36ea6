"""Selection: a documented score, the best N, deterministic for a seed."""

from __future__ import annotations

import numpy as np

from hubtools.data.filters import row_stats
from hubtools.data.recipe import Selection
from hubtools.data.select import features, quality_scores, select_best, split_test


def test_features_reward_turns_length_diversity_and_penalize_loops():
    rich = row_stats(
        [{"role": "user", "content": "q"}, {"role": "assistant", "content": " ".join(map(str, range(60)))}] * 3
    )
    terse = row_stats([{"role": "user", "content": "q"}, {"role": "assistant", "content": "ok"}])
    loop = row_stats([{"role": "user", "content": "q"}, {"role": "assistant", "content": "go on " * 60}])
    scores = quality_scores(np.array([features(rich), features(terse), features(loop)]), np.ones(3), Selection())
    assert scores[0] > scores[1] and scores[0] > scores[2]
    assert ((0 <= scores) & (scores <= 1)).all()
    weighted = quality_scores(np.array([features(rich)]), np.array([0.5]), Selection())
    assert weighted[0] == round(scores[0] * 0.5, 6)


def test_selection_is_deterministic_for_a_seed_and_keeps_input_order():
    rng = np.random.default_rng(0)
    scores = np.round(rng.random(1000), 1)  # many ties
    keys = rng.integers(0, 2**63, 1000).astype(np.uint64)
    first = select_best(scores, keys, 100, seed=1)
    assert len(first) == 100 and (np.diff(first) > 0).all()
    assert (first == select_best(scores, keys, 100, seed=1)).all()
    assert not (first == select_best(scores, keys, 100, seed=2)).all()  # another seed breaks ties otherwise
    assert scores[first].min() >= np.sort(scores)[-100]
    assert (select_best(scores, keys, None, seed=1) == np.arange(1000)).all()


def test_test_split_is_stable_per_row():
    keys = np.arange(10_000, dtype=np.uint64) * np.uint64(0x9E3779B97F4A7C15)
    test = split_test(keys, 0.1, seed=3)
    assert 800 < test.sum() < 1200
    assert (split_test(keys[:5000], 0.1, seed=3) == test[:5000]).all()
    assert not split_test(keys, 0.0, seed=3).any()
