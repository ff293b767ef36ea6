"""The data stage: raw chat sources → a cleaned, scrubbed, filtered, deduplicated, scored `DatasetDict`.

- `build_dataset(recipe, out_dir)` → `BuildResult` (hubtools.data.build)
- `push_dataset(recipe, version, ...)` → `PushedDataset` (hubtools.data.push)
- `convert_files(kind, paths)` → `Conversion`: one format to messages JSONL, as `hubtools data convert` does
- recipes: `load_data_recipe`, `DataRecipe` (hubtools.data.recipe)

Module per concern: `sources/` (one parser per format), `clean`, `scrub`, `filters`, `dedup`, `select`.
Nothing here imports `datasets` or `huggingface_hub` until a function needs it.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "BuildResult": "hubtools.data.build",
    "build_dataset": "hubtools.data.build",
    "Conversion": "hubtools.data.convert",
    "convert_files": "hubtools.data.convert",
    "PushedDataset": "hubtools.data.push",
    "push_dataset": "hubtools.data.push",
    "DataRecipe": "hubtools.data.recipe",
    "load_data_recipe": "hubtools.data.recipe",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    """Import on first use, so `import hubtools.data.recipe` does not load numpy and ftfy."""
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
