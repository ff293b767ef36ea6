"""`evaluate_model`: perplexity on the held-out split plus the probe table, written as `eval_results.json`.

Models and datasets are named the same way everywhere: a local folder, or a Hub repo id at a revision
on the current Hub target (`hub_target` must have been entered before this module's functions run,
since the HF libraries read the endpoint when first imported). Hub revisions are resolved to commit
shas first, so the report records exactly what was evaluated.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hubtools import __version__
from hubtools.errors import HubtoolsError
from hubtools.evaluation.arena import ArenaResult
from hubtools.evaluation.config import EvalConfig
from hubtools.evaluation.perplexity import compute_perplexity
from hubtools.evaluation.probes import probe_answers, probe_table, prompt_format
from hubtools.evaluation.report import Answer, DatasetRef, EvalReport, ModelRef
from hubtools.paths import EVAL_RESULTS_FILE, TRAIN_RECORD_FILE

if TYPE_CHECKING:
    from transformers import PreTrainedModel, PreTrainedTokenizerBase

# A local folder, a Hub repo id (at main), or (repo id, revision).
Source = Path | str | tuple[str, str | None]
# Files a model needs to load; other weight formats in a Hub repo (tf, flax, onnx) are never fetched.
_MODEL_FILES = ["*.json", "*.jinja", "*.txt", "*.model", "*.tiktoken", "tokenizer*"]


def evaluate_model(
    model: Source,
    *,
    dataset: Source | None = None,
    base_model: Source | None = None,
    previous: Source | None = None,
    probes: Sequence[str] | None = None,
    config: EvalConfig | None = None,
    out: Path | None = None,
    arena: ArenaResult | None = None,
) -> EvalReport:
    """Evaluate a fine-tuned model; write and return its report.

    `dataset` and `base_model` default to what `hubtools_train.json` in the model folder records (the
    dataset at its exact commit; no base when the model was built from a config). `probes` replaces the
    config's prompts. `out` defaults to `eval_results.json` in a local model folder; for a Hub model
    nothing is written unless `out` is given. `arena` (from `hubtools.evaluation.arena`) goes in the report as
    computed from the Space's votes.
    """
    config = config or EvalConfig()
    prompts = list(probes) if probes is not None else config.all_probes
    model_ref, model_dir = resolve_model(model)
    train_info = read_train_info(model_dir)
    dataset_ref = resolve_dataset(dataset if dataset is not None else _train_dataset(train_info), split=config.split)
    conversations = load_conversations(dataset_ref, max_samples=config.max_samples)

    _log(f"scoring {len(conversations)} conversations of {dataset_ref} with {model_ref}")
    fine_tuned, tokenizer = load_model(model_dir)
    scores = compute_perplexity(
        fine_tuned,
        tokenizer,
        conversations,
        loss_on=config.loss_on,
        batch_size=config.batch_size,
        max_length=config.max_length,
    )
    _log(f"perplexity {scores.perplexity:.3f} (mean loss {scores.mean_loss:.4f} over {scores.num_tokens} tokens)")
    answers: dict[str, list[Answer]] = {}
    formats: dict[str, str] = {}
    if prompts:
        answers["fine_tuned"] = probe_answers(fine_tuned, tokenizer, prompts, max_new_tokens=config.max_new_tokens)
        formats["fine_tuned"] = prompt_format(tokenizer)
    del fine_tuned

    base_source = base_model if base_model is not None else _train_base(train_info)
    refs: dict[str, ModelRef | None] = {"base": None, "previous": None}
    for role, source in (("base", base_source), ("previous", previous)):
        if source is None:
            continue
        ref, folder = resolve_model(source)
        refs[role] = ref
        if prompts:
            _log(f"probing the {role.replace('_', ' ')} model {ref}")
            other, other_tokenizer = load_model(folder, fallback_tokenizer=tokenizer)
            answers[role] = probe_answers(other, other_tokenizer, prompts, max_new_tokens=config.max_new_tokens)
            formats[role] = prompt_format(other_tokenizer)
            del other

    report = EvalReport(
        perplexity=scores.perplexity,
        mean_loss=scores.mean_loss,
        num_tokens=scores.num_tokens,
        num_sequences=scores.num_sequences,
        loss_on=scores.loss_on,
        eval_dataset=dataset_ref,
        model=model_ref,
        base_model=refs["base"],
        previous=refs["previous"],
        probes=probe_table(prompts, answers),
        settings={
            "max_new_tokens": config.max_new_tokens,
            "batch_size": config.batch_size,
            "max_length": config.max_length,
            "max_samples": config.max_samples,
            "prompt_format": formats,
        },
        hubtools_version=__version__,
        arena=arena.to_json() if arena is not None else None,
    )
    if out is None and model_ref.path is not None:
        out = model_dir / EVAL_RESULTS_FILE
    if out is not None:
        report.write(Path(out))
        _log(f"wrote {out}")
    return report


def _log(message: str) -> None:
    print(f"hubtools eval: {message}", file=sys.stderr)


def _split_source(source: Source) -> tuple[Path | None, str | None, str | None]:
    """(local folder, repo id, revision): a str is a folder when one exists there, else a repo id."""
    if isinstance(source, tuple):
        return None, source[0], source[1]
    if isinstance(source, Path) or Path(source).exists():
        path = Path(source)
        if not path.is_dir():
            raise HubtoolsError(f"not a folder: {path}")
        return path, None, None
    return None, source, None


def resolve_model(source: Source) -> tuple[ModelRef, Path]:
    """A local folder as is, or a Hub model resolved to its commit sha and downloaded at that sha."""
    path, repo_id, revision = _split_source(source)
    if path is not None:
        return ModelRef(path=str(path)), path
    from huggingface_hub import HfApi, snapshot_download
    from huggingface_hub.errors import HfHubHTTPError

    try:
        info = HfApi().model_info(repo_id, revision=revision, files_metadata=False)
        files = [sibling.rfilename for sibling in info.siblings or []]
        weights = ["*.safetensors"] if any(name.endswith(".safetensors") for name in files) else ["*.bin"]
        folder = snapshot_download(repo_id, revision=info.sha, allow_patterns=[*_MODEL_FILES, *weights])
    except HfHubHTTPError as error:
        raise HubtoolsError(f"cannot fetch model {repo_id}@{revision or 'main'}: {error}") from None
    return ModelRef(repo_id=repo_id, revision=revision or "main", commit=info.sha), Path(folder)


def resolve_dataset(source: Source | None, *, split: str) -> DatasetRef:
    """A local `save_to_disk` folder as is, or a Hub dataset pinned to its commit sha."""
    if source is None:
        raise HubtoolsError("no eval dataset: pass --dataset (the model folder records none in hubtools_train.json)")
    path, repo_id, revision = _split_source(source)
    if path is not None:
        return DatasetRef(path=str(path), split=split)
    from huggingface_hub import HfApi
    from huggingface_hub.errors import HfHubHTTPError

    try:
        sha = HfApi().dataset_info(repo_id, revision=revision).sha
    except HfHubHTTPError as error:
        raise HubtoolsError(f"cannot fetch dataset {repo_id}@{revision or 'main'}: {error}") from None
    return DatasetRef(repo_id=repo_id, revision=revision or "main", commit=sha, split=split)


def load_conversations(ref: DatasetRef, *, max_samples: int | None = None) -> list[list[dict[str, str]]]:
    """The `messages` column of the eval split (first `max_samples` rows)."""
    import datasets

    if ref.path is not None:
        try:
            loaded = datasets.load_from_disk(ref.path)
        except FileNotFoundError as error:
            raise HubtoolsError(f"not a saved dataset: {ref.path} ({error})") from None
        if isinstance(loaded, datasets.DatasetDict):
            if ref.split not in loaded:
                raise HubtoolsError(f"{ref.path} has no split {ref.split!r} (splits: {', '.join(loaded)})")
            loaded = loaded[ref.split]
        rows = loaded
    else:
        try:
            rows = datasets.load_dataset(ref.repo_id, revision=ref.commit, split=ref.split)
        except ValueError as error:  # unknown split
            raise HubtoolsError(f"dataset {ref}: {error}") from None
    if "messages" not in rows.column_names:
        raise HubtoolsError(f"dataset {ref} has no `messages` column (columns: {', '.join(rows.column_names)})")
    if max_samples is not None:
        rows = rows.select(range(min(max_samples, len(rows))))
    return [list(messages) for messages in rows["messages"]]


def load_model(
    folder: Path, *, fallback_tokenizer: PreTrainedTokenizerBase | None = None
) -> tuple[PreTrainedModel, PreTrainedTokenizerBase]:
    """Model (float32: bf16 is very slow on CPUs without AMX) and tokenizer, in eval mode, on the GPU if any."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    device = "cuda" if torch.cuda.is_available() else "cpu"
    try:
        model = AutoModelForCausalLM.from_pretrained(folder, dtype=torch.float32).to(device).eval()
    except (OSError, ValueError) as error:
        raise HubtoolsError(f"cannot load a causal LM from {folder}: {error}") from None
    try:
        tokenizer = AutoTokenizer.from_pretrained(folder)
    except (OSError, ValueError, TypeError):
        if fallback_tokenizer is None:
            raise HubtoolsError(f"no tokenizer in {folder}") from None
        tokenizer = fallback_tokenizer
    return model, tokenizer


def read_train_info(model_dir: Path) -> dict[str, Any]:
    """`hubtools_train.json` when the folder has one (a model from elsewhere has none)."""
    path = model_dir / TRAIN_RECORD_FILE
    if not path.is_file():
        return {}
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except ValueError as error:
        raise HubtoolsError(f"{path}: invalid JSON: {error}") from None


def _train_dataset(train_info: dict[str, Any]) -> Source | None:
    """The training dataset at the exact commit it was trained on (or its local folder)."""
    dataset = train_info.get("dataset") or {}
    if dataset.get("repo_id"):
        return (dataset["repo_id"], dataset.get("commit") or dataset.get("revision"))
    if dataset.get("path"):
        return Path(dataset["path"])
    return None


def _train_base(train_info: dict[str, Any]) -> Source | None:
    """The pretrained base on the Hub; a model trained from a bare config has no base worth asking."""
    base = train_info.get("base_model") or {}
    if base.get("repo_id"):
        return (base["repo_id"], base.get("commit") or base.get("revision"))
    if base.get("path"):
        return Path(base["path"])
    return None
