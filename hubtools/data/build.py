"""`build_dataset`: run a data recipe end to end into a folder a trainer (or `push_dataset`) can use.

Stages, each with a progress bar on stderr: read sources (parse, seeded sampling) → clean, scrub, filter
(per row, on all cores for big builds) → dedup (exact + near, cached by content) → score and select the
best N → split → write. Every row that goes in either comes out in a split or lands in `rejects.jsonl`
with its stage and reason, and the card counts each.

The output folder holds a `DatasetDict` (`save_to_disk`: `dataset_dict.json`, `train/`, `test/`),
`README.md` (the dataset card), `rejects.jsonl` and `build.json` (the summary the card is rendered from).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import random
import shutil
import sys
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from hubtools import __version__
from hubtools.data import _process
from hubtools.data._parallel import default_num_proc, map_ranges
from hubtools.data.dedup import EXACT, NEAR, deduplicate
from hubtools.data.filters import FILTER_NAMES, RowFilter
from hubtools.data.inputs import read_source
from hubtools.data.recipe import DataRecipe, load_data_recipe
from hubtools.data.scrub import KINDS as PII_KINDS
from hubtools.data.scrub import Scrubber
from hubtools.data.select import SCORE_FORMULA, quality_scores, select_best, split_test
from hubtools.data.sources import Reject
from hubtools.errors import HubtoolsError
from hubtools.paths import atomic_write, check_parent_folders, is_within, write_error, write_text_atomic
from hubtools.recipes import recipe_hash

OUTPUTS = ("dataset_dict.json", "train", "test", "preferences", "README.md", "rejects.jsonl", "build.json")
CHUNK_ROWS = 2000


@dataclass(frozen=True)
class BuildResult:
    """A finished build: where it is, what it holds, and the summary its card was rendered from."""

    path: Path
    recipe: str
    recipe_hash: str
    content_hash: str
    splits: dict[str, int]
    counts: dict
    summary: dict = field(repr=False)
    dedup_cached: bool = False
    seconds: float = 0.0
    timings: dict[str, float] = field(default_factory=dict)  # seconds per stage

    @property
    def card_path(self) -> Path:
        return self.path / "README.md"

    @property
    def rejects_path(self) -> Path:
        return self.path / "rejects.jsonl"


def default_cache_dir() -> Path:
    from hubtools.paths import hubtools_home

    return hubtools_home() / "cache" / "dedup"


def _bar(progress: bool, **kwargs):
    from tqdm import tqdm

    return tqdm(file=sys.stderr, disable=not progress, dynamic_ncols=True, **kwargs)


def build_dataset(
    recipe: str | Path | DataRecipe,
    out_dir: str | Path,
    *,
    num_proc: int | None = None,
    progress: bool = True,
    cache_dir: Path | None | bool = True,
) -> BuildResult:
    """Build `recipe` into `out_dir` (replacing an earlier build there) and return what was built.

    `num_proc` defaults to one process per core for big builds; `cache_dir=False` turns the dedup cache
    off, `True` uses `$HUBTOOLS_HOME/cache/dedup`.
    """
    timings: dict[str, float] = {}
    started = time.perf_counter()
    recipe = load_data_recipe(recipe)
    out_dir = Path(out_dir)
    _check_out_dir(out_dir)
    cache = default_cache_dir() if cache_dir is True else (cache_dir or None)

    with _timed(timings, "read"):
        rows, rejects, names, sources, pairs = _read_sources(recipe, out_dir, progress)
    num_proc = num_proc or default_num_proc(len(rows))
    with _timed(timings, "clean, scrub, filter"):
        processed = _process_rows(recipe, rows, names, num_proc, progress)
        del rows
        kept = processed.rows
        rejects.extend(processed.rejects)
    with _timed(timings, "dedup"):
        dedup = _deduplicate(recipe, kept, processed.keys, rejects, cache, num_proc, progress)
    with _timed(timings, "select"):
        split_rows, split_digests, candidates = _select(recipe, kept, processed, dedup, rejects)
    preferences = None
    if pairs is not None:  # a recipe with a `space-feedback` source: a `preferences` config too
        from hubtools.data.preferences import process_preferences

        scrubber = Scrubber(names | set(recipe.scrub.names)) if recipe.scrub.enabled else None
        preferences = process_preferences(recipe, pairs, scrubber, RowFilter(recipe.filters), rejects)

    selected_per_source = Counter(row["source"] for rows in split_rows.values() for row in rows)
    for report in sources:
        report["selected"] = selected_per_source.get(report["name"], 0)
    counts = {
        "parsed": sum(s["parsed"] for s in sources),
        "parse_rejected": sum(s["parse_rejected"] for s in sources),
        "sampled": sum(s["sampled"] for s in sources),
        "clean_dropped": processed.dropped.get("clean", 0),
        "filters": {name: processed.dropped.get(name, 0) for name in FILTER_NAMES},
        "dedup": dedup.counts,
        "pii": {kind: processed.pii.get(kind, 0) for kind in PII_KINDS},
        "candidates": candidates,
        "selected": sum(len(rows) for rows in split_rows.values()),
    }
    with _timed(timings, "write"):
        digest = content_hash(split_rows, split_digests)
        summary = _write(recipe, out_dir, split_rows, digest, rejects, sources, counts, progress, preferences)
    return BuildResult(
        path=out_dir,
        recipe=recipe.name,
        recipe_hash=summary["recipe"]["hash"],
        content_hash=summary["content_hash"],
        splits={name: len(split) for name, split in split_rows.items()},
        counts=counts,
        summary=summary,
        dedup_cached=dedup.cached,
        seconds=time.perf_counter() - started,
        timings=timings,
    )


@contextlib.contextmanager
def _timed(timings: dict[str, float], stage: str) -> Iterator[None]:
    started = time.perf_counter()
    yield
    timings[stage] = round(time.perf_counter() - started, 3)


def _process_rows(recipe: DataRecipe, rows: list[dict], names: set[str], num_proc: int, progress: bool):
    """Clean, scrub and filter every row (on `num_proc` processes), merged back in order."""
    processor = _process.Processor(
        RowFilter(recipe.filters),
        Scrubber(names | set(recipe.scrub.names)) if recipe.scrub.enabled else None,
        frozenset(s.name for s in recipe.sources if s.kind == "cai-dump" or recipe.scrub.free_text_names),
    )
    with _bar(progress, total=len(rows), desc="clean, scrub, filter", unit="row") as bar:
        chunks = map_ranges(
            _process.process_range,
            (rows, processor),
            len(rows),
            num_proc=num_proc,
            chunk_size=CHUNK_ROWS,
            progress=bar,
        )
    return _process.merge(chunks)


def _deduplicate(recipe, kept, keys, rejects, cache, num_proc, progress):
    def signatures(indices: np.ndarray) -> np.ndarray:
        subset = [kept[i] for i in indices]
        shared = (subset, recipe.dedup.num_perm, recipe.dedup.shingle_words)
        with _bar(progress, total=len(subset), desc="near-dup signatures", unit="row") as bar:
            parts = map_ranges(
                _process.signatures_range, shared, len(subset), num_proc=num_proc, chunk_size=CHUNK_ROWS, progress=bar
            )
        return np.concatenate(parts) if parts else np.zeros((0, recipe.dedup.num_perm), np.uint32)

    dedup = deduplicate(keys, recipe.dedup, signatures, cache_dir=cache)
    for index in np.flatnonzero(~dedup.keep):
        kind = "exact" if dedup.kind[index] == EXACT else "near"
        reason = f"{kind} duplicate of {kept[dedup.dup_of[index]]['source_id']}"
        if dedup.kind[index] == NEAR:
            reason += f" (similarity ~{dedup.similarity[index]:.2f})"
        rejects.append(_reject(kept[index], "dedup", kind, reason))
    return dedup


def _select(recipe, kept, processed, dedup, rejects) -> tuple[dict[str, list[dict]], dict[str, list[bytes]], int]:
    """Score the unique rows, keep the best N (the rest become `select` rejects), split train/test."""
    unique = np.flatnonzero(dedup.keep)
    weights = {source.name: source.weight for source in recipe.sources}
    source_weight = np.array([weights[kept[i]["source"]] for i in unique], dtype=np.float64)
    scores = quality_scores(processed.features[unique], source_weight, recipe.selection)
    keys = processed.keys[unique]
    chosen = select_best(scores, keys, recipe.selection.size, recipe.seed)
    if chosen.size < unique.size:
        cut = float(scores[chosen].min()) if chosen.size else 0.0
        for position in np.setdiff1d(np.arange(unique.size), chosen):
            reason = f"score {scores[position]:.4f} not among the best {chosen.size} (cut {cut:.4f})"
            rejects.append(_reject(kept[unique[position]], "select", None, reason))
    selected = [{**kept[unique[position]], "score": float(scores[position])} for position in chosen]
    in_test = split_test(keys[chosen], recipe.splits.test, recipe.seed)
    if recipe.splits.test > 0 and not in_test.any() and len(selected) > 1:
        in_test[int(np.argmin(keys[chosen]))] = True  # a tiny build still gets one test row
    digests = [processed.digests[unique[position]] for position in chosen]
    splits: dict[str, list[dict]] = {"train": [], "test": []}
    split_digests: dict[str, list[bytes]] = {"train": [], "test": []}
    for row, digest, test in zip(selected, digests, in_test.tolist(), strict=True):
        splits["test" if test else "train"].append(row)
        split_digests["test" if test else "train"].append(digest)
    return splits, split_digests, int(unique.size)


def _read_sources(
    recipe: DataRecipe, out_dir: Path, progress: bool
) -> tuple[list[dict], list[Reject], set[str], list[dict], list[dict] | None]:
    """Rows, rejects, personal names and a report per source; preference pairs when a source is feedback."""
    pairs: list[dict] | None = None
    rows: list[dict] = []
    rejects: list[Reject] = []
    names: set[str] = set()
    reports = []
    with _bar(progress, total=len(recipe.sources), desc="read sources", unit="source") as bar:
        for source in recipe.sources:
            bar.set_postfix_str(source.name)
            inputs, parsed = read_source(recipe, source)
            inside = next((path for path, _ in inputs.files if is_within(path, out_dir)), None)
            if inside is not None:  # the build clears its folder first: that would delete an input
                raise HubtoolsError(
                    f"source {source.name!r} reads {inside}, inside the output folder {out_dir}: choose another --out"
                )
            sampled = parsed.rows
            if source.sample is not None and source.sample < len(parsed.rows):
                picker = random.Random(f"{recipe.seed}:{source.name}")
                sampled = [parsed.rows[i] for i in sorted(picker.sample(range(len(parsed.rows)), source.sample))]
            rows.extend(sampled)
            rejects.extend(parsed.rejects)
            names |= parsed.names
            reports.append(
                {
                    "name": source.name,
                    "kind": source.kind,
                    "origin": inputs.origin,
                    "revision": inputs.revision,
                    "commit": inputs.commit,
                    "files": len(inputs.files),
                    "parsed": len(parsed.rows),
                    "parse_rejected": len(parsed.rejects),
                    "sampled": len(sampled),
                    "weight": source.weight,
                }
            )
            if source.kind == "space-feedback":
                pairs = (pairs or []) + parsed.preferences
                reports[-1]["feedback"] = parsed.feedback_summary()
            bar.update(1)
    return rows, rejects, names, reports, pairs


def _reject(row: dict, stage: str, name: str | None, reason: str) -> Reject:
    return Reject(row["source_id"], reason, stage=stage, name=name, source=row["source"], row=row)


def content_hash(split_rows: dict[str, list[dict]], digests: dict[str, list[bytes]]) -> str:
    """SHA-256 over every split's rows in order (their `row_digest` and score): same data, same hash."""
    digest = hashlib.sha256()
    for name in sorted(split_rows):
        digest.update(f"\x00split:{name}\n".encode())
        for row, row_digest in zip(split_rows[name], digests[name], strict=True):
            digest.update(row_digest + repr(row["score"]).encode() + b"\n")
    return digest.hexdigest()


def _check_out_dir(out_dir: Path) -> None:
    """The output folder must be new, empty, or an earlier build: a build never deletes anything else."""
    if out_dir.exists() and not out_dir.is_dir():
        raise HubtoolsError(f"output folder {out_dir} is a file")
    check_parent_folders(out_dir, "output folder")
    if out_dir.is_dir() and any(out_dir.iterdir()) and not (out_dir / "build.json").is_file():
        raise HubtoolsError(f"output folder {out_dir} is not empty and holds no earlier build: choose another")


def _clear_previous_build(out_dir: Path) -> None:
    """Make room in `out_dir` for the new build, removing only what an earlier build wrote."""
    _check_out_dir(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    for name in OUTPUTS:
        target = out_dir / name
        if target.is_dir():
            shutil.rmtree(target)
        elif target.exists():
            target.unlink()


def _arrow_dataset(rows: list[dict], features):
    """A `Dataset` built by pyarrow straight from the rows (datasets' `from_dict` encodes row by row)."""
    import pyarrow as pa
    from datasets import Dataset, DatasetInfo
    from datasets.table import InMemoryTable

    table = pa.table(
        {
            "messages": pa.array([row["messages"] for row in rows], type=features.arrow_schema.field("messages").type),
            "source": pa.array([row["source"] for row in rows], type=pa.string()),
            "source_id": pa.array([row["source_id"] for row in rows], type=pa.string()),
            "score": pa.array([row["score"] for row in rows], type=pa.float64()),
        }
    )
    return Dataset(InMemoryTable(table), info=DatasetInfo(features=features))


def _write(recipe, out_dir, split_rows, content_digest, rejects, sources, counts, progress, preferences) -> dict:
    from datasets import DatasetDict

    from hubtools.data.card import dataset_features, render_dataset_card

    with _bar(progress, total=4, desc="write", unit="step") as bar:
        _clear_previous_build(out_dir)
        features = dataset_features()
        dataset = DatasetDict({name: _arrow_dataset(rows, features) for name, rows in split_rows.items()})
        try:
            with datasets_progress(progress):
                dataset.save_to_disk(str(out_dir), num_shards=empty_shards(split_rows))
                if preferences is not None:
                    from hubtools.data.preferences import write_preferences

                    content_digest = write_preferences(out_dir, preferences, content_digest)
        except OSError as error:  # a full disk, a quota, a read-only folder
            raise write_error(out_dir, error) from None
        bar.update(1)
        with atomic_write(out_dir / "rejects.jsonl") as handle:
            for reject in rejects:
                handle.write(json.dumps(reject.to_json(), ensure_ascii=False) + "\n")
        bar.update(1)
        summary = {
            "recipe": {
                **recipe.model_dump(mode="json", include={"name", "description", "pretty_name", "license"}),
                "hash": recipe_hash(recipe),
                "language": recipe.language,
                "repo_id": recipe.repo_id,
                "seed": recipe.seed,
                "selection_size": recipe.selection.size,
                "splits": recipe.splits.model_dump(mode="json"),
                "filters": recipe.filters.model_dump(mode="json"),
                "dedup": recipe.dedup.model_dump(mode="json"),
                "scrub": recipe.scrub.enabled,
            },
            "hubtools_version": __version__,
            "content_hash": content_digest,
            "sources": sources,
            "counts": counts,
            "splits": {
                name: {"num_examples": len(split_rows[name]), "num_bytes": int(dataset[name].data.nbytes)}
                for name in split_rows
            },
            "score": SCORE_FORMULA,
        }
        if preferences is not None:
            summary["preferences"] = {
                "counts": preferences.counts,
                "splits": {name: {"num_examples": len(rows)} for name, rows in preferences.splits.items()},
            }
        bar.update(1)
        write_text_atomic(out_dir / "build.json", json.dumps(summary, indent=2, ensure_ascii=False) + "\n")
        write_text_atomic(out_dir / "README.md", render_dataset_card(summary))
        bar.update(1)
    return summary


def empty_shards(splits: dict[str, list]) -> dict[str, int]:
    """One shard for each empty split: by default `datasets` saves it as none, which `load_from_disk` cannot read."""
    return {name: 1 for name, rows in splits.items() if not rows}


@contextlib.contextmanager
def datasets_progress(enabled: bool) -> Iterator[None]:
    """Turn `datasets`' own progress bars off for a block when ours are off."""
    import datasets

    switch_off = not enabled and not datasets.are_progress_bars_disabled()
    if switch_off:
        datasets.disable_progress_bars()
    try:
        yield
    finally:
        if switch_off:
            datasets.enable_progress_bars()
