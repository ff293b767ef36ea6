"""Selection of the best N conversations by a documented quality score (kept as the `score` column).

    score = source_weight · (w_turns · turns + w_length · length + w_diversity · diversity
                             + w_repetition · (1 − repetition)) / (w_turns + w_length + w_diversity + w_repetition)

with every feature in [0, 1]:

- turns: user+assistant turns, saturating at 8 (`min(turns, 8) / 8`) — multi-turn chats teach more;
- length: mean words per assistant reply on a log scale, saturating at 80 words
  (`min(log(1 + words) / log(81), 1)`) — one-word replies teach little, essays are no better;
- diversity: distinct / total words over the first 200 assistant words;
- repetition: share of assistant word 3-grams that repeat an earlier one (looping replies score low).

Weights come from the recipe's `[selection]` table, `source_weight` from each source's `weight`. Ties are
broken by a hash of the row's content and the recipe seed, so the same rows and seed give the same
selection on any machine, and another seed picks differently among equals.
"""

from __future__ import annotations

import numpy as np

from hubtools.data.filters import Stats
from hubtools.data.recipe import Selection

FEATURES = ("turns", "length", "diversity", "repetition")
SCORE_FORMULA = (
    "source_weight × (w_turns·min(turns,8)/8 + w_length·min(log(1+reply_words)/log(81),1) + "
    "w_diversity·distinct_words/words + w_repetition·(1 − repeated_3grams)) / Σw"
)


def features(stats: Stats) -> tuple[float, float, float, float]:
    """The four score features of one row, each in [0, 1]."""
    length = min(np.log1p(stats.reply_words) / np.log(81.0), 1.0)
    return (min(stats.turns, 8) / 8.0, float(length), stats.diversity, stats.repeated_ngrams)


def quality_scores(table: np.ndarray, weights: np.ndarray, config: Selection) -> np.ndarray:
    """Scores for a `(rows, 4)` feature table and per-row source weights."""
    w = np.array([config.turns, config.length, config.diversity, config.repetition], dtype=np.float64)
    total = w.sum() or 1.0
    table = np.asarray(table, dtype=np.float64).reshape(-1, 4)
    combined = table[:, 0] * w[0] + table[:, 1] * w[1] + table[:, 2] * w[2] + (1.0 - table[:, 3]) * w[3]
    return np.round(np.asarray(weights, dtype=np.float64) * combined / total, 6)


def tie_breaks(keys: np.ndarray, seed: int) -> np.ndarray:
    """A uniform-looking uint64 per row from its content key and the seed: the order among equal scores."""
    h = np.asarray(keys, dtype=np.uint64) ^ np.uint64((seed * 0x9E3779B97F4A7C15) % 2**64)
    h ^= h >> np.uint64(33)
    h *= np.uint64(0xFF51AFD7ED558CCD)
    h ^= h >> np.uint64(33)
    h *= np.uint64(0xC4CEB9FE1A85EC53)
    h ^= h >> np.uint64(33)
    return h


def select_best(scores: np.ndarray, keys: np.ndarray, size: int | None, seed: int) -> np.ndarray:
    """Indices of the `size` best rows (all when None), returned in their original order."""
    scores = np.asarray(scores, dtype=np.float64)
    if size is None or size >= scores.size:
        return np.arange(scores.size)
    order = np.lexsort((tie_breaks(keys, seed), -scores))
    return np.sort(order[:size])


def split_test(keys: np.ndarray, fraction: float, seed: int) -> np.ndarray:
    """True for the rows in the test split: a stable hash cut, so a row keeps its split across re-builds."""
    if fraction <= 0:
        return np.zeros(len(keys), dtype=bool)
    unit = tie_breaks(keys, seed + 1).astype(np.float64) / 2.0**64
    return unit < fraction
