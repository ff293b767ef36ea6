"""`convert_for_serving`: the fast CPU weights a release publishes beside the model (`ct2-int8/`).

Run once at release time (or once per checkpoint by the Space), so a visitor never waits for it twice.
"""

from __future__ import annotations

import json
from pathlib import Path

from hubtools.errors import HubtoolsError
from hubtools.paths import atomic_folder

FAST_MARKER = "hubtools_serving.json"


def convert_for_serving(model_dir: str | Path, out_dir: str | Path, *, quantization: str = "int8") -> Path:
    """Convert a `save_pretrained` model folder to CTranslate2 weights (int8 by default) in `out_dir`.

    Writes `model.bin`, `config.json`, `vocabulary.json` and `hubtools_serving.json` (engine, quantization,
    versions), atomically: a half-written folder is never left where the Space would load it.
    """
    try:
        import ctranslate2
        from ctranslate2.converters import TransformersConverter
    except ImportError as error:
        raise HubtoolsError("convert_for_serving needs ctranslate2: pip install ctranslate2") from error
    model_dir, out_dir = Path(model_dir), Path(out_dir)
    if not (model_dir / "config.json").is_file():
        raise HubtoolsError(f"{model_dir} is not a model folder (no config.json)")
    failure = f"could not convert {model_dir} for serving"
    with atomic_folder(out_dir, prefix=".convert-", failure=failure) as staging:
        TransformersConverter(str(model_dir), low_cpu_mem_usage=True).convert(
            str(staging), quantization=quantization, force=True
        )
        (staging / FAST_MARKER).write_text(
            json.dumps(
                {"engine": "ctranslate2", "quantization": quantization, "ctranslate2": ctranslate2.__version__},
                indent=2,
            )
            + "\n"
        )
    return out_dir
