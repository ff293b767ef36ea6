"""The model card (README.md) of a model folder, rendered from `model_cards/model_card.md.jinja`.

Everything on the card comes from files in the folder (`hubtools_train.json`, `eval_results.json`, the
loss curve) and, optionally, the previous release's `eval_results.json`: the card is a pure function of
them, so the same release always renders the same card. The YAML header is huggingface_hub's own
`ModelCardData` (with `EvalResult`s for `model-index`), so what the Hub parses is what we wrote.
"""

from __future__ import annotations

import html
import json
import math
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hubtools.cards import TEMPLATES_DIR
from hubtools.cards.stages import SFT_STAGE, stage_base, training_stages
from hubtools.errors import HubtoolsError
from hubtools.evaluation.report import ROLES, Answer, EvalReport, ModelRef
from hubtools.hub.target import DEFAULT_ENDPOINT
from hubtools.paths import EVAL_RESULTS_FILE, LOSS_CURVE_FILE, TRAIN_RECORD_FILE

if TYPE_CHECKING:
    import jinja2
    from huggingface_hub import ModelCardData

MODEL_CARD_TEMPLATE = "model_card.md.jinja"
# Written by the release's web export (hubtools.serve.onnx_export) beside the ONNX files it checked.
WEB_REPORT_FILE = "onnx/hubtools_web.json"
ROLE_HEADERS = {"base": "base model", "fine_tuned": "this model", "previous": "previous release"}
# Framework versions shown first, in this order; any others follow alphabetically.
FRAMEWORKS = ("hubtools", "transformers", "trl", "datasets", "torch")


def render_model_card(
    model_dir: Path,
    *,
    repo_id: str,
    revision: str = "main",
    previous: Path | None = None,
    endpoint: str | None = None,
    license: str | None = None,
    language: str | list[str] = "en",
) -> str:
    """The README.md text for `repo_id` at `revision` (the release tag the chat snippet pins).

    `previous` is the previous release's model folder or its `eval_results.json`; `endpoint` is the Hub
    the links point to (default: $HF_ENDPOINT or huggingface.co); `license` defaults to the one recorded in
    `hubtools_train.json`, else apache-2.0.
    """
    from huggingface_hub import ModelCard

    model_dir = Path(model_dir)
    train = _read_json(model_dir / TRAIN_RECORD_FILE, hint="train the model with `hubtools train` first")
    report = EvalReport.read(model_dir / EVAL_RESULTS_FILE)
    previous_report = EvalReport.read(Path(previous)) if previous is not None else None
    endpoint = (endpoint or os.environ.get("HF_ENDPOINT") or DEFAULT_ENDPOINT).rstrip("/")
    data = model_card_data(train, report, repo_id=repo_id, license=license or train.get("license"), language=language)
    context = _context(
        model_dir, train, report, previous_report, repo_id=repo_id, revision=revision, endpoint=endpoint
    )
    content = card_environment().get_template(MODEL_CARD_TEMPLATE).render(card_data=data.to_yaml(), **context)
    ModelCard(content)  # parses the header back (raises on a malformed one) before anyone publishes it
    return content


def model_card_data(
    train: dict[str, Any], report: EvalReport, *, repo_id: str, license: str | None, language: str | list[str]
) -> ModelCardData:
    """The YAML header: provenance, pipeline and the metrics as `model-index` (pinned to the eval dataset sha)."""
    from huggingface_hub import EvalResult, ModelCardData

    base_repo = (train.get("base_model") or {}).get("repo_id")
    dataset_repo = (train.get("dataset") or {}).get("repo_id")
    eval_dataset = report.eval_dataset
    common = {
        "task_type": "text-generation",
        "task_name": "Text Generation",
        "dataset_type": eval_dataset.repo_id or Path(eval_dataset.path or "local").name,
        "dataset_name": eval_dataset.repo_id or Path(eval_dataset.path or "local").name,
        "dataset_split": eval_dataset.split,
        "dataset_revision": eval_dataset.commit or eval_dataset.revision,
    }
    method = (train.get("hyperparameters") or {}).get("method", "sft")  # a chained DPO model went through SFT too
    methods = ["sft", "dpo"] if train.get(SFT_STAGE) else [method]
    tags = ["hubtools", "trl", *methods, "conversational"] + (["lora", "peft"] if train.get("lora") else [])
    return ModelCardData(
        base_model=base_repo,
        datasets=[dataset_repo] if dataset_repo else None,
        language=language,
        license=license or "apache-2.0",
        library_name="transformers",
        pipeline_tag="text-generation",
        tags=tags,
        model_name=repo_id,
        eval_results=[
            EvalResult(
                metric_type="perplexity", metric_name="Perplexity", metric_value=metric(report.perplexity), **common
            ),
            EvalResult(
                metric_type="loss", metric_name="Mean token loss", metric_value=metric(report.mean_loss), **common
            ),
        ],
    )


def metric(value: float) -> float:
    """Metrics as published in `model-index`: 4 decimals, so they read well and round-trip exactly."""
    return round(float(value), 4)


def escape_cell(value: Any) -> str:
    """Text safe inside a Markdown table cell: `|` escaped, newlines as <br>, HTML special characters as entities."""
    text = str(value).replace("\r\n", "\n").replace("\r", "\n").strip()
    text = html.escape(text, quote=False)  # quotes stay: they are harmless in a cell and read better
    return text.replace("|", "\\|").replace("\n", "<br>")


def answer_cell(answer: Answer | None) -> str:
    """An answer with its flags, for the probe table (the `cell` escaping included)."""
    if answer is None:
        return "–"
    text = escape_cell(answer.text) if answer.text.strip() else "*(empty)*"
    return f"{text} **[{', '.join(answer.flags)}]**" if answer.flags else text


def count_parameters(model_dir: Path) -> int | None:
    """Parameters stored in the folder's safetensors files, read from their headers (no weights loaded)."""
    files = sorted(Path(model_dir).glob("*.safetensors"))
    if not files:
        return None
    from safetensors import SafetensorError, safe_open

    total = 0
    for path in files:
        try:
            with safe_open(path, framework="numpy") as weights:
                total += sum(math.prod(weights.get_slice(name).get_shape()) for name in weights.keys())
        except (OSError, SafetensorError) as error:
            raise HubtoolsError(f"{path}: not a readable safetensors file: {error}") from None
    return total


def human_count(count: int | None) -> str:
    """1234567 -> 1.2M, as the grafito models table gives sizes."""
    if count is None:
        return "unknown"
    for threshold, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "K")):
        if count >= threshold:
            return f"{count / threshold:.1f}{suffix}"
    return str(count)


def _display(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, sort_keys=True)


def _flatten(values: dict[str, Any], prefix: str = "") -> list[tuple[str, str]]:
    """Nested hyperparameters (`lora`, `execution`) as dotted rows, sorted: one table, stable order."""
    rows: list[tuple[str, str]] = []
    for name in sorted(values):
        value = values[name]
        if isinstance(value, dict) and value:
            rows += _flatten(value, f"{prefix}{name}.")
        else:
            rows.append((f"{prefix}{name}", _display(value)))
    return rows


def describe_hardware(value: Any) -> str | None:
    """`{device, name, memory_gib, world_size}` as training records it, in words."""
    if value is None:
        return None
    if isinstance(value, dict) and value.get("name"):
        count = value.get("world_size") or 1
        memory = f", {value['memory_gib']} GiB" if value.get("memory_gib") else ""
        return f"{count} × {value['name']}{memory}"
    return _display(value)


def _read_json(path: Path, *, hint: str) -> dict[str, Any]:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise HubtoolsError(f"no {path.name} in {path.parent} ({hint})") from None
    except ValueError as error:
        raise HubtoolsError(f"{path}: invalid JSON: {error}") from None


def framework_rows(train: dict[str, Any]) -> list[tuple[str, str]]:
    """The recorded framework versions, the main ones first (`FRAMEWORKS`), the others alphabetically."""
    versions = dict(train.get("framework_versions") or {})
    ordered = [(name, versions.pop(name)) for name in FRAMEWORKS if name in versions]
    return ordered + sorted(versions.items())


def _web_export(model_dir: Path) -> dict[str, Any] | None:
    """The in-browser copy's files and how closely they match transformers, when the folder has one."""
    path = model_dir / WEB_REPORT_FILE
    if not path.is_file():
        return None
    record = _read_json(path, hint="written by the web export")
    check, files = record.get("check") or {}, record.get("files") or {}
    try:
        return {
            "fp32_size": _megabytes(files["model.onnx"]),
            "q8_size": _megabytes(files["model_quantized.onnx"]),
            "logits_diff": f"{max(check['logits_diff_no_past'], check['logits_diff_with_past']):.2g}",
            "tolerance": f"{check['tolerance']:g}",
            "greedy": f"{check['greedy_equal']}/{check['prompts']}",
            "q8_agreement": f"{check['q8_agreement']:.1%}",
            "q8_positions": check["q8_positions"],
        }
    except (KeyError, TypeError, ValueError) as error:
        raise HubtoolsError(f"{path}: missing or malformed field {error}") from None


def _megabytes(size: int) -> str:
    return f"{size / 1e6:.0f} MB" if size >= 1e6 else f"{size / 1e3:.0f} kB"


def card_environment() -> jinja2.Environment:
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
        undefined=jinja2.StrictUndefined,  # a misspelt variable fails loudly instead of leaving a hole
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=False,
    )
    env.filters["cell"] = escape_cell
    env.filters["answer"] = answer_cell
    return env


def model_link(ref: dict[str, Any] | ModelRef | None, endpoint: str, *, kind: str = "") -> dict[str, str] | None:
    """`{label, url}` for a Hub repo pinned at a commit/revision; `{label}` only for a local source."""
    if ref is None:
        return None
    data = ref.to_json() if isinstance(ref, ModelRef) else ref
    if data.get("repo_id"):
        pin = data.get("commit") or data.get("revision") or "main"
        prefix = f"{endpoint}/{kind}/" if kind else f"{endpoint}/"
        label = f"{data['repo_id']}@{data.get('revision') or pin}"
        return {"label": label, "url": f"{prefix}{data['repo_id']}/tree/{pin}", "commit": data.get("commit") or ""}
    if data.get("recipe"):
        return {"label": f"data recipe `{data['recipe']}` (built locally, not published)", "url": "", "commit": ""}
    if data.get("path"):
        return {"label": f"local folder `{Path(data['path']).name}`", "url": "", "commit": ""}
    if data.get("config"):
        model_type = data["config"].get("model_type", "?") if isinstance(data["config"], dict) else "?"
        label = f"a fresh `{model_type}` model from a config (no pretrained weights)"
        return {"label": label, "url": "", "commit": ""}
    return None


def _training_row(model_dir: Path, train: dict[str, Any], repo_id: str, endpoint: str) -> dict[str, str]:
    """One row of the grafito-style models table."""
    hyper = train.get("hyperparameters") or {}
    steps = train.get("steps", hyper.get("max_steps"))
    epochs = hyper.get("num_train_epochs")
    schedule = f"{steps} steps" if steps is not None else "?"
    if epochs is not None:
        schedule += f" ({epochs} epochs)"
    dataset = model_link(train.get("dataset"), endpoint, kind="datasets")
    base = stage_base(train) or model_link(train.get("base_model"), endpoint)
    return {
        "model": repo_id.split("/")[-1],
        "base": base["label"] if base else "?",
        "parameters": human_count(train.get("parameters") or count_parameters(model_dir)),
        "style": "LoRA" if train.get("lora") else "full fine-tuning",
        "sequence_length": _display(hyper.get("max_length", "?")),
        "schedule": schedule,
        "learning_rate": _display(hyper.get("learning_rate", "?")),
        "dataset": dataset["label"] if dataset else "?",
    }


def _delta(name: str, before: float, now: float) -> dict[str, str]:
    relative = f"{(now - before) / before:+.1%}" if before else "n/a"
    return {
        "name": name,
        "before": f"{before:.4f}",
        "now": f"{now:.4f}",
        "delta": f"{now - before:+.4f}",
        "relative": relative,
    }


def _changes(report: EvalReport, previous: EvalReport | None) -> dict[str, Any] | None:
    """Metric deltas and changed probe answers against the previous release (None: first release)."""
    if previous is None and report.previous is None:
        return None
    metrics: list[dict[str, str]] = []
    if previous is not None:
        metrics = [
            _delta("perplexity", previous.perplexity, report.perplexity),
            _delta("mean token loss", previous.mean_loss, report.mean_loss),
        ]
    before_answers = {probe.prompt: probe.answers.get("fine_tuned") for probe in previous.probes} if previous else {}
    changed, new = [], []
    for probe in report.probes:
        before = probe.answers.get("previous") or before_answers.get(probe.prompt)
        after = probe.answers.get("fine_tuned")
        if before is None:
            new.append(probe.prompt)
        elif after is not None and (before.text, before.flags) != (after.text, after.flags):
            changed.append({"prompt": probe.prompt, "before": before, "after": after})
    same_data = previous is None or (
        (previous.eval_dataset.commit or previous.eval_dataset.path, previous.eval_dataset.split)
        == (report.eval_dataset.commit or report.eval_dataset.path, report.eval_dataset.split)
    )
    label = str(report.previous) if report.previous else str(previous.model) if previous else "the previous release"
    return {"label": label, "metrics": metrics, "changed": changed, "new": new, "same_data": same_data}


def _arena(arena: dict[str, Any] | None) -> dict[str, Any] | None:
    """The arena result (from the Space's votes) as the card shows it; None when no votes were counted."""
    if not arena:
        return None
    votes = arena["wins"] + arena["ties"] + arena["losses"]
    shown = {key: arena[key] for key in ("model", "against", "wins", "ties", "losses", "voters", "method")}
    if votes and arena.get("win_rate") is not None:
        rate = f"{arena['win_rate']:.1%} (95% interval {arena['low']:.1%}–{arena['high']:.1%})"
    else:
        rate = "no votes yet"
    skipped = ", ".join(f"{n} {name.replace('_', ' ')}" for name, n in sorted((arena.get("skipped") or {}).items()))
    return {**shown, "votes": votes, "rate": rate, "skipped": skipped}


def _context(
    model_dir: Path,
    train: dict[str, Any],
    report: EvalReport,
    previous: EvalReport | None,
    *,
    repo_id: str,
    revision: str,
    endpoint: str,
) -> dict[str, Any]:
    """Everything the template shows, already ordered and formatted (the template only lays it out)."""
    roles = [role for role in ROLES if any(role in probe.answers for probe in report.probes)]
    hyper = dict(train.get("hyperparameters") or {})
    if not train.get("lora"):
        hyper.pop("lora", None)  # adapter settings of a run that trained no adapter are noise
    return {
        "repo_id": repo_id,
        "model_name": repo_id.split("/")[-1],
        "revision": revision,
        "endpoint": endpoint,
        "on_huggingface": endpoint == DEFAULT_ENDPOINT,
        "base": stage_base(train) or model_link(train.get("base_model"), endpoint),
        "dataset": model_link(train.get("dataset"), endpoint, kind="datasets"),
        "stages": training_stages(train),
        "eval_dataset": model_link(report.eval_dataset, endpoint, kind="datasets"),
        "recipe": train.get("recipe", "?"),
        "recipe_hash": train.get("recipe_hash", "?"),
        "lora": bool(train.get("lora")),
        "row": _training_row(model_dir, train, repo_id, endpoint),
        "hyperparameters": _flatten(hyper),
        "train_loss": train.get("train_loss"),
        "hardware": describe_hardware(train.get("hardware")),
        "report": report,
        "perplexity": f"{report.perplexity:.4f}",
        "mean_loss": f"{report.mean_loss:.4f}",
        "roles": [(role, ROLE_HEADERS[role]) for role in roles],
        "probe_roles": roles,
        "compared_with": [f"the {ROLE_HEADERS[role]}" for role in roles if role != "fine_tuned"],
        "max_new_tokens": report.settings.get("max_new_tokens", 48),
        "loss_curve": (model_dir / LOSS_CURVE_FILE).is_file(),
        "loss_curve_file": LOSS_CURVE_FILE,
        "changes": _changes(report, previous),
        "web": _web_export(model_dir),
        "arena": _arena(report.arena),
        "framework_versions": framework_rows(train),
        "hubtools_version": (train.get("framework_versions") or {}).get("hubtools"),
        "hubtools_commit": train.get("hubtools_commit"),
    }
